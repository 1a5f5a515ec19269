"""Fixtures shared by the nmbrs_journals tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from nmbrs_support import Env, make_env

from ledgerbridge.core.clock import FakeClock


@pytest.fixture
def env_for(lb_workspace: Any, lb_tenant: Any, lb_run: Any) -> Iterator[Callable[..., Env]]:
    """`env_for(companies, visma=settings, **config)`: Nmbrs seeded with these
    companies, a fresh Visma.net company, the tenant configured."""
    made: list[Env] = []

    def make(
        companies: list[dict[str, Any]], visma: dict[str, Any] | None = None, **config: Any
    ) -> Env:
        env = make_env(lb_workspace, lb_tenant, lb_run, FakeClock(), companies, visma, **config)
        made.append(env)
        return env

    yield make
    for env in made:
        env.sandbox.stop()
