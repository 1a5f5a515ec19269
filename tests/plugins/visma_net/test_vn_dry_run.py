"""`run --dry-run` against the emulated Visma.net: per record what would be
created, updated (each field that would change, Visma.net's value now ->
Opter's) or left, in text and `--json`, with nothing written."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from e2e_support import MakeEnv, VismaEnv
from vn_builders import Customer, Invoice

from ledgerbridge.core.clock import FakeClock


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.fixture
def env(make_env: MakeEnv) -> VismaEnv:
    return make_env(clock=FakeClock(ts("2024-06-01T10:00:00")))


def plans(summary: Any) -> dict[str, dict[str, Any]]:
    return {p["record"]: p for p in summary.plans}


def test_a_first_dry_run_plans_creates_and_writes_nothing(env: VismaEnv) -> None:
    env.export([Invoice("10023"), Invoice("10024", customer=Customer(code="NEW"))])
    summary = env.run(dry_run=True)
    assert summary.failed == 0, summary.errors
    got = plans(summary)
    assert got["customer ACME"]["verb"] == "create"
    assert got["invoice 10023"] == {
        "flow": "invoices",
        "record": "invoice 10023",
        "verb": "create",
        "changes": [],
        "remote_id": None,
        "note": "a new invoice for customer ACME, 1 row, SEK",
    }
    assert env.writes() == []


def test_an_update_lists_each_field_that_would_change_old_to_new(env: VismaEnv) -> None:
    env.export([Invoice("10023", customer=Customer(changed="2024-06-01T09:00:00"))])
    assert env.run().failed == 0
    env.clock.advance(3600)
    moved = Customer(name="Åkeri Öst Väst AB", city="Borås", changed="2024-06-01T10:30:00")
    env.export([Invoice("10024", customer=moved)])
    writes = len(env.writes())
    summary = env.run(dry_run=True)
    assert summary.failed == 0, summary.errors
    plan = plans(summary)["customer ACME"]
    assert plan["verb"] == "update" and plan["remote_id"] == "ACME"
    assert plan["changes"] == [
        {"field": "name", "old": "Åkeri Öst AB", "new": "Åkeri Öst Väst AB"},
        {"field": "mainAddress.city", "old": "Göteborg", "new": "Borås"},
        {"field": "mainContact.name", "old": "Åkeri Öst AB", "new": "Åkeri Öst Väst AB"},
    ]
    assert plans(summary)["invoice 10024"]["verb"] == "create"
    assert len(env.writes()) == writes  # a dry run writes nothing
    real = env.run()
    assert real.flows[0].updated == 1
    assert env.state.customers.get("ACME")["name"] == "Åkeri Öst Väst AB"


def test_a_customer_visma_net_changed_later_is_left_with_the_reason(env: VismaEnv) -> None:
    env.export([Invoice("10023", customer=Customer(changed="2024-06-01T09:00:00"))])
    env.run()
    edited = {
        **env.state.customers.get("ACME"),
        "name": "Edited in Visma.net",
        "lastModifiedDateTime": "2024-06-01T11:30:00Z",
    }
    env.state.customers.put("ACME", edited)
    env.clock.advance(3 * 3600)
    env.export([Invoice("10024", customer=Customer(name="Older", changed="2024-06-01T11:00:00"))])
    plan = plans(env.run(dry_run=True))["customer ACME"]
    assert plan["verb"] == "leave unchanged"
    assert plan["note"] == (
        "Visma.net changed it at 2024-06-01T11:30:00Z, after Opter did; Visma.net's version is kept"
    )


def test_the_cli_prints_the_plan_per_record_and_as_json(env: VismaEnv, lb_cli: Any) -> None:
    env.sandbox.serve()
    env.configure()
    env.export([Invoice("10023", customer=Customer(changed="2024-06-01T09:00:00"))])
    assert lb_cli("run", "acme", "visma_net").exit_code == 0
    env.export([Invoice("10024", customer=Customer(city="Borås", changed="2030-01-01T00:00:00"))])
    text = lb_cli("run", "acme", "visma_net", "--dry-run")
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[:5] == [
        "  customers:",
        "    update customer ACME:",
        "      mainAddress.city 'Göteborg' -> 'Borås'",
        "  invoices:",
        "    create invoice 10024: a new invoice for customer ACME, 1 row, SEK",
    ]
    assert "  customers: would update 1; 0 failed, 0 unchanged" in lines
    out = json.loads(lb_cli("run", "acme", "visma_net", "--dry-run", "--json").output)
    (run,) = out["runs"]
    assert [p["verb"] for p in run["plans"]] == ["update", "create"]
    assert run["plans"][0]["changes"] == [
        {"field": "mainAddress.city", "old": "Göteborg", "new": "Borås"}
    ]
    assert run["plans_not_shown"] == 0
