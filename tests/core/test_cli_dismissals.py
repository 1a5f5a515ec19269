"""`ledgerbridge dismissals list|undo`: every decision kept, an undo tried again."""

from __future__ import annotations

from pathlib import Path

from ledgerbridge.core.state.db import StateDB
from ledgerbridge.core.state.operator_migration import operator_tables_and_views
from tests.core.cli_support import database_before, operator
from tests.core.memplugin import Scenario


def seed(mem: Scenario, n: int) -> None:
    for i in range(n):
        mem.put(f"k{i}", f"n{i}", f"2026-01-0{i + 1}T00:00:00Z")


def test_dismissing_twice_keeps_both_reasons(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    seed(mem, 3)
    mem.reject.add("k1")
    run_id = str(op.run()["run_id"])
    assert op("dismiss", run_id, "k1", "--reason", "test document").exit_code == 0
    op.clock.advance(60)
    assert op("dismiss", run_id, "k1", "--reason", "credited by hand").exit_code == 0
    (record,) = op.json("dismissals", "list")["dismissals"]
    assert (record["tenant"], record["connector"], record["flow"], record["key"]) == (
        "acme",
        "mem",
        "items",
        "k1",
    )
    assert record["active"] is True
    assert [(e["action"], e["reason"], e["at"]) for e in record["events"]] == [
        ("dismissed", "test document", "2026-01-01T00:00:00Z"),
        ("dismissed", "credited by hand", "2026-01-01T00:01:00Z"),
    ]
    assert all(e["by"] and e["run_id"] == int(run_id) for e in record["events"])
    text = op("dismissals", "list").output
    assert "test document" in text and "credited by hand" in text


def test_undo_tries_the_record_again_on_the_next_run(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    seed(mem, 4)
    mem.reject.add("k1")
    first = op.run()
    op("dismiss", str(first["run_id"]), "k1", "--reason", "test document")
    op.run()  # k1 skipped as dismissed: the cursor moves past it
    mem.yielded.clear()
    assert op.run()["failed"] == 0 and mem.yielded == []
    mem.reject.clear()  # it can be sent after all
    r = op("dismissals", "undo", "acme", "k1", "--reason", "the customer wants it")
    assert r.exit_code == 0 and "tried again on the next run" in r.output
    again = op.run()
    assert (again["succeeded"], again["failed"]) == (1, 0) and mem.writes.count("k1") == 1
    mem.yielded.clear()
    assert op.run()["succeeded"] == 0 and mem.yielded == []  # read again once, not every run
    (record,) = op.json("dismissals", "list", "--all")["dismissals"]
    assert record["active"] is False
    assert [(e["action"], e["reason"]) for e in record["events"]] == [
        ("dismissed", "test document"),
        ("undone", "the customer wants it"),
    ]
    assert op.json("dismissals", "list")["dismissals"] == []


def test_an_undone_record_that_still_fails_is_open_again(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    seed(mem, 2)
    mem.reject.add("k0")
    run_id = str(op.run()["run_id"])
    op("dismiss", run_id, "k0", "--reason", "r")
    op.run()
    assert op.json("errors")["errors"] == []
    op("dismissals", "undo", "acme", "k0")
    assert [e["key"] for e in op.json("errors")["errors"]] == ["k0"]  # open until decided
    assert op.run()["failed"] == 1
    assert [e["state"] for e in op.json("errors")["errors"]] == ["open"]


def test_undo_refuses_what_is_not_dismissed_and_changes_nothing(
    mem: Scenario, tmp_path: Path
) -> None:
    op = operator(tmp_path)
    seed(mem, 3)
    mem.reject.update({"k0", "k1"})
    run_id = str(op.run()["run_id"])
    op("dismiss", run_id, "k0", "--reason", "r")
    r = op("dismissals", "undo", "acme", "k0", "k2")
    assert r.exit_code == 2 and "k2 is not dismissed" in r.output
    assert [d["key"] for d in op.json("dismissals", "list")["dismissals"]] == ["k0"]
    assert op("dismissals", "undo", "acme").exit_code == 2
    assert op("dismissals", "undo", "acme", "--all").exit_code == 0
    assert op.json("dismissals", "list")["dismissals"] == []


def test_dismissals_made_before_the_history_was_kept_are_in_it(tmp_path: Path) -> None:
    """A database from before this migration: its dismissals become the first events."""
    path = tmp_path / "s.db"
    conn = database_before(path, operator_tables_and_views)
    conn.execute(
        "INSERT INTO dismissals (tenant, connector, flow, key, hash, reason, run_id, at) "
        "VALUES ('acme', 'mem', 'items', 'k1', 'h', 'alice: a test invoice', 4, '2025-06-01')"
    )
    conn.close()
    from ledgerbridge.core.state.history import dismissal_history

    db = StateDB(path)
    (record,) = dismissal_history(db)
    (event,) = record.events
    assert (event.by, event.reason, event.run_id, event.at) == (
        "alice",
        "a test invoice",
        4,
        "2025-06-01",
    )
