"""The connection the state's SQL runs on: SQLite's, or PostgreSQL's behind
the same calls (`ledgerbridge.core.postgres.state`).

The state's statements are written once, in the SQL both databases speak:
`?` placeholders, `INSERT ... ON CONFLICT`, `"full"` quoted (PostgreSQL
reserves the word). What they cannot share goes through here: the id of a
row just inserted is SQLite's `lastrowid`, PostgreSQL's `RETURNING id`; and
a group's many rows of one kind (`insert_many`, `delete_many`, `insert_ids`)
are SQLite's `executemany`, in-process and cheap per row, but PostgreSQL's
multi-row statements, as there every statement is a round trip.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol, cast


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Conn(Protocol):
    """What the state code calls on a connection (sqlite3.Connection has it)."""

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor: ...


class BatchConn(Protocol):
    """What PostgreSQL's connection (`postgres/state.py`) adds for batches:
    over a network every statement is a round trip, so a group's rows of one
    kind go in one statement there."""

    def insert_values(self, sql: str, rows: Sequence[Sequence[Any]], /) -> None: ...

    def delete_values(self, table: str, columns: Sequence[str], rows: Sequence[Any], /) -> None: ...

    def new_ids(self, table: str, count: int, /) -> list[int]: ...


def insert_id(c: Conn, sql: str, args: Sequence[Any]) -> int:
    """Run an INSERT into a table with an `id` column; the new row's id."""
    if isinstance(c, sqlite3.Connection):
        return int(c.execute(sql, args).lastrowid or 0)
    return int(c.execute(sql + " RETURNING id", args).fetchone()[0])


def insert_many(
    c: Conn, sql: str, rows: Sequence[Sequence[Any]], unique: Sequence[int] = ()
) -> None:
    """`executemany` of an `INSERT ... VALUES (?, ...)`, in order. SQLite runs
    it row by row (in-process, microseconds each); PostgreSQL as one
    multi-row INSERT. `unique`: the columns of the statement's ON CONFLICT
    target; rows repeating one go row by row there too, as a multi-row
    upsert may not touch a row twice."""
    if not rows:
        return
    if isinstance(c, sqlite3.Connection) or len(rows) == 1 or _repeats(rows, unique):
        c.executemany(sql, rows)
        return
    cast(BatchConn, c).insert_values(sql, rows)


def delete_many(c: Conn, table: str, columns: Sequence[str], rows: Sequence[Any]) -> None:
    """Delete the rows whose `columns` equal each of `rows`' values."""
    if not rows:
        return
    if isinstance(c, sqlite3.Connection) or len(rows) == 1:
        where = " AND ".join(f"{col}=?" for col in columns)
        c.executemany(f"DELETE FROM {table} WHERE {where}", rows)
        return
    cast(BatchConn, c).delete_values(table, columns, rows)


def insert_ids(
    c: Conn, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """`insert_id` for several rows of a table with an `id` column, in order.
    SQLite inserts them one by one; PostgreSQL takes that many ids from the
    column's sequence in one query, then inserts every row with its id in one
    statement: two round trips for any number of rows."""
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    if isinstance(c, sqlite3.Connection) or len(rows) < 2:
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
        return [insert_id(c, sql, args) for args in rows]
    ids = cast(BatchConn, c).new_ids(table, len(rows))
    sql = f"INSERT INTO {table} (id, {names}) VALUES (?, {marks})"
    insert_many(c, sql, [(i, *args) for i, args in zip(ids, rows, strict=True)])
    return ids


def _repeats(rows: Sequence[Sequence[Any]], unique: Sequence[int]) -> bool:
    if not unique:
        return False
    keys = {tuple(row[i] for i in unique) for row in rows}
    return len(keys) < len(rows)
