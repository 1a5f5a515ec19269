"""Rate budgets in PostgreSQL: the same rows, slots and rules as the SQLite
store (`ledgerbridge.core.state.budgets`), shared by workers on any machine.

A budget's transaction takes a transaction-level advisory lock on its key, so
every read-and-change of one budget is serialised across all workers (as
`BEGIN IMMEDIATE` does on one SQLite file) while different budgets never wait
for each other. A slot's holder also names the PostgreSQL session that took
it, so slots of a worker killed on *another* machine are freed as soon as the
server has closed its session, not only after the lease.
"""

from __future__ import annotations

import hashlib
import re
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from ledgerbridge.core.postgres import PgConn, connect
from ledgerbridge.core.postgres.schema import ensure_schema
from ledgerbridge.core.state.budgets import (
    BudgetRow,
    BudgetTx,
    holder,
    keys_of,
    load_row,
    row_values,
    save_row,
    snapshot_of,
)
from ledgerbridge.core.state.location import redact_dsn

BUDGET_LOCK_CLASS = 0x4C420001
"""First key of the budgets' advisory locks (two-int form); the second is the key's hash."""


@lru_cache(maxsize=256)
def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


class PgSql:
    """Runs the budgets' portable SQL on a psycopg connection."""

    def __init__(self, conn: PgConn) -> None:
        self.conn = conn

    def rows(self, sql: str, args: Sequence[object] = ()) -> list[Mapping[str, Any]]:
        return list(self.conn.execute(_pg(sql), tuple(args)).fetchall())

    def run(self, sql: str, args: Sequence[object] = ()) -> int:
        return int(self.conn.execute(_pg(sql), tuple(args)).rowcount)

    def insert(self, sql: str, args: Sequence[object]) -> int:
        return int(self.conn.execute(_pg(sql) + " RETURNING id", tuple(args)).fetchone()["id"])


_SESSION = re.compile(r"/pg(\d+)$")


class PgBudgetTx(BudgetTx):
    def __init__(self, sql: PgSql, row: BudgetRow, backend_pid: int) -> None:
        super().__init__(sql, row)
        self._pg_sql = sql
        self._backend = backend_pid

    def holder(self) -> str:
        return f"{holder()}/pg{self._backend}"

    def drop_dead_holders(self) -> int:
        """Slots whose PostgreSQL session is gone (its worker died, anywhere),
        and those of dead processes on this host."""
        freed = super().drop_dead_holders()
        holders = [
            str(r["holder"])
            for r in self._pg_sql.rows(
                "SELECT DISTINCT holder FROM rate_budget_slots WHERE key=?", (self.key,)
            )
        ]
        sessions = {h: int(m.group(1)) for h in holders if (m := _SESSION.search(h))}
        if not sessions:
            return freed
        alive = {
            int(r["pid"])
            for r in self._pg_sql.rows(
                "SELECT pid FROM pg_stat_activity WHERE pid = ANY(?)", (list(sessions.values()),)
            )
        }
        for gone in [h for h, pid in sessions.items() if pid not in alive]:
            self._pg_sql.run(
                "DELETE FROM rate_budget_slots WHERE key=? AND holder=?", (self.key, gone)
            )
            freed += 1
        return freed


def key_lock(key: str) -> int:
    """The second key of a budget's advisory lock: a signed 32-bit hash of its name."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big", signed=True)


class PgBudgetStore:
    """The budget tables of a PostgreSQL state database.

    One connection, used under a lock by every thread of the process (as the
    SQLite store does); a transaction lasts a few statements, never a wait.
    """

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        conn = connect(dsn, purpose="rate budgets")
        ensure_schema(conn, dsn)
        self._conn = conn
        self._sql = PgSql(conn)
        self._backend = int(conn.info.backend_pid)
        self._lock = threading.Lock()
        self._closer = weakref.finalize(self, conn.close)

    @property
    def identity(self) -> str:
        """Stores on the same database share their budgets."""
        return f"postgresql:{redact_dsn(self.dsn)}"

    @contextmanager
    def transaction(self, key: str) -> Iterator[BudgetTx]:
        """Read the budget's row, let the caller change it, write it back: atomically."""
        with self._lock, self._conn.transaction():
            self._conn.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", (BUDGET_LOCK_CLASS, key_lock(key))
            )
            row = load_row(self._sql, key)
            before = row_values(row)
            tx = PgBudgetTx(self._sql, row, self._backend)
            yield tx
            if row_values(tx.row) != before:  # most requests change nothing here
                save_row(self._sql, tx.row)

    def snapshot(self, key: str) -> tuple[BudgetRow, int] | None:
        """The row and the number of held slots, or None when never used."""
        with self._lock:
            return snapshot_of(self._sql, key)

    def keys(self, prefix: str = "") -> list[str]:
        with self._lock:
            return keys_of(self._sql, prefix)

    def close(self) -> None:
        self._closer()
