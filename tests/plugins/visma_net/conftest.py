"""Fixtures shared by the visma_net tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import MakeEnv, VismaEnv, new_env

from ledgerbridge.core.clock import FakeClock


@pytest.fixture
def make_env(lb_workspace: Any, lb_tenant: Any, lb_run: Any, tmp_path: Path) -> Iterator[MakeEnv]:
    """Make end-to-end environments (export folder `tmp_path/export`, a fresh
    emulated company with these emulator `settings`, the tenant configured
    with `config`); every sandbox made is stopped when the test ends."""
    made: list[VismaEnv] = []

    def make(
        settings: dict[str, Any] | None = None, clock: FakeClock | None = None, **config: Any
    ) -> VismaEnv:
        env = new_env(
            lb_workspace,
            lb_tenant,
            lb_run,
            clock or FakeClock(),
            tmp_path / "export",
            settings,
            **config,
        )
        made.append(env)
        return env

    yield make
    for env in made:
        env.sandbox.stop()


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Invoice elements lxml handed the source, per file name (the header
    scans count none): how often each file was parsed."""
    from ledgerbridge.plugins.visma_net.exportfile import TopLevel

    seen: Counter[str] = Counter()
    real = TopLevel.__iter__

    def counting(self: TopLevel) -> Iterator[tuple[str, Any]]:
        for kind, element in real(self):
            if kind == "invoice":
                seen[self.path.name] += 1
            yield kind, element

    monkeypatch.setattr(TopLevel, "__iter__", counting)
    return seen
