from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledgerbridge.core.errors import LedgerbridgeError
from ledgerbridge.core.state.db import BindingWrite, StateDB, open_state
from ledgerbridge.core.state.location import state_location
from ledgerbridge.core.state.migrations import SCHEMA_VERSION


@pytest.fixture
def db(tmp_path: Path, state_url: str | None) -> Iterator[StateDB]:
    """A new state database: SQLite, then PostgreSQL."""
    state = open_state(state_location(tmp_path, state_url))
    yield state
    state.close()


def test_new_database_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "s.db")
    assert db.schema_version() == SCHEMA_VERSION
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "outcomes", "links", "link_sides", "cursors", "outbox"} <= tables
    assert "bindings" not in tables


def test_newer_database_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "s.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(LedgerbridgeError, match="newer than this ledgerbridge"):
        StateDB(tmp_path / "s.db")


def test_record_outcome_is_atomic(db: StateDB) -> None:
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
    with pytest.raises(db.IntegrityError):  # the outcome insert fails: nothing commits
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


def test_cursor_never_moves_backwards(db: StateDB) -> None:
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


V2_DB = Path(__file__).parent / "data" / "state-v2.db"


def test_version_2_database_made_by_the_released_code_keeps_every_binding(
    tmp_path: Path,
) -> None:
    """data/state-v2.db was written by the released (schema v2) code with
    data/make_state_v2.py: bindings of two tenants, a key that needs URL
    escaping, a pending intent, a dismissed failure and cursors."""
    import shutil

    shutil.copy(V2_DB, tmp_path / "s.db")
    db = StateDB(tmp_path / "s.db")
    assert db.schema_version() == SCHEMA_VERSION
    vn = db.bindings("acme", "visma_net")
    assert vn.count() == 4
    inv = vn.get("visma_net", "invoice", "10023")
    assert inv is not None and inv.remote_id == "INV-10023" and inv.hash == "h2"
    assert inv.remote_updated_at == "2026-11-30T10:00:03Z"
    odd = vn.get("visma_net", "customer", "C/2 %")
    assert odd is not None and odd.remote_id == "10002"
    assert vn.by_remote("visma_net", "invoice", "INV-10024").local_key == "10024"
    link = db.links("acme", "visma_net").find("source", "customer", "C1")
    assert link is not None and {s.system for s in link.sides} == {"source", "visma_net"}
    hello = db.bindings("beta", "hello").get("hello_outbox", "contact", "7")
    assert hello is not None and hello.remote_id == "7.json"
    assert db.cursor("acme", "visma_net", "invoices") == "2026-11-30T09:00:03Z#10024"
    assert db.cursor("beta", "hello", "greetings") == "2026-01-01"
    assert db.outbox_entry("acme", "visma_net", "invoices", "10025")["record_hash"] == "h25"
    assert db.dismissals("acme", "visma_net", "invoices") == {"10026": "h26"}
    assert db.run(1) is not None and db.run(1).succeeded == 5


def _outcome(run: int, key: str, **more: object) -> dict[str, object]:
    return {
        "run_id": run,
        "tenant": "t",
        "connector": "c",
        "flow": "f",
        "entity": "e",
        "key": key,
        "status": "succeeded",
        "at": "2026-01-01T00:00:00Z",
        **more,
    }


def test_a_group_of_outcomes_commits_whole_or_not_at_all(db: StateDB) -> None:
    run = db.start_run("t", "c", started_at="2026-01-01T00:00:00Z")
    good = _outcome(run, "k1", cursor="2026-01", link_sides=None)
    good.pop("link_sides")
    with pytest.raises(db.IntegrityError):
        db.record_outcomes([good, _outcome(999, "k2", cursor="2026-02")])
    assert list(db.outcomes(run)) == [] and db.cursor("t", "c", "f") is None
    db.record_outcomes([good, _outcome(run, "k2", cursor="2026-02")])
    assert [o.key for o in db.outcomes(run)] == ["k1", "k2"]
    assert db.cursor("t", "c", "f") == "2026-02"


