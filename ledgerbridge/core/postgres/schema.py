"""The tables ledgerbridge keeps in PostgreSQL besides procrastinate's queue.

Created on first use, under a transaction-level advisory lock so workers
starting together do not race, and versioned in `ledgerbridge_schema` so an
upgrade adds what is new and nothing twice. Keys and names are `COLLATE "C"`:
they sort and compare byte by byte, as in SQLite, whatever the server's locale.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ledgerbridge.core.postgres import PgConn

SCHEMA_LOCK = (0x4C420000, 1)
"""The advisory lock (two-int form) taken while the schema is created or upgraded."""

_BUDGETS = """
CREATE TABLE IF NOT EXISTS rate_budgets (
    key TEXT COLLATE "C" PRIMARY KEY,
    mode TEXT NOT NULL DEFAULT 'unknown',
    max_requests INTEGER,
    remaining INTEGER,
    window_end DOUBLE PRECISION,
    window_span DOUBLE PRECISION,
    blocked_until DOUBLE PRECISION NOT NULL DEFAULT 0,
    updated_at DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS rate_budget_slots (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key TEXT COLLATE "C" NOT NULL,
    taken_at DOUBLE PRECISION NOT NULL,
    holder TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_budget_slots_key ON rate_budget_slots (key, taken_at);
"""

_RUN_LOCKS = """
CREATE TABLE IF NOT EXISTS run_locks (
    label TEXT COLLATE "C" PRIMARY KEY,
    backend_pid INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at TEXT NOT NULL,
    locked_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""

_SCHEDULES = """
CREATE TABLE IF NOT EXISTS schedules (
    tenant TEXT COLLATE "C" NOT NULL,
    connector TEXT COLLATE "C" NOT NULL,
    every_seconds INTEGER CHECK (every_seconds > 0),
    cron TEXT,
    next_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_deferred_at TIMESTAMPTZ,
    last_job_id BIGINT,
    last_note TEXT,
    PRIMARY KEY (tenant, connector),
    CHECK ((every_seconds IS NULL) <> (cron IS NULL))
);
CREATE TABLE IF NOT EXISTS job_attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id BIGINT NOT NULL,
    attempt INTEGER NOT NULL,
    tenant TEXT COLLATE "C" NOT NULL,
    connector TEXT COLLATE "C" NOT NULL,
    worker TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at TIMESTAMPTZ,
    outcome TEXT NOT NULL DEFAULT 'running',
    run_id INTEGER,
    message TEXT
);
CREATE INDEX IF NOT EXISTS job_attempts_pair ON job_attempts (tenant, connector, started_at);
CREATE INDEX IF NOT EXISTS job_attempts_job ON job_attempts (job_id, attempt);
"""

STEPS: list[tuple[int, str]] = [(1, _BUDGETS), (2, _RUN_LOCKS), (3, _SCHEDULES)]
VERSION = STEPS[-1][0]

_ready: set[str] = set()
_ready_lock = threading.Lock()


def ensure_schema(conn: PgConn, dsn: str) -> None:
    """Create or upgrade ledgerbridge's tables (once per process and database)."""
    with _ready_lock:
        if dsn in _ready:
            return
    migrate(conn)
    with _ready_lock:
        _ready.add(dsn)


def migrate(conn: PgConn, on_step: Callable[[int], None] | None = None) -> int:
    """Apply the steps not yet applied; the version now in the database."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", SCHEMA_LOCK)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS ledgerbridge_schema "
            '(name TEXT COLLATE "C" PRIMARY KEY, version INTEGER NOT NULL)'
        )
        row = conn.execute(
            "SELECT version FROM ledgerbridge_schema WHERE name = 'coordination'"
        ).fetchone()
        have = 0 if row is None else int(row["version"] if isinstance(row, dict) else row[0])
        for version, sql in STEPS:
            if version > have:
                conn.execute(sql)
                if on_step is not None:
                    on_step(version)
        conn.execute(
            "INSERT INTO ledgerbridge_schema (name, version) VALUES ('coordination', %s) "
            "ON CONFLICT (name) DO UPDATE SET version = excluded.version",
            (max(have, VERSION),),
        )
    return max(have, VERSION)
