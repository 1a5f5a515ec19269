"""The migration that makes the state database answer an operator's questions.

- `dismissal_events`: every dismissal and every undo, with who, when and why.
  The `dismissals` table keeps only the current decision per record (what the
  engine reads); this log keeps all of them, so dismissing twice keeps both
  reasons.
- `outcome_counts` and the `outcomes_count_unchanged` trigger: a record
  skipped because it is unchanged (or is the echo of our own write) is
  counted per run and flow instead of
  getting a row of its own. A 15-minute schedule re-reading 10,000 records
  would otherwise add a million rows a day that say nothing the link (the
  hash last written, and when) does not already say. The one exception is
  kept as a row: an unchanged skip that follows a failure of the same record,
  since that is what closes the failure.
- Views for reading the database as it is (Datasette, sqlite3): the error
  fields as columns, dry runs told apart from real ones by a column, and
  `open_failures`, the failures nothing has fixed, replayed or dismissed.

It is written to run after any earlier migration that keeps the `runs`,
`outcomes` and `dismissals` columns of versions 1 and 2: it depends on no
version number. Once released it must not change; a later change to a view
is a new migration that drops and re-creates it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

_TABLES_SQL = """
        CREATE TABLE IF NOT EXISTS dismissal_events (
            id INTEGER PRIMARY KEY,
            tenant TEXT NOT NULL,
            connector TEXT NOT NULL,
            flow TEXT NOT NULL,
            key TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('dismissed', 'undone')),
            hash TEXT,
            reason TEXT,
            by TEXT,
            run_id INTEGER,
            last_run_id INTEGER NOT NULL DEFAULT 0,
            at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS dismissal_events_key
            ON dismissal_events (tenant, connector, flow, key, id);

        CREATE TABLE IF NOT EXISTS outcome_counts (
            run_id INTEGER NOT NULL,
            flow TEXT NOT NULL,
            status TEXT NOT NULL,
            action TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (run_id, flow, status, action)
        );

        CREATE INDEX IF NOT EXISTS outcomes_key ON outcomes (flow, key, id);
        CREATE INDEX IF NOT EXISTS outcomes_failures ON outcomes (id) WHERE status = 'failed';
        CREATE INDEX IF NOT EXISTS runs_started ON runs (started_at)
"""

# Dismissals made before this migration: `ledgerbridge dismiss` stored
# "user: reason" in one column; the log keeps them apart.
_BACKFILL_SQL = """
        INSERT INTO dismissal_events
            (tenant, connector, flow, key, action, hash, reason, by, run_id, last_run_id, at)
        SELECT tenant, connector, flow, key, 'dismissed', hash,
            CASE WHEN instr(reason, ': ') > 0
                THEN substr(reason, instr(reason, ': ') + 2) ELSE reason END,
            CASE WHEN instr(reason, ': ') > 0
                THEN substr(reason, 1, instr(reason, ': ') - 1) END,
            run_id, coalesce(run_id, 0), at
        FROM dismissals
        WHERE NOT EXISTS (SELECT 1 FROM dismissal_events)
"""

# The latest real (not dry-run) outcome of the record NEW is about.
_LATEST_REAL = """
        SELECT o.status || '/' || coalesce(o.action, '')
        FROM outcomes o JOIN runs r ON r.id = o.run_id
        WHERE o.flow = NEW.flow AND o.key = NEW.key AND r.dry_run = 0
          AND r.tenant = (SELECT tenant FROM runs WHERE id = NEW.run_id)
          AND r.connector = (SELECT connector FROM runs WHERE id = NEW.run_id)
        ORDER BY o.id DESC LIMIT 1
"""

_TRIGGER_SQL = f"""
        CREATE TRIGGER outcomes_count_unchanged BEFORE INSERT ON outcomes
        WHEN NEW.status = 'skipped' AND NEW.action IN ('unchanged', 'echo')
          AND (
            (SELECT dry_run FROM runs WHERE id = NEW.run_id) = 1
            OR (
              SELECT coalesce(v LIKE 'failed/%' OR v = 'skipped/dismissed', 0)
              FROM (SELECT ({_LATEST_REAL}) AS v)
            ) = 0
          )
        BEGIN
            INSERT INTO outcome_counts (run_id, flow, status, action, count)
            VALUES (NEW.run_id, NEW.flow, 'skipped', NEW.action, 1)
            ON CONFLICT (run_id, flow, status, action) DO UPDATE SET count = count + 1;
            SELECT RAISE(IGNORE);
        END
"""

_ERROR_FIELDS = ("message", "field", "value", "rule", "fix", "retryable")


def _json_field(table: str, name: str) -> str:
    return f"json_extract({table}.error, '$.{name}')"


def error_columns(table: str, field: Callable[[str, str], str] = _json_field) -> str:
    """The error's fields as columns; `field` reads one (SQLite's json_extract,
    or another database's equivalent)."""
    return ",".join(f"\n        {field(table, name)} AS {name}" for name in _ERROR_FIELDS)


