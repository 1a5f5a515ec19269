"""Fixtures of the pos_zreport tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pos_support import PosEnv, make_env

from ledgerbridge.testing import ConnectorRunner, TenantFactory


@pytest.fixture
def pos(
    lb_workspace: Any, lb_tenant: TenantFactory, lb_run: ConnectorRunner, tmp_path: Path
) -> Iterator[Callable[..., PosEnv]]:
    made: list[PosEnv] = []

    def make(**kw: Any) -> PosEnv:
        env = make_env(lb_workspace, lb_tenant, lb_run, tmp_path, **kw)
        made.append(env)
        return env

    yield make
    for env in made:
        env.sandbox.stop()
