"""The records' state in PostgreSQL: `StateDB`'s methods over one psycopg session.

Every method of `StateDB` (runs, outcomes in groups, links, cursors, outbox,
dismissals, history, retention) runs here unchanged: the state's SQL is
written in the dialect both databases speak (see `state/sql.py`), and
`PgConnection` gives it the `execute` SQLite's connection has, with `?`
turned into psycopg's `%s`. A transaction is psycopg's, so a group of
outcomes (`record_outcomes`) or intents (`add_outboxes`) commits whole or
not at all, as on SQLite. A group's rows of one kind (its outcomes, fresh
links and their sides, ended intents; a batch of intents) go in one
multi-row statement (`insert_values`, `delete_values`, `new_ids`), not one
statement each: over a network each statement is a round trip.

One session per `PgStateDB`, used under the same lock by every thread of a
run. The run lock of a run sits on this very session (`run_lock(...,
state=)`): should the session end (the worker killed, its machine gone, the
server restarted) the lock goes with it, and so does every write the stalled
run might still try, so a run that lost its lock cannot write past the run
that took it over.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from ledgerbridge.core.postgres import PgConn, connect, require_psycopg
from ledgerbridge.core.postgres.schema import ensure_schema
from ledgerbridge.core.postgres.state_schema import migrate_state, state_version
from ledgerbridge.core.state.db import StateDB
from ledgerbridge.core.state.location import redact_dsn
from ledgerbridge.core.state.sql import Conn, Cursor


@lru_cache(maxsize=512)
def pg_sql(sql: str) -> str:
    """`?` placeholders as psycopg's `%s` (a literal `%` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgConnection:
    """A psycopg connection behind the calls the state code makes on SQLite's."""

    def __init__(self, raw: PgConn) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        cur: Cursor = self.raw.execute(pg_sql(sql), tuple(parameters))
        return cur

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor:
        cur = self.raw.cursor()
        cur.executemany(pg_sql(sql), [tuple(p) for p in parameters])
        result: Cursor = cur
        return result

    # -- batches (state/sql.py `insert_many`, `delete_many`, `insert_ids`) -----
    # A group of 256 outcomes is a few statements, not a few per record: each
    # statement is a round trip to the server and a parse, bind and execute.

    def insert_values(self, sql: str, rows: Sequence[Sequence[Any]], /) -> None:
        """An `INSERT ... VALUES (?, ...)` for many rows, as multi-row INSERTs."""
        head, tail = _values_parts(sql)
        width = len(rows[0])
        for chunk in _chunks(rows, width):
            self._raw_execute(head + _numbered(len(chunk), width) + tail, chunk)

    def delete_values(self, table: str, columns: Sequence[str], rows: Sequence[Any], /) -> None:
        """Delete the rows matching any of `rows` on `columns`, one statement a chunk."""
        width = len(columns)
        head = f"DELETE FROM {table} WHERE ({', '.join(columns)}) IN (VALUES "
        for chunk in _chunks(rows, width):
            self._raw_execute(head + _numbered(len(chunk), width) + ")", chunk)

    def _raw_execute(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """With `$n` placeholders, which psycopg sends as they are: a statement
        of thousands of `%s` costs it more to parse than the server to run."""
        from psycopg import RawCursor

        with RawCursor(self.raw) as cur:
            cur.execute(sql, [value for row in rows for value in row])

    def new_ids(self, table: str, count: int, /) -> list[int]:
        """`count` new ids from the sequence of `table`'s id column, ascending."""
        cur = self.execute(
            "SELECT nextval(pg_get_serial_sequence(?, 'id')) FROM generate_series(1, ?)",
            (table, count),
        )
        return sorted(int(row[0]) for row in cur.fetchall())


CHUNK_ROWS = 1000
MAX_PARAMS = 30000  # the protocol allows 65,535 parameters a statement


def _chunks(rows: Sequence[Any], width: int) -> Iterator[Sequence[Any]]:
    size = max(1, min(CHUNK_ROWS, MAX_PARAMS // max(1, width)))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


@lru_cache(maxsize=64)
def _values_parts(sql: str) -> tuple[str, str]:
    """An INSERT split around its one `VALUES (?, ...)` group: before, after."""
    start = sql.index("VALUES (") + len("VALUES ")
    end = sql.index(")", start) + 1
    return sql[:start], sql[end:]


@lru_cache(maxsize=64)
def _numbered(count: int, width: int) -> str:
    """`($1, $2), ($3, $4)` for count=2, width=2."""
    return ", ".join(
        "(" + ", ".join(f"${row * width + col + 1}" for col in range(width)) + ")"
        for row in range(count)
    )


class PgStateDB(StateDB):
    """The state in a PostgreSQL database (`--state postgresql://...`)."""

    kind = "postgresql"

    def __init__(self, dsn: str) -> None:
        psycopg = require_psycopg()
        self.IntegrityError = (psycopg.IntegrityError,)
        self.OperationalError = (psycopg.OperationalError,)
        self.path = None
        self.dsn = dsn
        raw = connect(dsn, purpose="state", dict_rows=False)
        try:
            ensure_schema(raw, dsn)  # the coordination tables: run locks, budgets
            migrate_state(raw)
        except BaseException:
            raw.close()
            raise
        self.raw = raw
        self.lock = threading.RLock()
        self.conn = PgConnection(raw)
        # closed when nothing uses the session any more: a LinkView handed to a
        # target may outlive the StateDB it came from, as with SQLite's connection
        self._closer = weakref.finalize(self.conn, raw.close)

    def close(self) -> None:
        self._closer()

    def shown(self) -> str:
        return redact_dsn(self.dsn)

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        with self.lock, self.raw.transaction():
            yield self.conn

    def schema_version(self) -> int:
        with self.lock:
            return state_version(self.raw)

    def compact(self) -> None:
        """VACUUM the tables a prune deletes from (outside any transaction)."""
        with self.lock:
            for table in ("outcomes", "outcome_counts", "runs"):
                self.raw.execute(f"VACUUM {table}")
