"""Customer updates on the two-way core: our own write no longer hides a later
Opter change, and a change made in Visma.net after ours still wins over an
older Opter change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from e2e_support import VismaEnv, new_env
from vn_builders import Customer, Invoice

from ledgerbridge.core.clock import FakeClock


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.fixture
def env(lb_workspace: Any, lb_tenant: Any, lb_run: Any, tmp_path: Path) -> Iterator[VismaEnv]:
    clock = FakeClock(ts("2024-06-01T10:00:00"))
    yield new_env(lb_workspace, lb_tenant, lb_run, clock, tmp_path / "export")


def export_acme(env: VismaEnv, number: str, name: str, changed: str) -> None:
    env.export([Invoice(number, customer=Customer(name=name, changed=changed))])


def customer_puts(env: VismaEnv) -> int:
    return len(env.sandbox.journal.find(method="PUT", path="/v1/customer/ACME"))


def test_an_opter_change_made_before_our_write_is_still_sent(env: VismaEnv) -> None:
    export_acme(env, "10023", "Åkeri Öst AB", "2024-06-01T09:00:00")
    assert env.run().flows[0].created == 1  # Visma.net's stamp is now 10:00, our write
    env.clock.advance(3600)
    # changed in Opter at 09:30, before our write, exported only now
    export_acme(env, "10024", "Åkeri Öst Sverige AB", "2024-06-01T09:30:00")
    summary = env.run()
    assert summary.flows[0].updated == 1, summary.errors
    assert env.state.customers.get("ACME")["name"] == "Åkeri Öst Sverige AB"
    assert customer_puts(env) == 1


def test_a_change_in_visma_net_after_ours_wins_over_an_older_opter_change(
    env: VismaEnv,
) -> None:
    export_acme(env, "10023", "Åkeri Öst AB", "2024-06-01T09:00:00")
    env.run()
    edited = {
        **env.state.customers.get("ACME"),
        "name": "Åkeri Öst (edited in Visma.net)",
        "lastModifiedDateTime": "2024-06-01T11:30:00Z",
    }
    env.state.customers.put("ACME", edited)  # a user's edit in Visma.net
    env.clock.advance(3 * 3600)
    export_acme(env, "10024", "Åkeri Öst Norr AB", "2024-06-01T11:00:00")
    summary = env.run()
    assert (summary.flows[0].updated, summary.failed) == (0, 0)
    assert env.state.customers.get("ACME")["name"] == edited["name"]
    assert customer_puts(env) == 0
    # an Opter change after Visma.net's is sent
    export_acme(env, "10025", "Åkeri Öst Syd AB", "2024-06-01T12:00:00")
    summary = env.run()
    assert summary.flows[0].updated == 1
    assert env.state.customers.get("ACME")["name"] == "Åkeri Öst Syd AB"
