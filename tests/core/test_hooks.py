"""One test per hook: a throwaway plugin implements it and its effect is checked.

test_docs.py makes sure every hookspec is implemented somewhere under tests/;
this file is where each one is, next to the connector the hooks act on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import click
import pytest

from ledgerbridge import Connector, Flow, Record, RecordError, WriteResult, hookimpl
from ledgerbridge.core.components import Mapper, Source, Target
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.engine.drafts import RecordDraft
from ledgerbridge.core.engine.summary import RunSummary
from ledgerbridge.core.plugins import get_plugin_manager
from ledgerbridge.core.registry import collect
from ledgerbridge.core.sandbox.emulator import Emulator, EmulatorOptions, collect_emulators
from ledgerbridge.core.state.db import StateDB
from ledgerbridge.core.systems import System
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.testing import CliInvoker, ConnectorRunner, PluginRegistrar, TenantFactory

NAMES = {"a": "Ada", "b": "Bo", "c": ""}  # c has no name: the mapper refuses it


class ListSource:
    def read(self, since: str | None) -> Iterator[Record]:
        for day, (key, name) in enumerate(NAMES.items(), start=1):
            yield Record("item", key, {"name": name}, f"2026-01-0{day}T00:00:00Z")


class NameMapper:
    def map(self, record: Record) -> dict[str, Any]:
        if not record.data["name"]:
            raise RecordError(
                f"item {record.key} has no name", field="name", rule="required", fix="add one"
            )
        return {"ref": record.key, "name": record.data["name"]}


class DictTarget:
    system = "dict"

    def __init__(self) -> None:
        self.docs: dict[str, Any] = {}

    def write(self, payload: Any, record: Record, binding: Any) -> WriteResult:
        self.docs[record.key] = payload
        return WriteResult(record.key, "updated" if binding else "created")

    def lookup(self, payload: Any, record: Record) -> WriteResult | None:
        return WriteResult(record.key, "unchanged") if record.key in self.docs else None


class Tiny:
    """A connector `tiny` whose target keeps what it receives in `self.target`."""

    def __init__(self) -> None:
        self.target = DictTarget()

    def flows(self, context: RunContext) -> list[Flow]:
        return [Flow("items", "item", ListSource(), NameMapper(), self.target)]

    @hookimpl
    def register_connectors(self, register: Callable[[Connector], None]) -> None:
        register(Connector("tiny", "Tiny", {"type": "object"}, build_flows=self.flows))


@pytest.fixture
def tiny(lb_plugin: PluginRegistrar, lb_tenant: TenantFactory) -> Tiny:
    plugin = Tiny()
    lb_plugin(plugin)
    lb_tenant("acme", connector="tiny", config={})
    return plugin


class Spy:
    """Records every pipeline hook call with the arguments that matter."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    @hookimpl
    def run_started(self, context: RunContext, run_id: int) -> None:
        self.calls.append(("run_started", context.tenant, context.connector, run_id))

    @hookimpl
    def record_written(self, record: Record, result: Any, flow: Flow, context: RunContext) -> None:
        self.calls.append(("record_written", record.key, result, flow.name, context.tenant))

    @hookimpl
    def record_failed(
        self, record: Record, error: RecordError, flow: Flow, context: RunContext
    ) -> None:
        self.calls.append(("record_failed", record.key, error.message, flow.name, context.tenant))

    @hookimpl
    def run_ended(self, context: RunContext, summary: RunSummary) -> None:
        self.calls.append(("run_ended", context.tenant, summary))

    def named(self, hook: str) -> list[tuple[Any, ...]]:
        return [c[1:] for c in self.calls if c[0] == hook]


def test_register_connectors_makes_a_connector_enableable(tiny: Tiny, lb_cli: CliInvoker) -> None:
    assert collect().connector("tiny").title == "Tiny"
    assert "Tiny" in lb_cli("connectors").output


def test_register_sources_mappers_targets_make_components_buildable(
    lb_plugin: PluginRegistrar,
) -> None:
    class Components:
        @hookimpl
        def register_sources(self, register: Callable[[str, Callable[..., Source]], None]) -> None:
            register("list", ListSource)

        @hookimpl
        def register_mappers(self, register: Callable[[str, Callable[..., Mapper]], None]) -> None:
            register("name", NameMapper)

        @hookimpl
        def register_targets(self, register: Callable[[str, Callable[..., Target]], None]) -> None:
            register("dict", DictTarget)

    lb_plugin(Components())
    comps = collect()
    assert isinstance(comps.source("list"), ListSource)
    assert isinstance(comps.mapper("name"), NameMapper)
    target = comps.target("dict")
    assert isinstance(target, DictTarget) and isinstance(target, Target)


