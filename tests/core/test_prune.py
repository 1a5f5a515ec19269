"""`ledgerbridge prune --older-than`: old runs go, nothing that matters does."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerbridge.core.clock import utc_iso
from ledgerbridge.core.state.retention import prune
from tests.core.cli_support import DAY, Operator, on_both_databases, operator
from tests.core.memplugin import Scenario


@pytest.fixture(autouse=True)
def _both(state_url: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here on SQLite, then on PostgreSQL."""
    on_both_databases(state_url, monkeypatch)


def seed(mem: Scenario, n: int, day: int = 1) -> None:
    for i in range(n):
        mem.put(f"k{day}-{i}", "n", f"2026-01-{day:02d}T00:00:{i:02d}Z")


def kept(op: Operator) -> dict[str, list[tuple[object, ...]]]:
    return {
        "runs": op.sql("SELECT id FROM runs ORDER BY id"),
        "links": op.sql("SELECT count(*) FROM link_sides"),
        "cursors": op.sql("SELECT flow, value FROM cursors"),
        "outbox": op.sql("SELECT count(*) FROM outbox"),
    }


def test_prune_deletes_old_runs_and_keeps_open_failures(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    seed(mem, 3, day=1)
    mem.reject.add("k1-2")  # fails now and stays open
    mem.reject.add("k1-1")  # fails now, fixed in the next run
    op.run()  # run 1, day 0
    op.clock.advance(DAY)
    mem.reject.discard("k1-1")
    op.run()  # run 2, day 1: k1-1 sent, k1-2 fails again
    op.clock.advance(DAY)
    mem.reject.clear()
    mem.reject.add("k1-2")
    seed(mem, 2, day=3)
    op.run("acme", "--dry-run")  # run 3, a dry run
    op.clock.advance(100 * DAY)
    seed(mem, 1, day=9)
    op.run()  # run 4, today
    before = kept(op)
    open_before = op.json("errors")["errors"]
    (failing,) = open_before
    assert (failing["key"], failing["run_id"], failing["attempts"]) == ("k1-2", 4, 3)

    op.clock.advance(DAY)
    out = op.json("prune", "--older-than", "90d")
    assert out["cutoff"] == utc_iso(op.clock.now() - 90 * DAY)
    # run 1 stays for the first failure of k1-2 (it is failing since then);
    # run 2 re-read the two failed records; run 3 was the dry run
    assert (out["runs"], out["runs_kept"], out["dry_run"]) == (2, 1, False)
    assert out["outcomes"] == 2 + 2 + 3
    after = kept(op)
    assert after["runs"] == [(1,), (4,)]
    assert {k: after[k] for k in ("links", "cursors", "outbox")} == {
        k: before[k] for k in ("links", "cursors", "outbox")
    }
    (still,) = op.json("errors")["errors"]
    assert {**still, "attempts": 3} == failing  # the attempts pruned are not counted


def test_prune_never_touches_a_running_run_nor_the_last_failure(
    mem: Scenario, tmp_path: Path
) -> None:
    op = operator(tmp_path)
    seed(mem, 2)
    mem.reject.add("k1-1")
    op.run()  # run 1: k1-1 fails, and nothing since has tried it again
    op.run("acme", "--dry-run")  # run 2, the latest: it keeps nothing of run 1 alive
    db = op.state()
    running = db.start_run("acme", "mem", started_at="2025-01-01T00:00:00Z")
    db.record_outcome(
        run_id=running,
        tenant="acme",
        connector="mem",
        flow="items",
        entity="item",
        key="x",
        status="succeeded",
        at="2025-01-01T00:00:00Z",
    )
    op.clock.advance(200 * DAY)
    report = prune(db, cutoff=utc_iso(op.clock.now()))
    assert report.runs_kept == 2 and report.failures_kept == 1  # first and last at once
    assert op.sql("SELECT id, status FROM runs ORDER BY id") == [(1, "failed"), (3, "running")]
    assert op.sql("SELECT key, status FROM outcomes WHERE run_id = 1") == [("k1-1", "failed")]
    assert op.sql("SELECT key FROM outcomes WHERE run_id = ?", running) == [("x",)]
    assert [e["key"] for e in op.json("errors")["errors"]] == ["k1-1"]


def test_prune_dry_run_counts_and_deletes_nothing(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    seed(mem, 4)
    op.run()
    op.clock.advance(DAY)
    op.run("acme", "--full")
    op.clock.advance(2 * DAY)
    op.run()
    r = op("prune", "--older-than", "1d", "--dry-run")
    assert r.exit_code == 0, r.output
    assert "Would delete 2 runs" in r.output and "4 outcomes and 1 per-run counts" in r.output
    assert op.sql("SELECT count(*) FROM runs") == [(3,)]
    r = op("prune", "--older-than", "1d")
    assert "Deleted 2 runs" in r.output and op.sql("SELECT count(*) FROM runs") == [(1,)]
    assert op.sql("SELECT count(*) FROM outcome_counts") == [(0,)]


def test_prune_refuses_what_makes_no_sense(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    assert op("prune").exit_code == 2  # --older-than is required
    r = op("prune", "--older-than", "3 months")
    assert r.exit_code == 2 and "90m, 24h, 7d" in r.output
    r = op("prune", "--older-than", "2099-01-01")
    assert r.exit_code == 2 and "in the future" in r.output
    seed(mem, 1)
    op.run()
    assert op("prune", "--older-than", "0d", "--vacuum").exit_code == 0
