"""The state database read as it is (Datasette, sqlite3): views with the error
fields as columns and dry runs apart; unchanged records counted, not kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ledgerbridge.core.state.db import StateDB
from ledgerbridge.core.state.migrations import MIGRATIONS
from ledgerbridge.core.state.operator_migration import operator_tables_and_views
from tests.core.cli_support import database_before, on_both_databases, operator
from tests.core.memplugin import Scenario


def seed(mem: Scenario, n: int) -> None:
    for i in range(n):
        mem.put(f"k{i}", f"n{i}", f"2026-01-01T00:00:{i:02d}Z")


def read_only(ws: Path) -> sqlite3.Connection:
    """As a viewer opens it: read-only, nothing of ledgerbridge loaded."""
    conn = sqlite3.connect(f"file:{ws / 'state.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def test_open_failures_view_has_the_error_fields_as_columns(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path, tenants=("acme", "beta"))
    seed(mem, 3)
    mem.reject.add("k1")
    op.run("acme")
    op.run("beta")
    mem.reject.clear()
    op.run("beta")  # beta's k1 is sent: no longer open
    rows = [dict(r) for r in read_only(op.ws).execute("SELECT * FROM open_failures")]
    assert rows == [
        {
            "tenant": "acme",
            "connector": "mem",
            "flow": "items",
            "entity": "item",
            "key": "k1",
            "run_id": 1,
            "failed_at": "2026-01-01T00:00:00Z",
            "failing_since": "2026-01-01T00:00:00Z",
            "attempts": 1,
            "message": "name 'n1' is not accepted",
            "field": "name",
            "value": "n1",
            "rule": "must not be rejected",
            "fix": "change the name",
            "retryable": 0,
        }
    ]
    states = read_only(op.ws).execute("SELECT tenant, state FROM failures ORDER BY tenant")
    assert [tuple(r) for r in states] == [("acme", "open"), ("beta", "fixed")]


def test_dry_run_rows_are_told_apart(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    seed(mem, 2)
    mem.reject.add("k1")
    op.run("acme", "--dry-run")
    op.run("acme")
    rows = read_only(op.ws).execute(
        "SELECT dry_run, status, count(*) FROM outcome_details GROUP BY dry_run, status"
    )
    assert sorted(tuple(r) for r in rows) == [
        (0, "failed", 1),
        (0, "succeeded", 1),
        (1, "failed", 1),
        (1, "planned", 1),
    ]
    (fix,) = read_only(op.ws).execute(
        "SELECT fix FROM outcome_details WHERE dry_run = 1 AND fix IS NOT NULL"
    )
    assert fix[0] == "change the name"
    runs = read_only(op.ws).execute("SELECT id, dry_run, duration_seconds FROM run_history")
    assert sorted(tuple(r) for r in runs) == [(1, 1, 0), (2, 0, 0)]
    assert [r[0] for r in read_only(op.ws).execute("SELECT key FROM open_failures")] == ["k1"]


def test_unchanged_records_are_counted_not_kept(
    mem: Scenario, tmp_path: Path, state_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 15-minute schedule re-reading what it sent must not add a row per record."""
    on_both_databases(state_url, monkeypatch)
    op = operator(tmp_path)
    seed(mem, 20)
    op.run()
    for _ in range(5):
        assert op.run("acme", "--full")["skipped"] == 20
    assert op.sql("SELECT count(*) FROM outcomes") == [(20,)]
    counts = op.sql("SELECT run_id, flow, status, action, count FROM outcome_counts")
    assert counts == [(run, "items", "skipped", "unchanged", 20) for run in range(2, 7)]
    assert [r["skipped"] for r in op.json("runs", "--limit", "5")["runs"]] == [20] * 5


def test_an_unchanged_skip_that_closes_a_failure_is_kept(
    mem: Scenario, tmp_path: Path, state_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_both_databases(state_url, monkeypatch)
    op = operator(tmp_path)
    seed(mem, 2)
    op.run()
    mem.put("k0", "changed", "2026-01-02T00:00:00Z")
    mem.reject.add("k0")
    assert op.run()["failed"] == 1
    mem.reject.clear()
    mem.put("k0", "n0", "2026-01-03T00:00:00Z")  # back to what was sent
    assert op.run()["skipped"] == 1
    assert op.sql("SELECT key, status, action FROM outcomes WHERE run_id = 3") == [
        ("k0", "skipped", "unchanged")
    ]
    assert op.json("errors")["errors"] == []
    (k0,) = op.json("errors", "--all")["errors"]
    assert (k0["state"], k0["resolved"]["action"]) == ("skipped", "unchanged")


def test_the_migration_runs_on_a_database_with_history(tmp_path: Path) -> None:
    """Applied after whatever migrations precede it, on a database that has runs."""
    path = tmp_path / "s.db"
    conn = database_before(path, operator_tables_and_views)
    conn.execute(
        "INSERT INTO runs (tenant, connector, status, started_at, ended_at) "
        "VALUES ('t', 'c', 'failed', '2026-01-01T00:00:00Z', '2026-01-01T00:01:30Z')"
    )
    conn.execute(
        "INSERT INTO outcomes (run_id, flow, entity, key, status, error, at) VALUES "
        "(1, 'f', 'e', 'k', 'failed', '{\"message\": \"m\", \"retryable\": true}', 'x')"
    )
    conn.close()
    db = StateDB(path)
    assert db.schema_version() == len(MIGRATIONS)
    row = db.conn.execute("SELECT tenant, key, message, retryable FROM open_failures").fetchone()
    assert row == ("t", "k", "m", 1)
    assert db.conn.execute("SELECT duration_seconds FROM run_history").fetchone() == (90,)


def test_the_views_read_the_same_on_postgresql(
    mem: Scenario, tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator's views in PostgreSQL's dialect: the error's fields as
    columns (retryable 1/0 as in SQLite), durations, dry runs apart."""
    on_both_databases(pg_dsn, monkeypatch)
    op = operator(tmp_path, tenants=("acme", "beta"))
    seed(mem, 3)
    mem.reject.add("k1")
    op.run("acme", "--dry-run")
    op.run("acme")
    op.run("beta")
    mem.reject.clear()
    op.run("beta")
    state = op.state()
    (row,) = state.query("SELECT * FROM open_failures")
    assert (row["tenant"], row["key"], row["attempts"]) == ("acme", "k1", 1)
    assert (row["message"], row["field"], row["value"]) == (
        "name 'n1' is not accepted",
        "name",
        "n1",
    )
    assert (row["rule"], row["fix"], row["retryable"]) == (
        "must not be rejected",
        "change the name",
        0,
    )
    states = state.query("SELECT tenant, state FROM failures ORDER BY tenant")
    assert [(r["tenant"], r["state"]) for r in states] == [("acme", "open"), ("beta", "fixed")]
    dry = state.query(
        "SELECT dry_run, status, count(*) AS n FROM outcome_details "
        "WHERE tenant = 'acme' GROUP BY dry_run, status ORDER BY dry_run, status"
    )
    assert [(r["dry_run"], r["status"], r["n"]) for r in dry] == [
        (0, "failed", 1),
        (0, "succeeded", 2),
        (1, "failed", 1),
        (1, "planned", 2),
    ]
    runs = state.query("SELECT id, dry_run, duration_seconds FROM run_history ORDER BY id")
    assert [(r["id"], r["dry_run"], r["duration_seconds"]) for r in runs] == [
        (1, 1, 0),
        (2, 0, 0),
        (3, 0, 0),
        (4, 0, 0),
    ]
    state.close()