def test_register_commands_adds_a_command(lb_plugin: PluginRegistrar, lb_cli: CliInvoker) -> None:
    class Commands:
        @hookimpl
        def register_commands(self, cli: click.Group) -> None:
            @cli.command()
            def wave() -> None:
                """Wave at the operator."""
                click.echo("o/")

    lb_plugin(Commands())
    assert "Wave at the operator." in lb_cli("--help").output
    assert lb_cli("wave").output == "o/\n"


def test_prepare_record_changes_data_and_can_skip(
    tiny: Tiny, lb_plugin: PluginRegistrar, lb_run: ConnectorRunner, lb_workspace: Workspace
) -> None:
    class Shout:
        @hookimpl
        def prepare_record(self, draft: RecordDraft, flow: Flow, context: RunContext) -> None:
            draft.data["name"] = draft.data["name"].upper()
            if draft.key == "b":
                draft.skip("b is on hold")

    lb_plugin(Shout())
    summary = lb_run("acme", "tiny")
    assert tiny.target.docs == {"a": {"ref": "a", "name": "ADA"}}
    assert (summary.succeeded, summary.skipped, summary.failed) == (1, 1, 1)
    state = StateDB(lb_workspace.db_path)
    try:
        (skipped,) = state.outcomes(summary.run_id, status="skipped")
    finally:
        state.close()
    assert (skipped.key, skipped.action, skipped.error) == (
        "b",
        "excluded",
        {"message": "b is on hold"},
    )


def test_record_written_and_record_failed_get_the_record_and_its_outcome(
    tiny: Tiny, lb_plugin: PluginRegistrar, lb_run: ConnectorRunner
) -> None:
    spy = Spy()
    lb_plugin(spy)
    lb_run("acme", "tiny")
    assert spy.named("record_written") == [
        ("a", WriteResult("a", "created"), "items", "acme"),
        ("b", WriteResult("b", "created"), "items", "acme"),
    ]
    assert spy.named("record_failed") == [("c", "item c has no name", "items", "acme")]


def test_run_started_and_run_ended_bracket_the_run(
    tiny: Tiny, lb_plugin: PluginRegistrar, lb_run: ConnectorRunner
) -> None:
    spy = Spy()
    lb_plugin(spy)
    summary = lb_run("acme", "tiny")
    assert spy.calls[0] == ("run_started", "acme", "tiny", summary.run_id)
    assert spy.calls[-1] == ("run_ended", "acme", summary)
    assert summary.status == "failed"  # c failed; run_ended sees the final status


def test_register_emulators_makes_an_emulator_available(lb_plugin: PluginRegistrar) -> None:
    def echo_app(options: EmulatorOptions) -> Any:
        def app(environ: Any, start_response: Any) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"echo"]

        return app

    echo = Emulator("echo", "/echo", echo_app, "answers every request with 'echo'")

    class Emulators:
        @hookimpl
        def register_emulators(self, register: Callable[[Emulator], None]) -> None:
            register(echo)

    lb_plugin(Emulators())
    errors: list[str] = []
    found = collect_emulators(get_plugin_manager(), on_error=lambda name, exc: errors.append(name))
    assert echo in found
    assert not [name for name in errors if name.startswith("Emulators")]


def test_register_systems_makes_a_system_connectable(
    lb_plugin: PluginRegistrar, lb_cli: CliInvoker, lb_workspace: Workspace, tmp_path: Any
) -> None:
    echo = System("echo", "Echo API", {"type": "object", "properties": {"url": {"type": "string"}}})

    class Systems:
        @hookimpl
        def register_systems(self, register: Callable[[System], None]) -> None:
            register(echo)

    class Clash:
        @hookimpl
        def register_systems(self, register: Callable[[System], None]) -> None:
            register(System("echo", "Another echo", {"type": "object"}))

    lb_plugin(Systems())
    lb_plugin(Clash())
    comps = collect()
    assert comps.systems["echo"] is echo
    assert any("system 'echo' is already registered" in p for p in comps.problems)
    lb_workspace.add_tenant("acme")
    settings = tmp_path / "echo.json"
    settings.write_text('{"url": "https://echo.example"}', encoding="utf-8")
    added = lb_cli("connection", "add", "acme", "e", "--system", "echo", "--config", str(settings))
    assert added.exit_code == 0, added.output
    tested = lb_cli("connection", "test", "acme", "e")
    assert tested.exit_code == 0 and "echo has no connection test" in tested.output
