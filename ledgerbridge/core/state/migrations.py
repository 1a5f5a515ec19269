"""Schema migrations, applied in order from the database's `user_version`.

Never edit a released migration: add the next one. Each runs in its own
transaction, so a failed upgrade leaves the previous version intact.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from ledgerbridge.core.errors import LedgerbridgeError

_V1_SQL = """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            tenant TEXT NOT NULL,
            connector TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'run',
            status TEXT NOT NULL,
            dry_run INTEGER NOT NULL DEFAULT 0,
            full INTEGER NOT NULL DEFAULT 0,
            params TEXT NOT NULL DEFAULT '{}',
            started_at TEXT NOT NULL,
            ended_at TEXT,
            succeeded INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            message TEXT,
            pid INTEGER
        );
        CREATE INDEX runs_tenant ON runs (tenant, connector, id);

        CREATE TABLE outcomes (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            flow TEXT NOT NULL,
            entity TEXT NOT NULL,
            key TEXT NOT NULL,
            status TEXT NOT NULL,
            action TEXT,
            remote_id TEXT,
            error TEXT,
            at TEXT NOT NULL
        );
        CREATE INDEX outcomes_run ON outcomes (run_id, status);

        CREATE TABLE bindings (
            tenant TEXT NOT NULL,
            connector TEXT NOT NULL,
            system TEXT NOT NULL,
            entity TEXT NOT NULL,
            local_key TEXT NOT NULL,
            remote_id TEXT NOT NULL,
            hash TEXT,
            remote_updated_at TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (tenant, connector, system, entity, local_key)
        );
        CREATE INDEX bindings_remote ON bindings (tenant, system, entity, remote_id);

        CREATE TABLE cursors (
            tenant TEXT NOT NULL,
            connector TEXT NOT NULL,
            flow TEXT NOT NULL,
            value TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (tenant, connector, flow)
        );

        CREATE TABLE outbox (
            tenant TEXT NOT NULL,
            connector TEXT NOT NULL,
            flow TEXT NOT NULL,
            key TEXT NOT NULL,
            idempotency_key TEXT NOT NULL,
            record_hash TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (tenant, connector, flow, key)
        );
"""


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: executescript() would commit our transaction."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v1(conn: sqlite3.Connection) -> None:
    _run_script(conn, _V1_SQL)


_V2_SQL = """
        ALTER TABLE outcomes ADD COLUMN hash TEXT;
        CREATE TABLE dismissals (
            tenant TEXT NOT NULL,
            connector TEXT NOT NULL,
            flow TEXT NOT NULL,
            key TEXT NOT NULL,
            hash TEXT,
            reason TEXT NOT NULL,
            run_id INTEGER,
            at TEXT NOT NULL,
            PRIMARY KEY (tenant, connector, flow, key)
        );
"""


def _v2(conn: sqlite3.Connection) -> None:
    """Dismissed failures: an operator accepts that a record will not be sent
    (in this version), so it stops holding the flow's cursor back."""
    _run_script(conn, _V2_SQL)


def _rate_budgets(conn: sqlite3.Connection) -> None:
    """Rate budgets per connection, shared by runs and processes (state/budgets.py).

    Self-contained (CREATE ... IF NOT EXISTS, no other table touched), so its
    place in the list does not matter."""
    from ledgerbridge.core.state.budgets import create_budget_tables

    create_budget_tables(conn)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _rate_budgets]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to SCHEMA_VERSION; return the version it had before."""
    before = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if before > SCHEMA_VERSION:
        raise LedgerbridgeError(
            f"The state database has schema version {before}, newer than this ledgerbridge "
            f"understands ({SCHEMA_VERSION}). Upgrade ledgerbridge."
        )
    for version in range(before, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return before
