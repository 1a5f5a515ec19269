"""The Visma.net targets other connectors reuse (journal transactions and
inventory items), exercised as a third-party plugin would: a connector of its
own, building its flows from the registered targets, run by the engine
against the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledgerbridge import Connector, Flow, Record, hookimpl
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.sandbox import Sandbox
from ledgerbridge.plugins.visma_net.emulator.testing import connection, make_sandbox
from ledgerbridge.plugins.visma_net.ledger_targets import InventoryPayload, JournalPayload
from ledgerbridge.testing import ConnectorRunner, PluginRegistrar, TenantFactory

JOURNALS: list[dict[str, Any]] = []
ITEMS: list[dict[str, Any]] = []


def v(x: Any) -> dict[str, Any]:
    return {"value": x}


class ListSource:
    def __init__(self, entity: str, rows: list[dict[str, Any]]) -> None:
        self.entity, self.rows = entity, rows

    def read(self, since: str | None) -> Iterator[Record]:
        for row in self.rows:
            if since is None or row["changed"] > since:
                yield Record(self.entity, row["key"], row, row["changed"])


class JournalMapper:
    def map(self, record: Record) -> JournalPayload:
        d = record.data
        lines = [
            {
                "operation": "Insert",
                "accountNumber": v(acct),
                "debitAmountInCurrency": v(debit),
                "creditAmountInCurrency": v(credit),
                "transactionDescription": v(text),
            }
            for acct, debit, credit, text in d["lines"]
        ]
        body = {
            "transactionDate": v(d["date"] + "T00:00:00"),
            "financialPeriod": v(d["period"]),
            "journalTransactionLines": lines,
        }
        return JournalPayload(f"payroll {record.key}", body, d["period"])


class ItemMapper:
    def map(self, record: Record) -> InventoryPayload:
        d = record.data
        return InventoryPayload(
            record.key,
            {"description": v(d["name"]), "status": v("Active"), "defaultPrice": v(d["price"])},
        )


class Plugin:
    @hookimpl
    def register_connectors(self, register: Any) -> None:
        def flows(ctx: RunContext) -> list[Flow]:
            # another plugin's targets, reached through the run context
            return [
                Flow(
                    "journals",
                    "journal",
                    ListSource("journal", JOURNALS),
                    JournalMapper(),
                    ctx.target("visma_net.journal_transactions"),
                ),
                Flow(
                    "items",
                    "item",
                    ListSource("item", ITEMS),
                    ItemMapper(),
                    ctx.target("visma_net.inventory"),
                ),
            ]

        schema = {
            "type": "object",
            "properties": {
                "apiBaseUrl": {"type": "string"},
                "tokenUrl": {"type": "string"},
                "clientId": {"type": "string"},
                "clientSecret": {"x-secret": True},
                "tenantId": {"x-secret": True},
            },
        }
        register(Connector("ledgerdemo", "GL demo", schema, build_flows=flows))


@pytest.fixture
def env(lb_plugin: PluginRegistrar, lb_tenant: TenantFactory) -> Sandbox:
    JOURNALS.clear()
    ITEMS.clear()
    lb_plugin(Plugin(), "ledgerdemo")
    sandbox, _ = make_sandbox()
    conn = connection(sandbox)
    lb_tenant(
        "acme",
        connector="ledgerdemo",
        secrets={"cs": conn["clientSecret"], "tid": conn["tenantId"]},
        config={
            "apiBaseUrl": conn["apiBaseUrl"],
            "tokenUrl": conn["tokenUrl"],
            "clientId": conn["clientId"],
            "clientSecret": {"secret": "cs"},
            "tenantId": {"secret": "tid"},
        },
    )
    return sandbox


def journal(key: str, debit: float = 1000.0, credit: float = 1000.0) -> dict[str, Any]:
    return {
        "key": key,
        "changed": f"2024-03-31T00:00:00Z#{key}",  # unique per record, as Sources must be
        "date": "2024-03-31",
        "period": "202403",
        "lines": [("7010", debit, 0.0, "Salaries"), ("2710", 0.0, credit, "Tax withheld")],
    }


def run(lb_run: ConnectorRunner, sandbox: Sandbox, **kw: Any) -> Any:
    return lb_run("acme", "ledgerdemo", transport=sandbox.transport(), **kw)


def test_journal_transactions_are_sent_once_and_found_after_a_lost_answer(
    env: Sandbox, lb_run: ConnectorRunner
) -> None:
    JOURNALS.extend([journal("2024-03 run 1"), journal("2024-03 run 2")])
    env.faults.add("POST /v2/journaltransaction: drop-after @2")
    first = run(lb_run, env)
    assert (first.succeeded, first.failed) == (1, 1)
    second = run(lb_run, env)
    assert (second.succeeded, second.failed) == (1, 0)
    posted = env.journal.find(method="POST", path="/v2/journaltransaction")
    assert len(posted) == 2  # the dropped one was found by its description, not resent
    assert run(lb_run, env, full=True).skipped == 2


def test_a_journal_whose_create_may_still_be_in_flight_is_not_resent_at_once(
    env: Sandbox, lb_run: ConnectorRunner, lb_clock: Any
) -> None:
    """The answer was lost before Visma.net showed the journal: within the
    request timeout plus 30 s a lookup finding nothing is not trusted."""
    JOURNALS.append(journal("2024-03 run 1"))
    env.faults.add("POST /v2/journaltransaction: timeout x1")
    assert run(lb_run, env).failed == 1
    (waiting,) = run(lb_run, env).errors
    assert "may still be in progress" in waiting["error"] and waiting["retryable"] is True
    assert len(env.journal.find(method="POST", path="/v2/journaltransaction")) <= 1
    lb_clock.advance(60 + 30)
    assert run(lb_run, env).succeeded == 1


def test_unbalanced_journal_fails_alone_with_visma_nets_reason(
    env: Sandbox, lb_run: ConnectorRunner
) -> None:
    JOURNALS.extend([journal("bad", credit=900.0), journal("good")])
    s = run(lb_run, env)
    assert (s.succeeded, s.failed) == (1, 1)
    err = s.errors[0]
    assert (
        err["record"] == "journal bad" and "Visma.net refused journal payroll bad" in err["message"]
    )


def test_changed_journal_is_refused_not_resent(env: Sandbox, lb_run: ConnectorRunner) -> None:
    JOURNALS.append(journal("2024-03 run 1"))
    run(lb_run, env)
    JOURNALS[0] = {**journal("2024-03 run 1", 1200.0, 1200.0), "changed": "2024-04-02T00:00:00Z"}
    s = run(lb_run, env)
    assert s.failed == 1 and "sent once" in s.errors[0]["message"]


def test_inventory_items_are_created_then_updated(env: Sandbox, lb_run: ConnectorRunner) -> None:
    ITEMS.append({"key": "KAFFE", "name": "Kaffe", "price": 35.0, "changed": "2024-01-01"})
    assert run(lb_run, env).flows[1].created == 1
    ITEMS[0] = {**ITEMS[0], "price": 39.0, "changed": "2024-02-01"}
    s = run(lb_run, env)
    assert s.flows[1].updated == 1
    puts = env.journal.find(method="PUT", path="/v1/inventory/KAFFE")
    assert len(puts) == 1
