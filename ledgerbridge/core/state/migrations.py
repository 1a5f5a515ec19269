"""Schema migrations, applied in order from the database's `user_version`.

Never edit a released migration: add the next one. Each runs in its own
transaction, so a failed upgrade leaves the previous version intact.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from ledgerbridge.core.errors import LedgerbridgeError
from ledgerbridge.core.state.operator_migration import operator_tables_and_views

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


_V3_SQL = """
        CREATE TABLE links (
            id INTEGER PRIMARY KEY,
            tenant TEXT NOT NULL,
            connector TEXT NOT NULL,
            entity TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE link_sides (
            tenant TEXT NOT NULL,
            connector TEXT NOT NULL,
            system TEXT NOT NULL,
            entity TEXT NOT NULL,
            key TEXT NOT NULL,
            link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,
            hash TEXT,
            version TEXT,
            origin TEXT NOT NULL,
            data TEXT,
            synced_at TEXT NOT NULL,
            PRIMARY KEY (tenant, connector, system, entity, key)
        );
        CREATE INDEX link_sides_link ON link_sides (link_id);
        CREATE INDEX link_sides_key ON link_sides (tenant, connector, entity, key);
        CREATE TABLE cursors_v3 (
            tenant TEXT NOT NULL,
            connector TEXT NOT NULL,
            flow TEXT NOT NULL,
            partition TEXT NOT NULL DEFAULT '',
            value TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (tenant, connector, flow, partition)
        );
        INSERT INTO cursors_v3 (tenant, connector, flow, partition, value, updated_at)
            SELECT tenant, connector, flow, '', value, updated_at FROM cursors;
        DROP TABLE cursors;
        ALTER TABLE cursors_v3 RENAME TO cursors
"""


def _v3(conn: sqlite3.Connection) -> None:
    """Links replace bindings: one link per real-world thing, one side per
    system, so a two-way sync can look up from either side and tell its own
    writes from a user's change. Every v2 binding becomes a link of two
    sides: the source's key (system 'source', the name a flow's source has
    when it declares none) and the target's remote id. Cursors gain a
    partition (a company and year, a department), '' for unpartitioned flows."""
    bindings = conn.execute(
        "SELECT tenant, connector, system, entity, local_key, remote_id, hash, "
        "remote_updated_at, updated_at FROM bindings ORDER BY rowid"
    ).fetchall()
    _run_script(conn, _V3_SQL)
    for tenant, connector, system, entity, local_key, remote_id, hash_, stamp, at in bindings:
        _migrate_binding(
            conn, (tenant, connector), system, entity, local_key, remote_id, hash_, stamp, at
        )
    conn.execute("DROP TABLE bindings")


def _migrate_binding(
    conn: sqlite3.Connection,
    where: tuple[str, str],
    system: str,
    entity: str,
    local_key: str,
    remote_id: str,
    hash_: str | None,
    stamp: str | None,
    at: str,
) -> None:
    """One v2 binding as a link of two sides. A local key bound in two systems,
    or a remote id bound to two local keys, shares one link, so no binding is
    lost and nothing is created twice."""
    find = (
        "SELECT link_id FROM link_sides WHERE tenant=? AND connector=? AND system=? "
        "AND entity=? AND key=?"
    )
    row = (
        conn.execute(find, (*where, "source", entity, local_key)).fetchone()
        or conn.execute(find, (*where, system, entity, remote_id)).fetchone()
    )
    if row is not None:
        link_id = row[0]
    else:
        link_id = conn.execute(
            "INSERT INTO links (tenant, connector, entity, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (*where, entity, at, at),
        ).lastrowid
    side = (
        "INSERT OR IGNORE INTO link_sides (tenant, connector, system, entity, key, link_id, "
        "hash, version, origin, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'migrated', ?)"
    )
    conn.execute(side, (*where, system, entity, remote_id, link_id, hash_, stamp, at))
    conn.execute(side, (*where, "source", entity, local_key, link_id, hash_, None, at))


def _rate_budgets(conn: sqlite3.Connection) -> None:
    """Rate budgets per connection, shared by runs and processes (state/budgets.py).

    Self-contained (CREATE ... IF NOT EXISTS, no other table touched), so its
    place in the list does not matter."""
    from ledgerbridge.core.state.budgets import create_budget_tables

    create_budget_tables(conn)


def _settled_origins(conn: sqlite3.Connection) -> None:
    """Export files whose every record is settled (state/origins.py)."""
    from ledgerbridge.core.state.origins import create_origin_table

    create_origin_table(conn)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1,
    _v2,
    _v3,
    operator_tables_and_views,  # v4
    _rate_budgets,  # v5
    _settled_origins,  # v6
]
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
