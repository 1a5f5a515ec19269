"""Loading plugins from entry points: one bad plugin never breaks the rest.

Each test pretends a set of modules is installed: the modules are written
into tmp_path and `_entry_points` is replaced to point at them, so what is
installed in this environment plays no part.
"""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

import click
import pytest

from ledgerbridge.core import plugins
from ledgerbridge.core.plugins import get_plugin_manager, get_registry, reset_registry
from ledgerbridge.testing import CliInvoker

Install = Callable[[str, str], None]

GOOD = """
from ledgerbridge import Connector, hookimpl

@hookimpl
def register_connectors(register):
    register(Connector("{name}", "{name} connector", {{"type": "object"}}, lambda ctx: []))
"""


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """`install(name, source)`: an entry point `name` for a module with `source`."""
    entry_points: list[metadata.EntryPoint] = []
    modules: list[str] = []
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delenv("LEDGERBRIDGE_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("LEDGERBRIDGE_TRACE_PLUGINS", raising=False)
    monkeypatch.setattr(plugins, "_entry_points", lambda: list(entry_points))

    def add(name: str, source: str) -> None:
        module = f"lbtest_{name}"
        (folder / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        importlib.invalidate_caches()
        entry_points.append(metadata.EntryPoint(name, module, plugins.ENTRY_POINT_GROUP))
        modules.append(module)

    reset_registry()
    try:
        yield add
    finally:
        reset_registry()
        for module in modules:
            sys.modules.pop(module, None)


def infos() -> dict[str, plugins.PluginInfo]:
    return {i.name: i for i in get_registry().infos}


def test_a_plugin_failing_to_import_is_shown_with_the_reason(
    install: Install, lb_cli: CliInvoker
) -> None:
    install("good", GOOD.format(name="good"))
    install("broken", "raise RuntimeError('the vendor SDK is missing')")

    text = lb_cli("plugins")
    assert text.exit_code == 0, text.output
    broken_line = next(line for line in text.output.splitlines() if line.startswith("broken"))
    assert "failed" in broken_line
    assert "import failed: RuntimeError: the vendor SDK is missing" in broken_line

    listed = {p["name"]: p for p in json.loads(lb_cli("plugins", "--json").output)["plugins"]}
    assert listed["broken"]["status"] == "failed"
    assert listed["broken"]["error"] == "import failed: RuntimeError: the vendor SDK is missing"
    assert listed["good"]["status"] == "loaded"

    connectors = lb_cli("connectors")
    assert connectors.exit_code == 0 and "good connector" in connectors.output


def test_a_hook_with_an_argument_not_in_the_spec_fails_the_plugin(
    install: Install, lb_cli: CliInvoker
) -> None:
    install(
        "wrongsig",
        """
        from ledgerbridge import hookimpl

        @hookimpl
        def register_connectors(register, tenant):
            pass
        """,
    )
    info = infos()["wrongsig"]
    assert info.status == "failed"
    assert "register_connectors" in (info.error or "") and "tenant" in (info.error or "")
    listed = {p["name"]: p for p in json.loads(lb_cli("plugins", "--json").output)["plugins"]}
    assert listed["wrongsig"]["status"] == "failed"


def test_a_failed_plugin_takes_no_part(install: Install, lb_cli: CliInvoker) -> None:
    install(
        "halfway",
        """
        from ledgerbridge import hookimpl

        @hookimpl
        def register_commands(cli):
            cli.command("halfway")(lambda: None)

        @hookimpl
        def register_connectors(register, tenant):
            pass
        """,
    )
    assert infos()["halfway"].status == "failed"
    assert "halfway" not in [name for name, _ in get_plugin_manager().list_name_plugin()]
    assert "halfway" not in lb_cli("--help").output


def test_a_misspelt_hook_fails_the_plugin(install: Install) -> None:
    install(
        "typo",
        """
        from ledgerbridge import hookimpl

        @hookimpl
        def register_conectors(register):
            pass
        """,
    )
    assert infos()["typo"].status == "failed"


def test_a_registration_hook_that_raises_is_a_problem_not_a_crash(
    install: Install, lb_cli: CliInvoker
) -> None:
    install("good", GOOD.format(name="good"))
    install("twin", GOOD.format(name="good"))
    install(
        "raiser",
        """
        from ledgerbridge import hookimpl

        @hookimpl
        def register_connectors(register):
            raise KeyError("region")
        """,
    )
    result = lb_cli("plugins")
    assert result.exit_code == 0
    assert "problem: plugin raiser: register_connectors failed: 'region'" in result.output
    assert "problem: plugin twin: connector 'good' is already registered by good" in result.output
    assert "good connector" in lb_cli("connectors").output


def test_load_plugins_allow_list_loads_only_the_named(
    install: Install, monkeypatch: pytest.MonkeyPatch, lb_cli: CliInvoker
) -> None:
    install("alpha", GOOD.format(name="alpha"))
    install("beta", GOOD.format(name="beta"))
    monkeypatch.setenv("LEDGERBRIDGE_LOAD_PLUGINS", "alpha")
    assert {n: i.status for n, i in infos().items()} == {"alpha": "loaded", "beta": "disabled"}
    assert "lbtest_beta" not in sys.modules
    connectors = json.loads(lb_cli("connectors", "--json").output)["connectors"]
    assert [c["name"] for c in connectors] == ["alpha"]


def test_an_empty_allow_list_loads_no_plugin(
    install: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    install("alpha", GOOD.format(name="alpha"))
    monkeypatch.setenv("LEDGERBRIDGE_LOAD_PLUGINS", "")
    assert infos()["alpha"].status == "disabled"


def test_trace_plugins_logs_hook_calls_and_errors(
    install: Install, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install(
        "tracer",
        """
        from ledgerbridge import hookimpl

        @hookimpl
        def register_commands(cli):
            raise ValueError("no room for commands")
        """,
    )
    monkeypatch.setenv("LEDGERBRIDGE_TRACE_PLUGINS", "1")
    with pytest.raises(ValueError):
        get_plugin_manager().hook.register_commands(cli=click.Group())
    err = capsys.readouterr().err
    assert "[ledgerbridge trace] register_commands -> ['tracer']" in err
    # the type only: an exception's text may hold a secret, and no redactor is at hand
    assert "[ledgerbridge trace] register_commands raised ValueError\n" in err
    assert "no room for commands" not in err


def test_without_trace_plugins_hook_calls_are_silent(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    install("good", GOOD.format(name="good"))
    get_plugin_manager().hook.register_commands(cli=click.Group())
    assert "ledgerbridge trace" not in capsys.readouterr().err


def test_trace_plugins_shows_each_plugins_registration_call(
    install: Install, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ledgerbridge.core.registry import collect

    install("good", GOOD.format(name="good"))
    monkeypatch.setenv("LEDGERBRIDGE_TRACE_PLUGINS", "1")
    comps = collect()
    assert "good" in comps.connectors
    assert "[ledgerbridge trace] register_connectors -> ['good']" in capsys.readouterr().err
