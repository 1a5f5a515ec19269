from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledgerbridge.core.plugins import get_registry, reset_registry
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
    w = Workspace(tmp_path / "ws")
    w.ensure()
    t = w.add_tenant("acme")
    t.connectors["mem"] = {"enabled": True, "config": {"prefix": "AC", "apiKey": {"secret": "key"}}}
    w.save_tenant(t)
    w.secrets.set("acme", "key", "s3cr3t-api-key-value")
    return w


def write_json(path: Path, data: object) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)
