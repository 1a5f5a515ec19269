"""The connection the state's SQL runs on: SQLite's, or PostgreSQL's behind
the same calls (`ledgerbridge.core.postgres.state`).

The state's statements are written once, in the SQL both databases speak:
`?` placeholders, `INSERT ... ON CONFLICT`, `"full"` quoted (PostgreSQL
reserves the word). What they cannot share goes through here: the id of a
row just inserted is SQLite's `lastrowid`, PostgreSQL's `RETURNING id`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol


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


def insert_id(c: Conn, sql: str, args: Sequence[Any]) -> int:
    """Run an INSERT into a table with an `id` column; the new row's id."""
    if isinstance(c, sqlite3.Connection):
        return int(c.execute(sql, args).lastrowid or 0)
    return int(c.execute(sql + " RETURNING id", args).fetchone()[0])
