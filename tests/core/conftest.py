from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledgerbridge.core.plugins import get_registry, reset_registry
from ledgerbridge.core.state.db import StateDB, open_state
from ledgerbridge.core.workspace import Workspace
from tests.core import memplugin


@pytest.fixture
def mem() -> Iterator[memplugin.Scenario]:
    """The in-memory connector registered for this test, with a fresh scenario."""
    reset_registry()
    registry = get_registry()
    registry.add(memplugin, "memtest")
    memplugin.SCENARIO = memplugin.Scenario()
    try:
        yield memplugin.SCENARIO
    finally:
        reset_registry()


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return make_ws(tmp_path)


def make_ws(tmp_path: Path, state: str | None = None) -> Workspace:
    """A workspace with tenant acme and the in-memory connector; `state` is
    its --state (None: the workspace's own state.db)."""
    w = Workspace(tmp_path / "ws", state)
    w.ensure()
    t = w.add_tenant("acme")
    t.connectors["mem"] = {"enabled": True, "config": {"prefix": "AC", "apiKey": {"secret": "key"}}}
    w.save_tenant(t)
    w.secrets.set("acme", "key", "s3cr3t-api-key-value")
    return w


@pytest.fixture
def any_ws(tmp_path: Path, state_url: str | None) -> Workspace:
    """`ws` with its state on SQLite, then on PostgreSQL (state tests run on both)."""
    return make_ws(tmp_path, state_url)


def open_ws_state(w: Workspace) -> StateDB:
    """The workspace's state, wherever it lives."""
    return open_state(w.state)


def write_json(path: Path, data: object) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)
