"""Grouped commits: many records' state in one SQLite transaction, without
weakening any promise.

The rule that keeps every promise: **nothing remote happens while a state
change is uncommitted.** The engine calls `flush()` before every remote call
(a write, a lookup) and before observer hooks; between remote calls, state
changes accumulate in one open transaction. So an intent is always durable
before its write, and a kill can only lose outcomes of writes whose intents
are durable (the next run finds those documents by lookup) or of records
that wrote nothing (read again next run). A record's outcome, link, cursor
and intent still commit together, in source order.

A run of records that write nothing (unchanged, echoes) becomes one
transaction per group instead of one per record. Groups are bounded in size
and in time, so the write lock is never held long enough to stall another
process sharing the state file.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

MAX_GROUP = 500  # records' state changes per transaction at most
MAX_GROUP_SECONDS = 0.5  # how long the write lock may be held for a group


class Transactions:
    """BEGIN IMMEDIATE ... COMMIT per use, or grouped inside `grouped()`."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock) -> None:
        self.conn = conn
        self.lock = lock
        self._grouping = 0
        self._open = False
        self._changes = 0
        self._opened = 0.0

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            if not self._grouping:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    raise
                self.conn.execute("COMMIT")
                return
            if not self._open:
                self.conn.execute("BEGIN IMMEDIATE")
                self._open, self._changes, self._opened = True, 0, time.monotonic()
            try:
                yield self.conn
            except BaseException:
                # what the group held is lost, never half kept: each of those
                # records is read again (or found by lookup) on the next run
                self.conn.execute("ROLLBACK")
                self._open = False
                raise
            self._changes += 1
            if self._changes >= MAX_GROUP or time.monotonic() - self._opened > MAX_GROUP_SECONDS:
                self.flush()

    def flush(self) -> None:
        """Commit the open group, if any: before anything remote happens."""
        with self.lock:
            if self._open:
                self.conn.execute("COMMIT")
                self._open = False

    @contextmanager
    def grouped(self) -> Iterator[None]:
        """Group the commits made inside (one flow's run); commit at the end.
        If the block raises, what the open group held is still committed:
        it is the state of records fully done before the failure."""
        with self.lock:
            self._grouping += 1
        try:
            yield
        finally:
            with self.lock:
                self._grouping -= 1
                if not self._grouping:
                    self.flush()
