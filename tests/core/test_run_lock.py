"""The run lock, on both kinds of state: one run at a time per tenant and
connector; the refusal names the holder; a dead holder releases it, a paused
one keeps it (so a job retried elsewhere cannot overlap a stalled run).

The PostgreSQL cases skip, with the reason, where there is no PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledgerbridge.core.errors import RunLockedError
from ledgerbridge.core.lock import RunLock, run_lock
from ledgerbridge.core.workspace import Workspace

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from ledgerbridge.core.lock import run_lock
    from ledgerbridge.core.workspace import Workspace
    lock = run_lock(Workspace(Path(sys.argv[1]), sys.argv[2] or None), "acme", "mem", "then")
    lock.acquire()
    print("locked", flush=True)
    time.sleep(600)
    """
)


@pytest.fixture(params=["file", "postgresql"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Workspace:
    state = None if request.param == "file" else request.getfixturevalue("pg_dsn")
    return Workspace(tmp_path / "ws", state)


@pytest.fixture
def holder(workspace: Workspace) -> Iterator[subprocess.Popen[str]]:
    """Another process holding acme/mem."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(workspace.path), workspace.state_url or ""],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_the_lock_of_a_state_location_is_its_kind(workspace: Workspace) -> None:
    lock = run_lock(workspace, "acme", "mem", "now")
    expected = "FileRunLock" if workspace.state_url is None else "PgRunLock"
    assert type(lock).__name__ == expected


def test_a_second_run_is_refused_naming_the_holder(workspace: Workspace) -> None:
    with run_lock(workspace, "acme", "mem", "2026-01-01T00:00:00Z"):
        with pytest.raises(RunLockedError) as info:
            run_lock(workspace, "acme", "mem", "later").acquire()
        text = str(info.value)
        assert "acme/mem" in text and f"pid {os.getpid()}" in text
        assert "started 2026-01-01T00:00:00Z" in text
        with run_lock(workspace, "acme", "other", "now"):
            pass  # another pair is free
    with run_lock(workspace, "acme", "mem", "afterwards"):
        pass  # released


def test_a_paused_holder_keeps_the_lock_and_a_dead_one_releases_it(
    workspace: Workspace, holder: subprocess.Popen[str]
) -> None:
    holder.send_signal(signal.SIGSTOP)  # stalled past any heartbeat
    with pytest.raises(RunLockedError) as info:
        run_lock(workspace, "acme", "mem", "retry").acquire()
    assert f"pid {holder.pid}" in str(info.value)
    holder.kill()  # SIGKILL: no cleanup of its own
    holder.wait(10)
    lock = _acquire_soon(workspace)
    lock.release()


def _acquire_soon(workspace: Workspace) -> RunLock:
    """The server notices a killed client's closed socket at once on loopback;
    allow it a moment to end the session."""
    import time

    deadline = time.monotonic() + 10
    while True:
        lock = run_lock(workspace, "acme", "mem", "after the kill")
        try:
            lock.acquire()
            return lock
        except RunLockedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_a_postgres_lock_knows_when_its_session_is_gone(pg_dsn: str, tmp_path: Path) -> None:
    from ledgerbridge.core.postgres.lock import PgRunLock

    lock = PgRunLock(pg_dsn, "acme", "mem", "now")
    lock.acquire()
    assert lock.still_held()
    assert lock.connection is not None
    lock.connection.close()  # the connection broke: the server let the lock go
    assert not lock.still_held()
    # the server ends the closed session a moment later
    other = _acquire_soon(Workspace(tmp_path / "ws", pg_dsn))
    other.release()
    lock.release()


def test_a_run_holds_its_lock_on_the_session_it_writes_state_through(
    pg_dsn: str, tmp_path: Path
) -> None:
    """When that session ends (a stalled worker's, ended by the server), the
    lock is free for a retry, and the stalled run cannot write one more row."""
    import psycopg

    from ledgerbridge.core.engine.run import locked_state

    ws = Workspace(tmp_path / "ws", pg_dsn)
    with locked_state(ws, "acme", "mem", "then") as state:
        run_id = state.start_run("acme", "mem", started_at="then")
        backend = state.raw.info.backend_pid
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
        retry = _acquire_soon(ws)  # the lock went with the session
        with pytest.raises(psycopg.OperationalError):
            state.finish_run(run_id, status="succeeded", ended_at="later", counts=(1, 0, 0))
        retry.release()
    with locked_state(ws, "acme", "mem", "after") as state:
        run = state.run(run_id)
        assert run is not None and run.status == "running"  # the stalled run's end never landed
