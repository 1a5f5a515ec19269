"""Settled origins: source units (an export file, by digest) whose every
record a flow has settled.

A source that reads whole files every run (a folder of export files, where a
cursor cannot tell which files are new) tags its records with the file's
origin. When a run of the flow reads to the end, every origin whose records
all succeeded or were skipped (none failed, none left waiting or in
conflict, and none planned only) is kept here; the next run hands the set to
the source, which does not open those files again. A file that changes gets
a new digest, so it is read; one that failed anything is read again until
it settles.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from ledgerbridge.core.state.sql import Conn

ORIGINS_SQL = """
        CREATE TABLE IF NOT EXISTS settled_origins (
            tenant TEXT NOT NULL,
            connector TEXT NOT NULL,
            flow TEXT NOT NULL,
            origin TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (tenant, connector, flow, origin)
        )
"""


def create_origin_table(conn: sqlite3.Connection) -> None:
    """Migration v6: self-contained, like the budget tables."""
    conn.execute(ORIGINS_SQL)


def settled_origins(conn: Conn, tenant: str, connector: str, flow: str) -> frozenset[str]:
    rows = conn.execute(
        "SELECT origin FROM settled_origins WHERE tenant=? AND connector=? AND flow=?",
        (tenant, connector, flow),
    )
    return frozenset(row[0] for row in rows)


def keep_settled(
    conn: Conn,
    where: tuple[str, str, str],
    origins: Iterable[str],
    run_id: int,
    at: str,
) -> int:
    """Record `origins` as settled for the flow at `where` (tenant,
    connector, flow); returns how many are new."""
    rows = [(*where, origin, run_id, at) for origin in origins]
    if not rows:
        return 0
    cur = conn.executemany(
        "INSERT INTO settled_origins (tenant, connector, flow, origin, run_id, at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        rows,
    )
    return int(cur.rowcount)


def forget_settled(conn: Conn, tenant: str, connector: str, flow: str) -> int:
    """Forget a flow's settled origins: its next run reads every file."""
    cur = conn.execute(
        "DELETE FROM settled_origins WHERE tenant=? AND connector=? AND flow=?",
        (tenant, connector, flow),
    )
    return cur.rowcount
