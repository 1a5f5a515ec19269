"""A mapper may leave a record out by rule (`SkipRecord`): it is skipped, not
failed, with the reason in state and in the run's summary (a credit invoice
a connector does not transfer), and the cursor moves past it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ledgerbridge import Connector, Flow, Record, WriteResult, hookimpl
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.errors import SkipRecord
from ledgerbridge.core.state.db import StateDB
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.testing import CliInvoker, ConnectorRunner, PluginRegistrar, TenantFactory

ROWS = {"a": False, "b": True, "c": False}  # b is a credit: left out by rule


class Source:
    def read(self, since: str | None) -> Iterator[Record]:
        for day, (key, credit) in enumerate(ROWS.items(), start=1):
            stamp = f"2026-01-0{day}T00:00:00Z"
            if since is None or stamp >= since:
                yield Record("invoice", key, {"credit": credit}, stamp)


class Mapper:
    def map(self, record: Record) -> dict[str, Any]:
        if record.data["credit"]:
            raise SkipRecord("credit invoices are not transferred; credit it by hand")
        return {"key": record.key}


class Target:
    system = "books"

    def __init__(self) -> None:
        self.docs: dict[str, Any] = {}

    def write(self, payload: Any, record: Record, binding: Any) -> WriteResult:
        self.docs[record.key] = payload
        return WriteResult(record.key, "created")

    def lookup(self, payload: Any, record: Record) -> WriteResult | None:
        return None


class Skipper:
    def __init__(self) -> None:
        self.target = Target()

    def flows(self, context: RunContext) -> list[Flow]:
        return [Flow("invoices", "invoice", Source(), Mapper(), self.target)]

    @hookimpl
    def register_connectors(self, register: Callable[[Connector], None]) -> None:
        register(Connector("skipper", "Skipper", {"type": "object"}, build_flows=self.flows))


@pytest.fixture
def skipper(lb_plugin: PluginRegistrar, lb_tenant: TenantFactory) -> Skipper:
    plugin = Skipper()
    lb_plugin(plugin)
    lb_tenant("acme", connector="skipper", config={})
    return plugin


def test_a_record_skipped_by_rule_is_recorded_with_its_reason_and_passed(
    skipper: Skipper, lb_run: ConnectorRunner, lb_workspace: Workspace
) -> None:
    summary = lb_run("acme", "skipper")
    assert summary.status == "succeeded"
    assert (summary.succeeded, summary.skipped, summary.failed) == (2, 1, 0)
    assert set(skipper.target.docs) == {"a", "c"}
    assert summary.excluded == [
        {
            "flow": "invoices",
            "record": "invoice b",
            "reason": "credit invoices are not transferred; credit it by hand",
        }
    ]
    state = StateDB(lb_workspace.db_path)
    try:
        (skipped,) = state.outcomes(summary.run_id, status="skipped")
        cursor = state.cursor("acme", "skipper", "invoices")
    finally:
        state.close()
    assert (skipped.key, skipped.action) == ("b", "excluded")
    assert skipped.error == {"message": "credit invoices are not transferred; credit it by hand"}
    assert cursor == "2026-01-03T00:00:00Z"  # past b: it does not hold the cursor back


def test_the_summary_line_names_what_was_skipped_and_why(
    skipper: Skipper, lb_cli: CliInvoker
) -> None:
    result = lb_cli("run", "acme", "skipper")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        "  skipped invoice b (invoices): credit invoices are not transferred; credit it by hand"
        in lines
    )
    assert "2 succeeded, 0 failed, 1 skipped" in lines[-1] and lines[-1].startswith("✔")