def test_a_group_of_intents_commits_together_and_replaces_older_ones(db: StateDB) -> None:
    run = db.start_run("t", "c", started_at="x")
    intent = {"tenant": "t", "connector": "c", "flow": "f", "run_id": run, "at": "x"}
    db.add_outboxes(
        [{**intent, "key": k, "idempotency_key": f"i{k}", "record_hash": "h"} for k in "ab"]
    )
    db.add_outbox(**intent, key="a", idempotency_key="again", record_hash="h2")
    assert db.outbox_keys("t", "c", "f") == {"a", "b"}
    entry = db.outbox_entry("t", "c", "f", "a")
    assert entry is not None and (entry["idempotency_key"], entry["record_hash"]) == ("again", "h2")


def test_keys_and_cursors_compare_byte_by_byte(db: StateDB) -> None:
    """As SQLite's BINARY: "B" before "a", whatever the server's locale."""
    run = db.start_run("t", "c", started_at="x")
    for key in ("a", "B", "_z"):
        db.record_outcome(**_outcome(run, key, cursor=key))
        db.record_outcome(**_outcome(run, key, cursor=key, partition=key))
    assert list(db.partition_cursors("t", "c", "f")) == ["", "B", "_z", "a"]
    assert db.cursor("t", "c", "f") == "a"  # "B" and "_z" sort before "a": it stays


def test_links_and_dismissals_on_either_database(db: StateDB) -> None:
    from ledgerbridge.core.state import dismissals, history
    from ledgerbridge.core.state.links import SideWrite

    run = db.start_run("t", "c", started_at="2026-01-01T00:00:00Z")
    db.record_outcome(
        **_outcome(run, "C1", binding=BindingWrite("vn", "customer", "C1", "10001", "h", "v1"))
    )
    sides = (SideWrite("pm", "customer", "77"), SideWrite("vn", "customer", "10001"))
    link_id = db.set_link("t", "c", "customer", sides, "x")
    link = db.links("t", "c").find("pm", "customer", "77")
    assert link is not None and link.id == link_id
    assert {s.system for s in link.sides} == {"vn", "pm"}  # vn left its link with source
    assert db.links("t", "c").find("source", "customer", "C1") is None
    db.record_outcome(**_outcome(run, "bad", status="failed", error={"message": "m"}, hash="h9"))
    decision = dismissals.Decision("ops", "not ours", "2026-01-02T00:00:00Z")
    dismissals.dismiss(
        db, tenant="t", connector="c", flow="f", key="bad", hash="h9", run_id=run, decision=decision
    )
    dismissals.dismiss(
        db, tenant="t", connector="c", flow="f", key="bad", hash="h9", run_id=run, decision=decision
    )
    assert db.dismissals("t", "c", "f") == {"bad": "h9"}
    (failure,) = history.failures(db, open_only=False)
    assert (failure.key, failure.state, failure.dismissal["by"]) == ("bad", "dismissed", "ops")
    assert len(history.dismissal_events(db)) == 2
    assert dismissals.undo(db, tenant="t", connector="c", flow="f", key="bad", decision=decision)
    assert dismissals.reread_due(db, "t", "c", "f")
    assert db.unset_link("t", "c", SideWrite("pm", "customer", "77")) == 2  # and its last side


def test_a_newer_postgresql_state_is_refused(pg_dsn: str, tmp_path: Path) -> None:
    from ledgerbridge.core.postgres.state import PgStateDB

    state = PgStateDB(pg_dsn)
    assert state.schema_version() == SCHEMA_VERSION
    tables = {
        r[0]
        for r in state.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    }
    assert {"runs", "outcomes", "links", "link_sides", "cursors", "outbox"} <= tables
    assert {"open_failures", "failures", "run_history", "outcome_details"} <= tables
    assert "bindings" not in tables
    state.conn.execute("UPDATE ledgerbridge_schema SET version = version + 1 WHERE name = 'state'")
    state.close()
    with pytest.raises(LedgerbridgeError, match="newer than this ledgerbridge"):
        PgStateDB(pg_dsn)
