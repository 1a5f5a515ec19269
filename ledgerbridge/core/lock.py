"""One run at a time per tenant and connector.

`run_lock()` gives the lock of the workspace's state location, behind one
interface (`RunLock`):

- `FileRunLock` (the embedded default): an OS file lock (flock), released by
  the kernel when the holder dies, so a killed run never leaves a stale lock;
  the file's text says who holds it, so the second run can tell the operator.
  It holds on one host only.
- `PgRunLock` (a postgresql:// state, `ledgerbridge.core.postgres.lock`): a
  PostgreSQL session advisory lock, held across every worker on every machine.
  Given the run's state (`state=`), it sits on the session the run writes
  through, so losing the session loses the lock and the writes together.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from ledgerbridge.core.errors import RunLockedError
from ledgerbridge.core.state.location import StateLocation
from ledgerbridge.core.workspace import Workspace

if TYPE_CHECKING:
    from ledgerbridge.core.state.db import StateDB


class RunLock(Protocol):
    """Held for the whole run; `acquire` raises RunLockedError naming the holder."""

    def acquire(self) -> None: ...

    def release(self) -> None: ...

    def __enter__(self) -> RunLock: ...

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None: ...


def run_lock(
    ws: Workspace, tenant: str, connector: str, started_at: str, state: StateDB | None = None
) -> RunLock:
    """The run lock where the workspace keeps its state; on PostgreSQL, on
    `state`'s session when given (the run's own)."""
    location: StateLocation = ws.state
    if location.is_postgres:
        from ledgerbridge.core.postgres.lock import PgRunLock

        session = getattr(state, "raw", None)
        return PgRunLock(
            location.dsn or "", tenant, connector, started_at, conn=session, guard=state
        )
    return FileRunLock(ws.locks_dir, tenant, connector, started_at)


class FileRunLock:
    def __init__(self, locks_dir: Path, tenant: str, connector: str, started_at: str) -> None:
        self.path = locks_dir / f"{tenant}.{connector}.lock"
        self._label = f"{tenant}/{connector}"
        self._started_at = started_at
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise RunLockedError(
                f"Another run of {self._label} is in progress ({holder}); "
                "wait for it to finish, or stop that process first."
            ) from None
        os.ftruncate(fd, 0)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": self._started_at}
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FileRunLock:
        self.acquire()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (OSError, ValueError):
        return "holder unknown"
    if not info:
        return "holder unknown"
    return f"pid {info.get('pid')} on {info.get('host')}, started {info.get('started_at')}"
