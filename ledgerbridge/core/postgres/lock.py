"""The run lock in PostgreSQL: a session advisory lock per tenant and connector.

The server holds a session lock for as long as the session lives, so:
- a worker that is paused (SIGSTOP, a stalled VM) keeps it: a job retried
  elsewhere meanwhile finds the pair locked and cannot overlap the paused run;
- a worker that dies releases it: its connection closes (or, when its machine
  vanished, TCP keepalives close it within about a minute).

A run takes it on the session it writes its state through (`conn=`): the
lock and the run's writes then live and die together, so a run whose
session ended (and so lost the lock to a retry) cannot write another row.

Who holds it is written to `run_locks`, tagged with the holding session, so a
refused run can tell the operator which process on which host runs the pair.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import Any

from ledgerbridge.core.errors import RunLockedError
from ledgerbridge.core.postgres import PgConn, connect
from ledgerbridge.core.postgres.schema import ensure_schema


def lock_key(label: str) -> int:
    """A signed 64-bit key for `pg_try_advisory_lock(bigint)` (the one-key form
    lives apart from the budgets' two-key locks)."""
    digest = hashlib.sha256(f"ledgerbridge run {label}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PgRunLock:
    """One run at a time per tenant and connector, across every worker."""

    def __init__(
        self,
        dsn: str,
        tenant: str,
        connector: str,
        started_at: str,
        conn: PgConn | None = None,
        guard: Any = None,
    ) -> None:
        """`conn`: a session to hold the lock on (the run's state session, left
        open on release); else the lock opens a session of its own. `guard`:
        what holds that session's lock (the state's, so the lock's statements
        never interleave with a run's)."""
        self.dsn = dsn
        self.label = f"{tenant}/{connector}"
        self.key = lock_key(self.label)
        self._started_at = started_at
        self._conn: PgConn | None = None
        self._shared = conn
        lock: threading.RLock | None = getattr(guard, "lock", None)
        self._guard: AbstractContextManager[Any] = lock if lock is not None else nullcontext()

    @property
    def connection(self) -> PgConn | None:
        """The session holding the lock (None when not held)."""
        return self._conn

    def acquire(self) -> None:
        with self._guard:
            self._acquire()

    def _acquire(self) -> None:
        conn = self._shared or connect(self.dsn, purpose=f"run {self.label}")
        try:
            ensure_schema(conn, self.dsn)
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            if not _first(got):
                raise RunLockedError(
                    f"Another run of {self.label} is in progress ({self._holder(conn)}); "
                    "wait for it to finish, or stop that process first."
                )
            conn.execute(
                "INSERT INTO run_locks (label, backend_pid, pid, host, started_at) "
                "VALUES (%s, pg_backend_pid(), %s, %s, %s) ON CONFLICT (label) DO UPDATE SET "
                "backend_pid = excluded.backend_pid, pid = excluded.pid, host = excluded.host, "
                "started_at = excluded.started_at, locked_at = now()",
                (self.label, os.getpid(), socket.gethostname(), self._started_at),
            )
        except BaseException:
            if self._shared is None:
                conn.close()
            raise
        self._conn = conn

    def still_held(self) -> bool:
        """Whether this session still holds the lock (False once its connection broke)."""
        if self._conn is None or self._conn.closed:
            return False
        try:
            with self._guard:
                row = self._conn.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid() AND granted AND objsubid = 1 "
                    "AND classid::bigint = %s AND objid::bigint = %s",
                    ((self.key >> 32) & 0xFFFFFFFF, self.key & 0xFFFFFFFF),
                ).fetchone()
        except Exception:
            return False
        return bool(_first(row))

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            with self._guard:
                conn.execute(
                    "DELETE FROM run_locks WHERE label = %s AND backend_pid = pg_backend_pid()",
                    (self.label,),
                )
                conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        except Exception:
            pass  # the connection broke: the server released the lock with the session
        finally:
            if self._shared is None:
                conn.close()

    def _holder(self, conn: PgConn) -> str:
        row = conn.execute(
            "SELECT r.pid, r.host, r.started_at FROM run_locks r "
            "JOIN pg_stat_activity a ON a.pid = r.backend_pid WHERE r.label = %s",
            (self.label,),
        ).fetchone()
        if row is None:
            return "holder unknown"
        pid, host, started = row.values() if isinstance(row, dict) else row
        return f"pid {pid} on {host}, started {started}"

    def __enter__(self) -> PgRunLock:
        self.acquire()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _first(row: Any) -> Any:
    """The first column of a row, whether the session gives dicts or tuples."""
    return next(iter(row.values())) if isinstance(row, dict) else row[0]
