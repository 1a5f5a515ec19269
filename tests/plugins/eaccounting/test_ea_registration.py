"""The eaccounting plugin registers its two emulators through its entry point,
`ledgerbridge sandbox serve` lists them, and docs/sandbox.md says so."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledgerbridge.core import plugins
from ledgerbridge.core.plugins import get_plugin_manager, reset_registry
from ledgerbridge.core.sandbox import Emulator, collect_emulators
from ledgerbridge.core.sandbox import cli as sandbox_cli

ROOT = Path(__file__).resolve().parents[3]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DOC = (ROOT / "docs" / "sandbox.md").read_text(encoding="utf-8")
EXPECTED = {
    "eaccounting": ("/eaccounting", "Visma eAccounting API v2"),
    "severa": ("/severa", "Visma PM (Visma Severa) REST API"),
}


@pytest.fixture
def project_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Exactly the entry points pyproject.toml declares (the installed metadata
    may be older than this checkout)."""
    group = PYPROJECT["project"]["entry-points"]["ledgerbridge"]
    points = [metadata.EntryPoint(n, v, plugins.ENTRY_POINT_GROUP) for n, v in group.items()]
    monkeypatch.setattr(plugins, "_entry_points", lambda: points)
    monkeypatch.delenv("LEDGERBRIDGE_LOAD_PLUGINS", raising=False)
    reset_registry()
    try:
        yield
    finally:
        reset_registry()


def test_the_entry_point_names_the_plugin_module() -> None:
    group = PYPROJECT["project"]["entry-points"]["ledgerbridge"]
    assert group["eaccounting"] == "ledgerbridge.plugins.eaccounting.plugin"


def test_both_emulators_are_registered(project_plugins: None) -> None:
    found = {e.name: e for e in collect_emulators(get_plugin_manager())}
    for name, (prefix, description) in EXPECTED.items():
        emulator: Emulator = found[name]
        assert (emulator.prefix, emulator.description) == (prefix, description)
    assert "visma_net" in found


def test_sandbox_serve_lists_them(project_plugins: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_cli, "wait_for_interrupt", lambda: None)
    result = CliRunner().invoke(sandbox_cli.sandbox, ["serve", "--port", "0"])
    assert result.exit_code == 0, result.output
    for name, (prefix, description) in EXPECTED.items():
        assert re.search(
            rf"^  {name}\s+http://127\.0\.0\.1:\d+{prefix}  {re.escape(description)}$",
            result.output,
            re.M,
        )


def test_the_sandbox_docs_list_every_emulator(project_plugins: None) -> None:
    served = re.findall(r"^  (\w+)\s+http://127\.0\.0\.1:8765(/\S+)  (.+)$", DOC, re.M)
    table = set(re.findall(r"^\| `(\w+)` \| `\w+` \|", DOC, re.M))
    emulators = collect_emulators(get_plugin_manager())
    assert sorted(served) == sorted((e.name, e.prefix, e.description) for e in emulators)
    assert table == {e.name for e in emulators}
