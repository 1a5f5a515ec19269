"""Rate budgets kept in the state database, shared by runs, threads and processes.

One row per budget (a tenant's connection, or one endpoint of it) holds what
the vendor last said (limit, remaining, the end of its window) and any pause a
429 asked for. One row per *slot* is a request the budget counted: taken when
a request (or a whole document's requests) is about to be sent, and kept
until the answer is in (a budget the vendor reports in headers) or until it
leaves the window (a budget counted by us alone).

Every read-and-change is one short `BEGIN IMMEDIATE` transaction, so two
processes on one database see each other's requests and together stay within
the limit. Nothing waits inside a transaction: the rules in
`ledgerbridge.core.http.ratelimit` decide, the caller waits outside.

`BudgetStore(None)` keeps the same tables in memory, for budgets that need
not outlive the process (tests, one-off clients).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from operator import attrgetter
from pathlib import Path

BUDGET_SQL = """
        CREATE TABLE IF NOT EXISTS rate_budgets (
            key TEXT PRIMARY KEY,
            mode TEXT NOT NULL DEFAULT 'unknown',
            max_requests INTEGER,
            remaining INTEGER,
            window_end REAL,
            window_span REAL,
            blocked_until REAL NOT NULL DEFAULT 0,
            updated_at REAL NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS rate_budget_slots (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            taken_at REAL NOT NULL,
            holder TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS rate_budget_slots_key ON rate_budget_slots (key, taken_at)
"""

_HOST = socket.gethostname()


def holder() -> str:
    """Who holds a slot: a process on a host, so slots of a killed process can
    be freed (asked each time: a forked child is another process)."""
    return f"{_HOST}:{os.getpid()}"


def create_budget_tables(conn: sqlite3.Connection) -> None:
    """The budget tables; safe to run again (a migration, or an in-memory store)."""
    for statement in BUDGET_SQL.split(";"):
        if statement.strip():
            conn.execute(statement)


@dataclass
class BudgetRow:
    """What is known about one budget (the `rate_budgets` row).

    mode:          "unknown" (the vendor has not answered yet), "headers" (it
                   reports the budget), "headerless" (it answers without
                   budget headers), or "window" (counted by us alone).
    limit:         requests per window, when known.
    remaining:     the vendor's remaining count for the current window, as of
                   its latest answer, minus answers lost on the way; requests
                   still held are not subtracted here.
    window_end:    when the current window ends (epoch seconds), when known.
    window_span:   the longest reset the vendor announced: about one window.
    blocked_until: a 429 asked every user to hold back until then.
    """

    key: str
    mode: str = "unknown"
    limit: int | None = None
    remaining: int | None = None
    window_end: float | None = None
    window_span: float | None = None
    blocked_until: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class BudgetTx:
    """One transaction on one budget: its row, and the slots counted against it."""

    def __init__(self, conn: sqlite3.Connection, row: BudgetRow) -> None:
        self._conn = conn
        self.row = row
        self.key = row.key

    def held(self) -> int:
        """Slots taken and not given back (requests in flight, documents reserved)."""
        return self._scalar("SELECT count(*) FROM rate_budget_slots WHERE key=?", (self.key,))

    def taken_since(self, since: float) -> int:
        return self._scalar(
            "SELECT count(*) FROM rate_budget_slots WHERE key=? AND taken_at > ?",
            (self.key, since),
        )

    def nth_oldest(self, n: int, since: float) -> float:
        """When the n-th oldest slot taken after `since` was taken (n from 1)."""
        row = self._conn.execute(
            "SELECT taken_at FROM rate_budget_slots WHERE key=? AND taken_at > ? "
            "ORDER BY taken_at LIMIT 1 OFFSET ?",
            (self.key, since, max(0, n - 1)),
        ).fetchone()
        return float(row["taken_at"]) if row is not None else since

    def take(self, count: int, now: float) -> list[int]:
        ids = []
        for _ in range(count):
            cur = self._conn.execute(
                "INSERT INTO rate_budget_slots (key, taken_at, holder) VALUES (?, ?, ?)",
                (self.key, now, holder()),
            )
            ids.append(int(cur.lastrowid or 0))
        return ids

    def drop(self, slots: Sequence[int]) -> None:
        self._conn.executemany(
            "DELETE FROM rate_budget_slots WHERE id=? AND key=?", [(s, self.key) for s in slots]
        )

    def retime(self, slot: int, now: float) -> bool:
        """A reserved slot is used now: it counts from the moment it is sent.
        False when the slot is gone (it outlived its lease)."""
        cur = self._conn.execute(
            "UPDATE rate_budget_slots SET taken_at=? WHERE id=? AND key=?", (now, slot, self.key)
        )
        return cur.rowcount > 0

    def drop_older(self, before: float) -> None:
        self._conn.execute(
            "DELETE FROM rate_budget_slots WHERE key=? AND taken_at <= ?", (self.key, before)
        )

    def drop_dead_holders(self) -> int:
        """Free slots of processes on this host that no longer run (killed mid-request)."""
        dead = [
            r["holder"]
            for r in self._conn.execute(
                "SELECT DISTINCT holder FROM rate_budget_slots WHERE key=?", (self.key,)
            )
            if _is_dead(r["holder"], _HOST)
        ]
        for holder in dead:
            self._conn.execute(
                "DELETE FROM rate_budget_slots WHERE key=? AND holder=?", (self.key, holder)
            )
        return len(dead)

    def _scalar(self, sql: str, args: tuple[object, ...]) -> int:
        return int(self._conn.execute(sql, args).fetchone()[0])


def _is_dead(holder: str, host: str) -> bool:
    holder_host, _, pid = holder.rpartition(":")
    if holder_host != host or not pid.isdigit():
        return False  # another machine's process: only its own lease frees it
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by someone else
        return False
    return False


class BudgetStore:
    """The budget tables of a state database (path) or of this process (None).

    One SQLite connection, used under a lock by every thread; a transaction
    lasts a few statements, never a wait.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = None if path is None else str(path)
        conn = sqlite3.connect(
            self.path or ":memory:", timeout=30, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        if self.path is not None:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            from ledgerbridge.core.state.migrations import migrate

            migrate(conn)
        else:
            create_budget_tables(conn)
        self._conn = conn
        self._lock = threading.Lock()
        self._closer = weakref.finalize(self, conn.close)

    @property
    def identity(self) -> str:
        """Stores with the same identity share their budgets (one database file)."""
        return self.path if self.path is not None else f"memory:{id(self)}"

    @contextmanager
    def transaction(self, key: str) -> Iterator[BudgetTx]:
        """Read the budget's row, let the caller change it, write it back: atomically."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = _load(conn, key)
                before = _values(row)
                tx = BudgetTx(conn, row)
                yield tx
                if _values(tx.row) != before:  # most requests change nothing here
                    _save(conn, tx.row)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def snapshot(self, key: str) -> tuple[BudgetRow, int] | None:
        """The row and the number of held slots, or None when never used."""
        with self._lock:
            found = self._conn.execute("SELECT 1 FROM rate_budgets WHERE key=?", (key,)).fetchone()
            if found is None:
                return None
            row = _load(self._conn, key)
            return row, BudgetTx(self._conn, row).held()

    def keys(self, prefix: str = "") -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key FROM rate_budgets WHERE substr(key, 1, ?) = ? ORDER BY key",
                (len(prefix), prefix),
            ).fetchall()
        return [str(r["key"]) for r in rows]

    def close(self) -> None:
        self._closer()


def _load(conn: sqlite3.Connection, key: str) -> BudgetRow:
    r = conn.execute("SELECT * FROM rate_budgets WHERE key=?", (key,)).fetchone()
    if r is None:
        return BudgetRow(key)
    return BudgetRow(
        key=key,
        mode=r["mode"],
        limit=r["max_requests"],
        remaining=r["remaining"],
        window_end=r["window_end"],
        window_span=r["window_span"],
        blocked_until=float(r["blocked_until"] or 0.0),
    )


_values = attrgetter("mode", "limit", "remaining", "window_end", "window_span", "blocked_until")


def _save(conn: sqlite3.Connection, row: BudgetRow) -> None:
    conn.execute(
        "INSERT INTO rate_budgets (key, mode, max_requests, remaining, window_end, window_span, "
        "blocked_until, updated_at) VALUES (:key, :mode, :limit, :remaining, :window_end, "
        ":window_span, :blocked_until, (julianday('now') - 2440587.5) * 86400.0) "
        "ON CONFLICT (key) DO UPDATE SET mode=excluded.mode, max_requests=excluded.max_requests, "
        "remaining=excluded.remaining, window_end=excluded.window_end, "
        "window_span=excluded.window_span, blocked_until=excluded.blocked_until, "
        "updated_at=excluded.updated_at",
        row.to_json(),
    )
