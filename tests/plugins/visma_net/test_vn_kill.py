"""A `ledgerbridge run` killed with SIGKILL at arbitrary moments, again and
again: the runs that follow must leave Visma.net with every invoice exactly
once, each with its PDF, and state with nothing pending.

This is the engine's promise tested the hard way: a real process, a real
socket, no chance to clean up, kills landing wherever the run happens to be
(mid-request, between the write and its commit, inside a transaction), and,
with a slow server, while Visma.net is still creating what the killed run
sent, with the next run started at once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from e2e_support import served_workspace

from ledgerbridge.core.clock import SystemClock
from ledgerbridge.core.state.db import StateDB
from ledgerbridge.plugins.visma_net.emulator.testing import make_sandbox
from ledgerbridge.plugins.visma_net.samplegen import PeriodSpec, write_period

INVOICES = 40
CLI = "from ledgerbridge.core.cli import main; main()"
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


def start_run(ws: Path) -> subprocess.Popen[bytes]:
    """A run in a child process, its output kept beside the workspace."""
    with (ws.parent / "runs.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-c", CLI, "--workspace", str(ws), "run", "acme", "visma_net"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def kill(proc: subprocess.Popen[bytes], ws: Path) -> None:
    """SIGKILL a run that must still be running (else the test proves nothing)."""
    if proc.poll() is not None:
        log = (ws.parent / "runs.log").read_text(errors="replace")
        pytest.fail(f"the run ended (exit {proc.returncode}) before it was killed:\n{log[-3000:]}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def wait_for_posts(sandbox: object, at_least: int, proc: subprocess.Popen[bytes]) -> None:
    """Bounded wait until the emulator has received `at_least` invoice posts."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if len(sandbox.journal.find(method="POST", path_startswith="/v2/")) >= at_least:  # type: ignore[attr-defined]
            return
        time.sleep(0.01)


def test_runs_killed_at_any_point_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    sandbox, state = make_sandbox(clock=SystemClock())
    sandbox.faults.add("*: latency=3ms")  # long enough for kills to land mid-run
    sandbox.serve()
    try:
        folder = tmp_path / "export"
        write_period(folder / "p.xml", PeriodSpec(invoices=INVOICES, rows=3, pdf=True))
        ws = served_workspace(
            tmp_path / "ws",
            sandbox,
            folder,
            includePdfCopy=True,
            startText="overrideNumberSeries=true",
            vatCodes={"25%": "01", "12%": "02", "0%": "05", "EU": "08"},
        )

        for kill_after in (3, 11, 19, 27):
            proc = start_run(ws.path)
            wait_for_posts(sandbox, kill_after, proc)
            kill(proc, ws.path)

        assert sandbox.app.wait_idle(30)
        age_state(ws.path / "state.db", minutes=10)  # past every in-flight window
        final = run_to_end(ws.path)
        assert final.returncode == 0, final.stdout + final.stderr
    finally:
        sandbox.stop()
    assert_exactly_once(state, sandbox, ws.path, INVOICES)


def assert_exactly_once(state: Any, sandbox: Any, ws: Path, invoices: int) -> None:
    """Every invoice once, each with one PDF, nothing pending."""
    documents = list(state.invoices) + list(state.credit_notes)
    numbers = Counter(str(d["externalReference"]) for d in documents)
    assert sorted(numbers) == [str(10001 + i) for i in range(invoices)]
    assert set(numbers.values()) == {1}, "a document was created twice"
    posts = sandbox.journal.find(method="POST", path_startswith="/v2/")
    assert len([e for e in posts if e.status == 201]) == invoices
    for kind, docs in (("invoice", state.invoices), ("credit_note", state.credit_notes)):
        for doc in docs:
            number = doc["referenceNumber"]
            assert len(state.attachments_of(f"{kind}:{number}")) == 1, number
    db = StateDB(ws / "state.db")
    assert db.outbox_count("acme", "visma_net") == 0
    statuses = [r.status for r in db.runs("acme", "visma_net", limit=10)]
    assert statuses[0] == "succeeded" and "interrupted" in statuses  # kills landed mid-run