_SQLITE_DURATION = "CAST(round((julianday(ended_at) - julianday(started_at)) * 86400) AS INTEGER)"

# Real outcomes of the same tenant, connector, flow and record as `o`.
_SAME_RECORD = """
        FROM outcomes {a} JOIN runs {a}r ON {a}r.id = {a}.run_id
        WHERE {a}.flow = o.flow AND {a}.key = o.key AND {a}r.dry_run = 0
          AND {a}r.tenant = r.tenant AND {a}r.connector = r.connector"""


def views_sql(
    *,
    duration: str = _SQLITE_DURATION,
    field: Callable[[str, str], str] = _json_field,
    same: str = "IS",
) -> str:
    """The operator's views; the defaults are SQLite's (the released text),
    the arguments another database's duration, JSON field and null-safe equality."""
    return f"""
        DROP VIEW IF EXISTS open_failures;
        DROP VIEW IF EXISTS failures;
        DROP VIEW IF EXISTS outcome_details;
        DROP VIEW IF EXISTS run_history;

        CREATE VIEW run_history AS
        SELECT id, tenant, connector, kind, dry_run, status, started_at, ended_at,
            {duration}
                AS duration_seconds,
            succeeded, failed, skipped, message, params
        FROM runs;

        CREATE VIEW outcome_details AS
        SELECT o.id, o.run_id, r.tenant, r.connector, r.kind AS run_kind, r.dry_run,
            o.flow, o.entity, o.key, o.status, o.action, o.remote_id, o.at,
            {error_columns("o", field)}
        FROM outcomes o JOIN runs r ON r.id = o.run_id;

        CREATE VIEW failures AS
        SELECT r.tenant, r.connector, o.flow, o.entity, o.key,
            CASE
                WHEN nx.id IS NULL
                    THEN CASE WHEN d.key IS NOT NULL AND d.hash {same} o.hash
                        THEN 'dismissed' ELSE 'open' END
                WHEN nx.status = 'skipped' AND nx.action = 'dismissed'
                    THEN CASE WHEN d.key IS NOT NULL THEN 'dismissed' ELSE 'open' END
                WHEN nx.status = 'succeeded' THEN 'fixed'
                ELSE 'skipped'
            END AS state,
            o.run_id, r.kind AS run_kind, o.at AS failed_at,
            (SELECT min(s.at) {_SAME_RECORD.format(a="s")}
                AND s.status = 'failed' AND s.id > coalesce(
                    (SELECT max(p.id) {_SAME_RECORD.format(a="p")}
                        AND p.status != 'failed' AND p.id < o.id), 0)
            ) AS failing_since,
            (SELECT min(s.id) {_SAME_RECORD.format(a="s")}
                AND s.status = 'failed' AND s.id > coalesce(
                    (SELECT max(p.id) {_SAME_RECORD.format(a="p")}
                        AND p.status != 'failed' AND p.id < o.id), 0)
            ) AS first_outcome_id,
            (SELECT count(*) {_SAME_RECORD.format(a="s")}
                AND s.status = 'failed' AND s.id > coalesce(
                    (SELECT max(p.id) {_SAME_RECORD.format(a="p")}
                        AND p.status != 'failed' AND p.id < o.id), 0)
            ) AS attempts,
            {error_columns("o", field)},
            nx.run_id AS resolved_in_run, nx.at AS resolved_at,
            nx.status AS resolved_status, nx.action AS resolved_action,
            d.reason AS dismissed_reason, d.at AS dismissed_at,
            o.error, o.hash, o.id AS outcome_id
        FROM outcomes o
        JOIN runs r ON r.id = o.run_id AND r.dry_run = 0
        LEFT JOIN outcomes nx ON nx.id = (
            SELECT n.id {_SAME_RECORD.format(a="n")} AND n.id > o.id ORDER BY n.id LIMIT 1)
        LEFT JOIN dismissals d ON d.tenant = r.tenant AND d.connector = r.connector
            AND d.flow = o.flow AND d.key = o.key
        WHERE o.status = 'failed'
          AND NOT EXISTS (
            SELECT 1 {_SAME_RECORD.format(a="g")} AND g.status = 'failed' AND g.id > o.id);

        CREATE VIEW open_failures AS
        SELECT tenant, connector, flow, entity, key, run_id, failed_at, failing_since, attempts,
            message, field, value, rule, fix, retryable
        FROM failures WHERE state = 'open'
        ORDER BY tenant, connector, flow, failed_at
"""


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: executescript() would commit the migration's
    transaction."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def operator_tables_and_views(conn: sqlite3.Connection) -> None:
    """Dismissal history, unchanged records counted instead of kept, and the
    views an operator reads (see the module docstring)."""
    _run_script(conn, _TABLES_SQL)
    conn.execute(_BACKFILL_SQL)
    conn.execute("DROP TRIGGER IF EXISTS outcomes_count_unchanged")
    conn.execute(_TRIGGER_SQL)  # one statement: its body has semicolons of its own
    _run_script(conn, views_sql())
