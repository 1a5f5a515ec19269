"""`ledgerbridge state migrate`: a workspace's SQLite state moved into
PostgreSQL without loss, counted per table; a non-empty target refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ledgerbridge.core.state.db import open_state
from ledgerbridge.core.state.location import state_location
from tests.core.cli_support import on_both_databases, operator
from tests.core.memplugin import Scenario

V2_DB = Path(__file__).parent / "data" / "state-v2.db"


def seed(mem: Scenario, n: int) -> None:
    for i in range(n):
        mem.put(f"k{i}", f"n{i}", f"2026-01-01T00:00:{i:02d}Z")


def test_a_workspace_moves_into_postgresql_and_runs_on_from_there(
    mem: Scenario, tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_both_databases(None, monkeypatch)
    op = operator(tmp_path)
    seed(mem, 4)
    mem.reject.add("k1")
    op.run()
    assert op.run("acme", "--full")["skipped"] == 3  # counted, not kept
    assert op("dismiss", "1", "k1", "--reason", "not ours").exit_code == 0
    out = op("state", "migrate", "--to", pg_dsn, "--json")
    assert out.exit_code == 0, out.output
    tables = {t["table"]: t for t in json.loads(out.output)["tables"]}
    assert all(t["source"] == t["target"] for t in tables.values())
    assert (tables["runs"]["target"], tables["outcome_counts"]["target"]) == (2, 1)
    assert tables["link_sides"]["target"] == 6 and tables["dismissal_events"]["target"] == 1
    assert tables["outcomes"]["target"] == 5  # 4, and k1 failing again

    on_both_databases(pg_dsn, monkeypatch)  # the workers now use PostgreSQL
    mem.reject.clear()
    assert op.json("errors")["errors"] == []  # the dismissal came over
    assert op.json("runs")["runs"][0]["id"] == 2
    summary = op.run("acme", "--full")
    assert (summary["run_id"], summary["succeeded"], summary["skipped"]) == (3, 0, 4)
    assert len(mem.remote) == 3  # nothing sent twice: the links came over
    assert op.json("status")["status"][0]["last_run"]["id"] == 3


def test_the_released_v2_state_moves_with_its_bindings(tmp_path: Path, pg_dsn: str) -> None:
    shutil.copy(V2_DB, tmp_path / "s.db")
    op = operator(tmp_path, tenants=())
    out = op("state", "migrate", "--from", f"sqlite:///{tmp_path / 's.db'}", "--to", pg_dsn)
    assert out.exit_code == 0, out.output
    assert "Every table counted the same on both sides" in out.output
    state = open_state(state_location(tmp_path, pg_dsn))
    inv = state.bindings("acme", "visma_net").get("visma_net", "invoice", "10023")
    assert inv is not None and inv.remote_id == "INV-10023" and inv.hash == "h2"
    assert state.cursor("acme", "visma_net", "invoices") == "2026-11-30T09:00:03Z#10024"
    assert state.outbox_entry("acme", "visma_net", "invoices", "10025") is not None
    assert state.dismissals("acme", "visma_net", "invoices") == {"10026": "h26"}
    new_run = state.start_run("acme", "visma_net", started_at="2026-12-01T00:00:00Z")
    assert new_run > max(r.id for r in state.runs(limit=100) if r.id != new_run)
    state.close()


def test_a_target_with_records_is_refused_unless_replaced(
    mem: Scenario, tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_both_databases(None, monkeypatch)
    op = operator(tmp_path)
    seed(mem, 2)
    op.run()
    assert op("state", "migrate", "--to", pg_dsn).exit_code == 0
    op.run("acme", "--full")
    again = op("state", "migrate", "--to", pg_dsn)
    assert again.exit_code != 0
    assert "already holds records (runs: 1" in again.output and "--replace" in again.output
    out = op("state", "migrate", "--to", pg_dsn, "--replace", "--json")
    assert out.exit_code == 0, out.output
    runs = next(t for t in json.loads(out.output)["tables"] if t["table"] == "runs")
    assert (runs["source"], runs["target"], runs["replaced"]) == (2, 2, 1)


def test_wrong_kinds_of_location_are_refused(tmp_path: Path) -> None:
    op = operator(tmp_path, tenants=())
    out = op("state", "migrate", "--to", f"sqlite:///{tmp_path / 'other.db'}")
    assert out.exit_code != 0 and "--to must be a PostgreSQL state" in out.output
    out = op("state", "migrate", "--from", "postgresql://u:pw@h/db", "--to", "postgresql://h/db")
    assert out.exit_code != 0 and "--from must be a SQLite state" in out.output
    assert "pw" not in out.output
    out = op(
        "state",
        "migrate",
        "--from",
        f"sqlite:///{tmp_path / 'none.db'}",
        "--to",
        "postgresql://h/d",
    )
    assert out.exit_code != 0 and "There is no SQLite state at" in out.output
