"""Scale-out, simulated with real processes: 3 workers (`ledgerbridge worker`)
x 8 tenants x 2 connectors (visma_net and nmbrs_journals sharing each
tenant's Visma.net company and its small rate budget), every pair scheduled
every 10 s, the sandbox served on loopback, the state and queue in
PostgreSQL. Export files keep arriving while it runs. Part way through, one
worker is paused (SIGSTOP) in the middle of a run for longer than its
heartbeat allows, so its job is retried elsewhere, then resumed; then another
is killed (SIGKILL) in the middle of a run and a new one started.

Judged from what the vendor side and the runs themselves recorded: no two
runs of one tenant+connector overlapped, 0 x 429 and no company's window
over its limit, every invoice and every payroll journal created exactly
once. Skipped, with the reason, where there is no PostgreSQL.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.scale import sim

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGSTOP and SIGKILL")

CFG = sim.SimConfig(tenants=8, rate_limit=20, rate_window=5.0, payroll_runs=6, concurrency=2)
DROP_EVERY = 4.0


@pytest.fixture
def world(tmp_path: Path, pg_dsn: str) -> Iterator[tuple[Any, sim.Server, sim.Workers]]:
    from ledgerbridge.core.postgres.worker import prepare

    prepare(pg_dsn)
    server = sim.start_server(CFG, tmp_path)
    workers: sim.Workers | None = None
    try:
        ws = sim.make_workspace(tmp_path, pg_dsn, server, CFG)
        workers = sim.Workers(ws, tmp_path / "events", CFG)
        yield ws, server, workers
    finally:
        if workers is not None:
            workers.stop()
        server.stop()


def wait_until(
    what: str,
    done: Callable[[], bool],
    within: float,
    feeder: Any = None,
    ws: Any = None,
    every: float = 0.05,
) -> None:
    """Poll `done` every `every` s (a query of the database or the journal
    polls slower: it competes with the workers it watches)."""
    deadline = time.monotonic() + within
    last_drop = time.monotonic()
    while not done():
        if time.monotonic() > deadline:
            shown = "\n".join(str(a) for a in attempts(ws)[-30:]) if ws is not None else ""
            pytest.fail(f"timed out waiting until {what}; the latest attempts:\n{shown}")
        if feeder is not None and time.monotonic() - last_drop > DROP_EVERY:
            feeder.drop()
            last_drop = time.monotonic()
        time.sleep(every)


def feed_for(feeder: sim.Feeder, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(min(DROP_EVERY, max(0.0, end - time.monotonic())))
        feeder.drop()


def sql(ws: Any, query: str) -> list[dict[str, Any]]:
    from ledgerbridge.core.postgres import connect

    conn = connect(ws.state.dsn)
    try:
        return list(conn.execute(query).fetchall())
    finally:
        conn.close()


def attempts(ws: Any) -> list[dict[str, Any]]:
    return sql(ws, "SELECT * FROM job_attempts ORDER BY id")


def test_three_workers_eight_tenants_a_pause_and_a_kill(
    world: tuple[Any, sim.Server, sim.Workers], tmp_path: Path
) -> None:
    ws, server, workers = world
    feeder = sim.Feeder(tmp_path, CFG.tenants)
    feeder.drop()
    feeder.drop()  # a backlog: first runs must wait for windows
    sim.schedule_all(ws, CFG)
    workers.start(3)

    # Clean: every pair runs again and again while files arrive.
    feed_for(feeder, 16)

    # A pause past the heartbeat, in the middle of a run.
    paused, killed = workers.procs[0], workers.procs[1]
    wait_until("worker 0 is in a run", lambda: workers.running_run(paused), 60, feeder)
    workers.pause(paused)
    wait_until(
        "the paused worker's job is retried elsewhere and refused the run lock",
        lambda: any(a["outcome"] == "locked" for a in attempts(ws)),
        90,
        feeder,
        ws,
        every=0.5,
    )
    workers.resume(paused)

    # A kill in the middle of a run; a new worker takes its place.
    wait_until("worker 1 is in a run", lambda: workers.running_run(killed), 60, feeder)
    workers.kill(killed)
    workers.start(1)
    feed_for(feeder, 8)

    # Nothing new now: everything must land (the killed run's in-flight
    # window is the connection's timeout + 30 s).
    expected_journals = CFG.tenants * CFG.payroll_runs

    def all_landed() -> bool:
        invoices, journals = sim.creates(server)
        return set(invoices) >= feeder.numbers and len(journals) >= expected_journals

    wait_until("every document is in Visma.net", all_landed, 150, ws=ws, every=1.0)
    time.sleep(3)  # a straggler duplicate would show now
    assert workers.stop() == [0, 0, 0], workers.logs()  # SIGTERM: jobs finished, clean exit

    runs = sim.intervals(workers.events, workers.killed)
    assert sim.overlaps(runs) == [], workers.logs()
    pairs = {r.pair for r in runs}
    assert len(pairs) == CFG.tenants * 2
    assert len(runs) >= 4 * len(pairs), "every pair ran again and again"
    # The killed runs' writes were held back for their in-flight window
    # (retryable), then sent once; nothing else failed, nothing stays failed.
    failed = sql(ws, "SELECT DISTINCT error FROM outcomes WHERE status = 'failed'")
    assert all("may still be in progress" in f["error"] for f in failed), "\n".join(
        f["error"] for f in failed
    )
    assert sql(ws, "SELECT * FROM open_failures") == []

    outcomes = [a["outcome"] for a in attempts(ws)]
    assert "locked" in outcomes  # the retry met the paused run's lock, and waited
    assert any(o.startswith("resumed") or o == "stalled" for o in outcomes)

    spent = sim.budget(server.audit, CFG)
    assert spent.refused == 0, "a request was answered 429"
    assert spent.over == []
    assert sum(spent.full_windows.values()) > 0, "the budget was never used to its limit"

    invoices, journals = sim.creates(server)
    held = sql(ws, "SELECT count(*) AS n FROM outcomes WHERE status = 'failed'")[0]["n"]
    print(  # shown with -s: the figures docs/reliability.md quotes
        f"\nsimulation: {len(runs)} runs of {len(pairs)} pairs, "
        f"{outcomes.count('locked')} attempts refused the run lock, "
        f"{len(workers.killed)} worker killed, {len(invoices)} invoices and "
        f"{len(journals)} journals, {sum(spent.full_windows.values())} full windows, "
        f"{spent.refused} x 429, {held} writes held back for their in-flight window"
    )
    assert set(invoices) == feeder.numbers
    assert [n for n, c in invoices.items() if c > 1] == []
    assert len(journals) == expected_journals
    assert [r for r, c in journals.items() if c > 1] == []
