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
not outlive the process (tests, one-off clients). Workers on several
machines share a PostgreSQL store instead (`open_budgets`,
`ledgerbridge.core.postgres.budgets`): the same rules over the same SQL, one
row lock per budget in place of `BEGIN IMMEDIATE`.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, fields
from operator import attrgetter
from pathlib import Path
from typing import Any, Protocol

from ledgerbridge.core.state.location import StateLocation

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


class Sql(Protocol):
    """The few statements a budget needs, on SQLite or PostgreSQL: the SQL
    is written once, with `?` placeholders; each database's adapter runs it."""

    def rows(self, sql: str, args: Sequence[object] = ()) -> list[Mapping[str, Any]]: ...

    def run(self, sql: str, args: Sequence[object] = ()) -> int:
        """Run a statement; how many rows it changed."""
        ...

    def insert(self, sql: str, args: Sequence[object]) -> int:
        """Run an INSERT into a table with an `id` column; the new row's id."""
        ...


class SqliteSql:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rows(self, sql: str, args: Sequence[object] = ()) -> list[Mapping[str, Any]]:
        return list(self.conn.execute(sql, tuple(args)).fetchall())

    def run(self, sql: str, args: Sequence[object] = ()) -> int:
        return self.conn.execute(sql, tuple(args)).rowcount

    def insert(self, sql: str, args: Sequence[object]) -> int:
        return int(self.conn.execute(sql, tuple(args)).lastrowid or 0)


class BudgetTx:
    """One transaction on one budget: its row, and the slots counted against it."""

    def __init__(self, sql: Sql, row: BudgetRow) -> None:
        self._sql = sql
        self.row = row
        self.key = row.key

    def holder(self) -> str:
        """Who the slots taken now belong to."""
        return holder()

    def held(self) -> int:
        """Slots taken and not given back (requests in flight, documents reserved)."""
        return self._scalar("SELECT count(*) AS n FROM rate_budget_slots WHERE key=?", (self.key,))

    def taken_since(self, since: float) -> int:
        return self._scalar(
            "SELECT count(*) AS n FROM rate_budget_slots WHERE key=? AND taken_at > ?",
            (self.key, since),
        )

    def nth_oldest(self, n: int, since: float) -> float:
        """When the n-th oldest slot taken after `since` was taken (n from 1)."""
        found = self._sql.rows(
            "SELECT taken_at FROM rate_budget_slots WHERE key=? AND taken_at > ? "
            "ORDER BY taken_at LIMIT 1 OFFSET ?",
            (self.key, since, max(0, n - 1)),
        )
        return float(found[0]["taken_at"]) if found else since

    def take(self, count: int, now: float) -> list[int]:
        return [
            self._sql.insert(
                "INSERT INTO rate_budget_slots (key, taken_at, holder) VALUES (?, ?, ?)",
                (self.key, now, self.holder()),
            )
            for _ in range(count)
        ]

    def drop(self, slots: Sequence[int]) -> None:
        for slot in slots:
            self._sql.run("DELETE FROM rate_budget_slots WHERE id=? AND key=?", (slot, self.key))

    def retime(self, slot: int, now: float) -> bool:
        """A reserved slot is used now: it counts from the moment it is sent.
        False when the slot is gone (it outlived its lease)."""
        changed = self._sql.run(
            "UPDATE rate_budget_slots SET taken_at=? WHERE id=? AND key=?", (now, slot, self.key)
        )
        return changed > 0

    def drop_older(self, before: float) -> None:
        self._sql.run(
            "DELETE FROM rate_budget_slots WHERE key=? AND taken_at <= ?", (self.key, before)
        )

    def drop_dead_holders(self) -> int:
        """Free slots of processes on this host that no longer run (killed mid-request)."""
        dead = [
            str(r["holder"])
            for r in self._sql.rows(
                "SELECT DISTINCT holder FROM rate_budget_slots WHERE key=?", (self.key,)
            )
            if _is_dead(str(r["holder"]), _HOST)
        ]
        for gone in dead:
            self._sql.run(
                "DELETE FROM rate_budget_slots WHERE key=? AND holder=?", (self.key, gone)
            )
        return len(dead)

    def _scalar(self, sql: str, args: tuple[object, ...]) -> int:
        return int(self._sql.rows(sql, args)[0]["n"])


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
        self._sql = SqliteSql(conn)
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
                row = load_row(self._sql, key)
                before = row_values(row)
                tx = BudgetTx(self._sql, row)
                yield tx
                if row_values(tx.row) != before:  # most requests change nothing here
                    save_row(self._sql, tx.row)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def snapshot(self, key: str) -> tuple[BudgetRow, int] | None:
        """The row and the number of held slots, or None when never used."""
        with self._lock:
            return snapshot_of(self._sql, key)

    def keys(self, prefix: str = "") -> list[str]:
        with self._lock:
            return keys_of(self._sql, prefix)

    def close(self) -> None:
        self._closer()


def load_row(sql: Sql, key: str) -> BudgetRow:
    found = sql.rows("SELECT * FROM rate_budgets WHERE key=?", (key,))
    if not found:
        return BudgetRow(key)
    r = found[0]
    return BudgetRow(
        key=key,
        mode=r["mode"],
        limit=r["max_requests"],
        remaining=r["remaining"],
        window_end=r["window_end"],
        window_span=r["window_span"],
        blocked_until=float(r["blocked_until"] or 0.0),
    )


row_values = attrgetter("mode", "limit", "remaining", "window_end", "window_span", "blocked_until")


def save_row(sql: Sql, row: BudgetRow) -> None:
    sql.run(
        "INSERT INTO rate_budgets (key, mode, max_requests, remaining, window_end, window_span, "
        "blocked_until, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET mode=excluded.mode, max_requests=excluded.max_requests, "
        "remaining=excluded.remaining, window_end=excluded.window_end, "
        "window_span=excluded.window_span, blocked_until=excluded.blocked_until, "
        "updated_at=excluded.updated_at",
        (
            row.key,
            row.mode,
            row.limit,
            row.remaining,
            row.window_end,
            row.window_span,
            row.blocked_until,
            time.time(),  # for operators: when the row last changed (real time)
        ),
    )


def snapshot_of(sql: Sql, key: str) -> tuple[BudgetRow, int] | None:
    if not sql.rows("SELECT 1 AS found FROM rate_budgets WHERE key=?", (key,)):
        return None
    row = load_row(sql, key)
    return row, BudgetTx(sql, row).held()


def keys_of(sql: Sql, prefix: str) -> list[str]:
    rows = sql.rows(
        "SELECT key FROM rate_budgets WHERE substr(key, 1, ?) = ? ORDER BY key",
        (len(prefix), prefix),
    )
    return [str(r["key"]) for r in rows]


class Budgets(Protocol):
    """A budget store: the SQLite `BudgetStore` or PostgreSQL's
    (`ledgerbridge.core.postgres.budgets.PgBudgetStore`), the same rules on both."""

    @property
    def identity(self) -> str: ...

    def transaction(self, key: str) -> AbstractContextManager[BudgetTx]: ...

    def snapshot(self, key: str) -> tuple[BudgetRow, int] | None: ...

    def keys(self, prefix: str = "") -> list[str]: ...

    def close(self) -> None: ...


def open_budgets(location: StateLocation) -> Budgets:
    """The budget store of a state location (opened now; close it when done)."""
    if location.is_postgres:
        from ledgerbridge.core.postgres.budgets import PgBudgetStore

        return PgBudgetStore(location.dsn or "")
    return BudgetStore(location.path)
