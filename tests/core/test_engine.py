"""The engine's promises: streaming, isolation, incremental, no duplicates."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.context import RunOptions
from ledgerbridge.core.engine import RunRequest, run_connector
from ledgerbridge.core.engine.flow import MAX_CONSECUTIVE_TRANSIENT
from ledgerbridge.core.errors import RunLockedError
from ledgerbridge.core.lock import run_lock
from ledgerbridge.core.workspace import Workspace
from tests.core.conftest import open_ws_state
from tests.core.memplugin import Crash, Scenario


@pytest.fixture
def ws(any_ws: Workspace) -> Workspace:
    """Every engine test on SQLite, then on PostgreSQL."""
    return any_ws


def state_dump(w: Workspace) -> str:
    """Everything the state holds, as text."""
    if not w.state.is_postgres:
        return "\n".join(sqlite3.connect(w.db_path).iterdump())
    state = open_ws_state(w)
    tables = [
        r[0]
        for r in state.conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    ]
    rows = [repr(r) for t in tables for r in state.conn.execute(f"SELECT * FROM {t}")]
    state.close()
    return "\n".join(rows)


def run(ws: Workspace, **opts: object) -> object:
    kind = opts.pop("kind", "run")
    only = opts.pop("only", None)
    return run_connector(
        RunRequest(
            ws, "acme", "mem", RunOptions(**opts), clock=FakeClock(), kind=kind, only_keys=only
        )  # type: ignore[arg-type]
    )


def seed(sc: Scenario, n: int) -> None:
    for i in range(n):
        sc.put(f"k{i:03d}", f"name{i}", f"2026-01-01T00:00:{i:02d}Z")


def test_first_run_moves_everything_second_run_nothing(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 5)
    s = run(ws)
    assert (s.succeeded, s.failed, s.skipped, s.status) == (5, 0, 0, "succeeded")
    assert len(mem.remote) == 5 and mem.writes == [f"k{i:03d}" for i in range(5)]
    assert mem.remote["R1"] == {"ref": "k000", "title": "AC-name0"}
    mem.yielded.clear()
    s2 = run(ws)
    assert (s2.succeeded, s2.failed, s2.skipped) == (0, 0, 0)
    assert mem.yielded == []  # incremental: the source was asked only for newer records


def test_full_rerun_sends_nothing_twice(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 4)
    run(ws)
    s = run(ws, full=True)
    assert (s.succeeded, s.skipped) == (0, 4)
    assert len(mem.writes) == 4


def test_changed_record_is_updated_in_place(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 2)
    run(ws)
    mem.put("k001", "renamed", "2026-01-02T00:00:00Z")
    s = run(ws)
    assert (s.succeeded, s.flows[0].updated) == (1, 1)
    assert mem.remote["R2"]["title"] == "AC-renamed" and len(mem.remote) == 2


def test_bad_record_fails_alone_and_is_retried_next_run(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 5)
    mem.reject.add("k001")
    mem.malformed.add("k003")
    s = run(ws)
    assert (s.succeeded, s.failed) == (3, 2)
    err = next(e for e in s.errors if e["record"] == "item k001")
    assert err["field"] == "name" and err["fix"] == "change the name"
    assert err["rule"] == "must not be rejected" and err["value"] == "name1"
    # the fix arrives; the next incremental run re-reads from before the failure
    mem.reject.clear()
    mem.malformed.clear()
    s2 = run(ws)
    assert (s2.succeeded, s2.failed, s2.skipped) == (2, 0, 2)
    assert sorted(mem.writes) == [f"k{i:03d}" for i in range(5)]  # each written once


def test_records_stream_a_bounded_batch_at_a_time(mem: Scenario, ws: Workspace) -> None:
    """The source is read at most one batch ahead of the writes (its intents
    committed together): memory is bounded by the batch, not the run."""
    from ledgerbridge.core.engine.groups import INTENT_BATCH

    seed(mem, 3 * INTENT_BATCH)
    run(ws)
    for i, (_, written) in enumerate(mem.processed_before_next):
        assert i - INTENT_BATCH <= written <= i  # never read more than a batch ahead
    assert len(mem.writes) == 3 * INTENT_BATCH


def test_crash_mid_write_resumes_without_duplicate(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 4)
    mem.crash_after_write.add("k002")
    with pytest.raises(Crash):
        run(ws)
    assert mem.writes == ["k000", "k001", "k002"]
    s = run(ws)
    assert s.status == "succeeded"
    assert mem.writes == ["k000", "k001", "k002", "k003"]  # k002 was found, not resent
    assert len(mem.remote) == 4
    db = open_ws_state(ws)
    runs = db.runs("acme", "mem")
    assert [r.status for r in runs] == ["succeeded", "interrupted"]
    found = next(o for o in db.outcomes(runs[0].id) if o.key == "k002")
    assert (found.action, found.remote_id) == ("found", "R3")
    assert db.outbox_count("acme", "mem") == 0


def test_dropped_answer_keeps_intent_and_lookup_prevents_duplicate(
    mem: Scenario, ws: Workspace
) -> None:
    seed(mem, 3)
    mem.drop_after_write.add("k001")
    s = run(ws)
    assert (s.succeeded, s.failed) == (2, 1)
    assert s.errors[0]["retryable"] is True
    assert open_ws_state(ws).outbox_count("acme", "mem") == 1
    s2 = run(ws)
    assert (s2.succeeded, s2.skipped) == (1, 1)
    assert mem.writes.count("k001") == 1 and len(mem.remote) == 3


def test_remote_down_stops_flow_and_loses_nothing(mem: Scenario, ws: Workspace) -> None:
    from ledgerbridge.core.engine.groups import INTENT_BATCH

    seed(mem, 20 + INTENT_BATCH)
    mem.down = True
    s = run(ws)
    assert s.failed == MAX_CONSECUTIVE_TRANSIENT
    assert s.status == "failed" and "unavailable" in (s.flows[0].stopped or "")
    # the rest was not sent, and not read beyond one batch of staged records
    assert len(mem.writes) == 0 and len(mem.yielded) <= MAX_CONSECUTIVE_TRANSIENT + INTENT_BATCH
    mem.down = False
    s2 = run(ws)
    assert (s2.succeeded, s2.failed) == (20 + INTENT_BATCH, 0)


def test_auth_failure_aborts_run_with_redacted_message(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 3)
    mem.auth_fails = True
    s = run(ws)
    assert s.status == "aborted"
    assert "s3cr3t-api-key-value" not in (s.message or "") and "••••" in (s.message or "")


def test_secrets_never_reach_state(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 8)
    mem.down = True
    run(ws)
    assert mem.seen_secret == "s3cr3t-api-key-value"
    dump = state_dump(ws)
    assert "s3cr3t-api-key-value" not in dump
    assert "••••" in dump


def test_dry_run_writes_nothing_and_moves_no_cursor(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 3)
    mem.reject.add("k002")
    s = run(ws, dry_run=True)
    assert s.flows[0].planned == {"create": 2} and s.failed == 1
    assert mem.writes == [] and open_ws_state(ws).cursors("acme", "mem") == {}
    s2 = run(ws)
    assert s2.succeeded == 2


def test_replay_only_failed_keys(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 4)
    mem.reject.add("k002")
    s = run(ws)
    mem.reject.clear()
    mem.yielded.clear()
    s2 = run(ws, full=True, kind="replay", only={"items": {"k002"}})
    assert (s2.succeeded, s2.skipped) == (1, 0)
    assert mem.writes.count("k002") == 1
    assert open_ws_state(ws).run(s2.run_id).kind == "replay"
    assert s.run_id != s2.run_id


def test_second_run_is_refused_while_first_holds_lock(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 1)
    lock = run_lock(ws, "acme", "mem", "2026-01-01T00:00:00Z")
    with lock, pytest.raises(RunLockedError) as info:
        run(ws)
    assert "pid" in str(info.value) and "acme/mem" in str(info.value)
    assert run(ws).succeeded == 1  # released afterwards


# -- overlapping writes (Flow.concurrency / run --workers) -----------------------


def test_writes_overlap_up_to_the_worker_count(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 20)
    mem.barrier = threading.Barrier(4)  # breaks (and fails the run) unless 4 writes overlap
    s = run(ws, workers=4)
    assert (s.succeeded, s.failed) == (20, 0)
    assert mem.max_in_flight == 4
    assert not mem.barrier.broken


def test_overlapping_writes_commit_in_source_order(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 30)
    s = run(ws, workers=4)
    keys = [o.key for o in open_ws_state(ws).outcomes(s.run_id)]
    assert keys == [f"k{i:03d}" for i in range(30)]
    assert open_ws_state(ws).cursor("acme", "mem", "items") == "2026-01-01T00:00:29Z"


def test_failure_among_overlapping_writes_freezes_cursor_before_it(
    mem: Scenario, ws: Workspace
) -> None:
    seed(mem, 12)
    mem.write_reject.add("k005")
    s = run(ws, workers=4)
    assert (s.succeeded, s.failed) == (11, 1)
    assert open_ws_state(ws).cursor("acme", "mem", "items") == "2026-01-01T00:00:04Z"
    assert open_ws_state(ws).outbox_count("acme", "mem") == 0  # a refusal clears its intent
    mem.write_reject.clear()
    s2 = run(ws, workers=4)
    assert (s2.succeeded, s2.skipped) == (1, 6)
    assert sorted(mem.writes) == [f"k{i:03d}" for i in range(12)]


def test_crash_among_overlapping_writes_loses_and_duplicates_nothing(
    mem: Scenario, ws: Workspace
) -> None:
    seed(mem, 16)
    mem.crash_after_write.add("k006")
    with pytest.raises(Crash):
        run(ws, workers=4)
    s = run(ws, workers=4)
    assert s.status == "succeeded"
    assert sorted(set(mem.writes)) == [f"k{i:03d}" for i in range(16)]
    assert len(mem.writes) == len(set(mem.writes)) == len(mem.remote) == 16


def test_change_while_answer_was_lost_updates_what_was_found(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 3)
    mem.drop_after_write.add("k001")
    run(ws)
    mem.put("k001", "corrected", "2026-01-01T00:00:01Z")  # changed in place meanwhile
    s = run(ws)
    assert (s.succeeded, s.failed, s.flows[0].updated) == (1, 0, 1)
    assert len(mem.remote) == 3 and mem.remote["R2"]["title"] == "AC-corrected"
    assert run(ws, full=True).skipped == 3


def test_refused_update_of_what_was_found_keeps_its_binding(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 2)
    mem.drop_after_write.add("k000")
    run(ws)
    mem.put("k000", "corrected", "2026-01-01T00:00:00Z")
    mem.write_reject.add("k000")  # e.g. an invoice: sent once, never updated
    s = run(ws)
    assert s.failed == 1 and s.errors[0]["message"] == "the remote refused it"
    db = open_ws_state(ws)
    assert db.binding("acme", "mem", "memremote", "item", "k000") is not None
    assert db.outbox_count("acme", "mem") == 0
    mem.write_reject.clear()
    run(ws, full=True)
    assert len(mem.remote) == 2  # never created twice


@pytest.mark.parametrize("workers", [1, 4])
def test_source_failing_midway_records_what_was_under_way(
    mem: Scenario, ws: Workspace, workers: int
) -> None:
    seed(mem, 10)
    mem.source_breaks_after = 3
    if workers > 1:  # the writes are still under way when the source breaks
        mem.hold = threading.Event()
    s = run(ws, workers=workers)
    assert s.succeeded == 3 and s.status == "failed"
    assert "the export folder went away" in (s.flows[0].stopped or "")
    assert open_ws_state(ws).outbox_count("acme", "mem") == 0
    mem.source_breaks_after = None
    s2 = run(ws, workers=workers)
    assert (s2.succeeded, s2.failed) == (7, 0) and len(mem.remote) == 10


# -- found in review: each of these once lost or duplicated a record ---------------


def test_refused_credentials_among_overlapping_writes_lose_nothing(
    mem: Scenario, ws: Workspace
) -> None:
    seed(mem, 8)
    mem.auth_fail_keys.add("k001")
    s = run(ws, workers=4)
    assert s.status == "aborted"
    cursor = open_ws_state(ws).cursor("acme", "mem", "items")
    assert cursor is None or cursor < "2026-01-01T00:00:01Z"  # not past the unrecorded k001
    mem.auth_fail_keys.clear()
    run(ws, workers=4)
    assert sorted(mem.remote[r]["ref"] for r in mem.remote) == [f"k{i:03d}" for i in range(8)]
    assert len(mem.remote) == 8


@pytest.mark.parametrize("workers", [1, 4])
def test_a_key_yielded_twice_in_one_run_is_created_once(
    mem: Scenario, ws: Workspace, workers: int
) -> None:
    seed(mem, 3)
    mem.twice["k001"] = "newer"
    run(ws, workers=workers)
    docs = [d for d in mem.remote.values() if d["ref"] == "k001"]
    assert docs == [{"ref": "k001", "title": "AC-newer"}]


def test_a_refused_lookup_keeps_the_intent(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 2)
    mem.drop_after_write.add("k000")
    run(ws)
    mem.lookup_refuses = True
    s = run(ws)
    assert s.errors[0]["message"] == "the search was refused"
    assert open_ws_state(ws).outbox_count("acme", "mem") == 1
    mem.lookup_refuses = False
    run(ws)
    assert len(mem.remote) == 2


def test_a_dry_run_never_clears_an_intent(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 2)
    mem.drop_after_write.add("k000")
    run(ws)
    mem.write_reject.add("k000")
    run(ws, dry_run=True)
    assert open_ws_state(ws).outbox_count("acme", "mem") == 1
    mem.write_reject.clear()
    run(ws)
    assert len(mem.remote) == 2


def test_a_lost_answer_is_compared_with_the_version_last_sent(mem: Scenario, ws: Workspace) -> None:
    seed(mem, 1)
    mem.fail_before_write.add("k000")  # v1: intent recorded, nothing written
    run(ws)
    mem.put("k000", "v2", "2026-01-01T00:00:00Z")
    mem.drop_after_write.add("k000")  # v2 written, its answer lost
    run(ws)
    mem.write_reject.add("k000")  # a target that never updates would refuse an update
    s = run(ws)
    assert (s.succeeded, s.failed) == (1, 0)  # found as the version it is: v2
    assert list(mem.remote.values()) == [{"ref": "k000", "title": "AC-v2"}]