def run_to_end(ws: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, "--workspace", str(ws), "run", "acme", "visma_net"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def age_state(db_path: Path, minutes: int) -> None:
    """Move every time state keeps back by `minutes`: what a wait that long
    would do, without waiting (the child processes run on the real clock)."""
    shift = timedelta(minutes=minutes)

    def back(stamp: str | None) -> str | None:
        if not stamp:
            return stamp
        moved = datetime.fromisoformat(stamp.replace("Z", "+00:00")) - shift
        return moved.strftime("%Y-%m-%dT%H:%M:%SZ")

    conn = sqlite3.connect(db_path)
    conn.create_function("back", 1, back)
    with conn:
        conn.execute("UPDATE outbox SET created_at = back(created_at)")
        conn.execute("UPDATE outcomes SET at = back(at)")
        conn.execute("UPDATE runs SET started_at = back(started_at), ended_at = back(ended_at)")
    conn.close()


SLOW = 16  # invoices in the slow-server test (4 in flight at a time)
SLOW_S = 3.0  # seconds Visma.net takes to create one of the first invoices (under load)
KILLS = (0.2, 0.6, 1.2)  # seconds into a create's processing at which a run is killed


def creates_in_progress(sandbox: Any, slow: Any) -> int:
    """Creates Visma.net has received and not yet answered."""
    answered = sandbox.journal.find(method="POST", path_startswith="/v2/customerinvoice")
    return int(slow.matched) - len(answered)


def wait_for_new_create(slow: Any, seen: int, proc: subprocess.Popen[bytes]) -> None:
    """Bounded wait until Visma.net receives a create after the first `seen`."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if slow.matched > seen:
            return
        time.sleep(0.01)


def held_back(db_path: Path) -> int:
    """Records a run did not send because their earlier create may still be
    in progress at Visma.net."""
    conn = sqlite3.connect(db_path)
    try:
        sql = "SELECT count(*) FROM outcomes WHERE error LIKE '%may still be in progress%'"
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_a_run_killed_while_visma_net_is_still_creating_is_not_resent_at_once(
    tmp_path: Path,
) -> None:
    """The issue's case: Visma.net slow under load, a run killed while a
    create is being processed, the next run started at once (a wrapper loop,
    systemd Restart=). The create lands after the next run asked for it;
    only the in-flight window keeps that run from sending it a second time.
    Visma.net numbers the invoices itself here, so a second create would be
    a second invoice, not a refused duplicate number."""
    sandbox, state = make_sandbox(clock=SystemClock())
    slow = sandbox.faults.add(
        f"POST /v2/customerinvoice: latency={SLOW_S * 1000:g}ms x{len(KILLS) * 4}"
    )
    sandbox.serve()
    kills_mid_create = 0
    try:
        folder = tmp_path / "export"
        write_period(folder / "p.xml", PeriodSpec(invoices=SLOW, rows=2, pdf=True))
        ws = served_workspace(
            tmp_path / "ws",
            sandbox,
            folder,
            includePdfCopy=True,
            vatCodes={"25%": "01", "12%": "02", "0%": "05", "EU": "08"},
        )
        for into in KILLS:
            seen = slow.matched
            proc = start_run(ws.path)
            wait_for_new_create(slow, seen, proc)
            time.sleep(into)
            kills_mid_create += creates_in_progress(sandbox, slow) > 0
            kill(proc, ws.path)
            # no pause: the next run starts while Visma.net still works
        at_once = run_to_end(ws.path)
        assert sandbox.app.wait_idle(30)
        numbers = Counter(str(d["externalReference"]) for d in state.invoices)
        assert set(numbers.values()) <= {1}, "a run started at once sent an invoice again"
        waited = held_back(ws.path / "state.db")

        age_state(ws.path / "state.db", minutes=10)  # the window has passed
        final = run_to_end(ws.path)
        assert final.returncode == 0, final.stdout + final.stderr
    finally:
        sandbox.stop()
    assert kills_mid_create == len(KILLS), "each kill must land while Visma.net is creating"
    assert waited >= 2, at_once.stdout
    assert_exactly_once(state, sandbox, ws.path, SLOW)
    print(f"slow server: {len(KILLS)} kills mid-create, {waited} records held back, 0 duplicates")
