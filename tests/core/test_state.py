from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ledgerbridge.core.errors import LedgerbridgeError
from ledgerbridge.core.state.db import BindingWrite, StateDB
from ledgerbridge.core.state.migrations import SCHEMA_VERSION


def test_new_database_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "s.db")
    assert db.schema_version() == SCHEMA_VERSION
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "outcomes", "bindings", "cursors", "outbox"} <= tables


def test_newer_database_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "s.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(LedgerbridgeError, match="newer than this ledgerbridge"):
        StateDB(tmp_path / "s.db")


def test_record_outcome_is_atomic(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "s.db")
    run = db.start_run("t", "c", started_at="2026-01-01T00:00:00Z")
    db.add_outbox(
        tenant="t",
        connector="c",
        flow="f",
        key="k",
        idempotency_key="i",
        record_hash="h",
        run_id=run,
        at="x",
    )
    with pytest.raises(sqlite3.IntegrityError):  # the outcome insert fails: nothing commits
        db.record_outcome(
            run_id=999,
            tenant="t",
            connector="c",
            flow="f",
            entity="e",
            key="k",
            status="succeeded",
            at="x",
            binding=BindingWrite("s", "e", "k", "R1", "h", None),
            cursor="2026",
            clear_outbox=True,
        )
    assert db.binding("t", "c", "s", "e", "k") is None
    assert db.cursor("t", "c", "f") is None and db.outbox_count("t", "c") == 1


def test_cursor_never_moves_backwards(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "s.db")
    run = db.start_run("t", "c", started_at="x")
    for value in ("2026-02", "2026-01", "2026-03"):
        db.record_outcome(
            run_id=run,
            tenant="t",
            connector="c",
            flow="f",
            entity="e",
            key=value,
            status="skipped",
            at="x",
            cursor=value,
        )
    assert db.cursor("t", "c", "f") == "2026-03"


def test_version_1_database_migrates_keeping_its_data(tmp_path: Path) -> None:
    from ledgerbridge.core.state.migrations import MIGRATIONS

    conn = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    conn.execute("BEGIN")
    MIGRATIONS[0](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO runs (tenant, connector, status, started_at) VALUES ('t', 'c', 'ok', 'x')"
    )
    conn.execute(
        "INSERT INTO outcomes (run_id, flow, entity, key, status, at) "
        "VALUES (1, 'f', 'e', 'k', 'failed', 'x')"
    )
    conn.execute("COMMIT")
    conn.close()
    db = StateDB(tmp_path / "s.db")
    assert db.schema_version() == SCHEMA_VERSION
    assert db.run(1) is not None and db.failed_hash(1, "f", "k") == (True, None)
    assert db.dismissals("t", "c", "f") == {}
