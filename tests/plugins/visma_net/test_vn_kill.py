"""A `ledgerbridge run` killed with SIGKILL at arbitrary moments, again and
again: the runs that follow must leave Visma.net with every invoice exactly
once, each with its PDF, and state with nothing pending.

This is the engine's promise tested the hard way: a real process, a real
socket, no chance to clean up, kills landing wherever the run happens to be
(mid-request, between the write and its commit, inside a transaction).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

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
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "--workspace", str(ws), "run", "acme", "visma_net"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


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
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)

        final = subprocess.run(
            [sys.executable, "-c", CLI, "--workspace", str(ws.path), "run", "acme", "visma_net"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert final.returncode == 0, final.stdout + final.stderr
    finally:
        sandbox.stop()

    documents = list(state.invoices) + list(state.credit_notes)
    numbers = Counter(str(d["referenceNumber"]) for d in documents)
    assert sorted(numbers) == [str(10001 + i) for i in range(INVOICES)]
    assert set(numbers.values()) == {1}, "a document was created twice"
    posts = sandbox.journal.find(method="POST", path_startswith="/v2/")
    assert len([e for e in posts if e.status == 201]) == INVOICES
    for kind, docs in (("invoice", state.invoices), ("credit_note", state.credit_notes)):
        for doc in docs:
            number = doc["referenceNumber"]
            assert len(state.attachments_of(f"{kind}:{number}")) == 1, number
    db = StateDB(ws.path / "state.db")
    assert db.outbox_count("acme", "visma_net") == 0
    statuses = [r.status for r in db.runs("acme", "visma_net", limit=10)]
    assert statuses[0] == "succeeded" and "interrupted" in statuses  # kills landed mid-run
