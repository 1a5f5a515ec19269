"""Moving a workspace's state from its SQLite file into PostgreSQL.

`ledgerbridge state migrate --from sqlite:///PATH --to postgresql://...`:
the source is first brought to this release's schema (as any command would),
then held with SQLite's write lock for the whole copy, so no run can commit
behind the copy's back; every table of the records' state is copied with
its ids (COPY, in the order the foreign keys allow), the identity sequences
moved past them, and each table counted on both sides before the target's
transaction commits. A count that differs rolls everything back: the target
is left as it was. The trigger that counts unchanged skips is off during the
copy, or it would swallow the skips kept as rows on purpose.

Not copied: the rate budgets, which describe the vendor's current window and
are learnt again from its next answer (on PostgreSQL they are the
coordination tables every worker shares).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from ledgerbridge.core.errors import ConfigError, LedgerbridgeError
from ledgerbridge.core.postgres.state import PgStateDB
from ledgerbridge.core.state.db import StateDB

TABLES = (
    "runs",
    "outcomes",
    "outcome_counts",
    "links",
    "link_sides",
    "cursors",
    "outbox",
    "dismissals",
    "dismissal_events",
    "settled_origins",
)
"""The records' state, parents before the tables that refer to them."""

IDENTITY_TABLES = ("runs", "outcomes", "links", "dismissal_events")


@dataclass
class TransferReport:
    source: str
    target: str
    before: dict[str, int] = field(default_factory=dict)
    """Rows per table in the source."""
    after: dict[str, int] = field(default_factory=dict)
    """Rows per table in the target once committed."""
    replaced: dict[str, int] = field(default_factory=dict)
    """Rows the target held before, removed with --replace."""

    def to_json(self) -> dict[str, object]:
        return {
            "from": self.source,
            "to": self.target,
            "tables": [
                {
                    "table": t,
                    "source": self.before.get(t, 0),
                    "target": self.after.get(t, 0),
                    "replaced": self.replaced.get(t, 0),
                }
                for t in TABLES
            ],
        }


def transfer(source: Path, dsn: str, *, replace: bool = False) -> TransferReport:
    """Copy the SQLite state at `source` into the PostgreSQL state at `dsn`."""
    if not source.is_file():
        raise ConfigError(f"There is no SQLite state at {source} to migrate (--from).")
    StateDB(source).close()  # brought to this release's schema first
    target = PgStateDB(dsn)
    report = TransferReport(f"sqlite:///{source}", target.shown())
    src = sqlite3.connect(str(source), timeout=30, isolation_level=None)
    try:
        src.execute("BEGIN IMMEDIATE")  # no run commits while the copy reads
        report.before = {t: _count(src, t) for t in TABLES}
        with target.lock, target.raw.transaction():
            held = {t: _pg_count(target, t) for t in TABLES}
            if any(held.values()) and not replace:
                raise LedgerbridgeError(
                    f"The PostgreSQL state at {target.shown()} already holds records ("
                    + ", ".join(f"{t}: {n}" for t, n in held.items() if n)
                    + "); nothing was copied. Migrate into an empty database, or pass "
                    "--replace to delete what it holds first."
                )
            if any(held.values()):
                report.replaced = {t: n for t, n in held.items() if n}
                target.raw.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
            _copy_all(src, target)
            report.after = {t: _pg_count(target, t) for t in TABLES}
            if report.after != report.before:
                wrong = [
                    f"{t}: {report.before[t]} in the source, {report.after[t]} copied"
                    for t in TABLES
                    if report.before[t] != report.after[t]
                ]
                raise LedgerbridgeError(
                    "The copy does not add up, so nothing was kept: " + "; ".join(wrong)
                )
    finally:
        src.close()  # the read transaction ends with it: nothing was written
        target.close()
    return report


def _copy_all(src: sqlite3.Connection, target: PgStateDB) -> None:
    raw = target.raw
    raw.execute("ALTER TABLE outcomes DISABLE TRIGGER outcomes_count_unchanged")
    for table in TABLES:
        columns = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
        names = ", ".join(f'"{c}"' for c in columns)
        rows = src.execute(f"SELECT {names} FROM {table} ORDER BY rowid")
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    raw.execute("ALTER TABLE outcomes ENABLE TRIGGER outcomes_count_unchanged")
    for table in IDENTITY_TABLES:  # new rows continue after the copied ids
        raw.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
        )


def _count(src: sqlite3.Connection, table: str) -> int:
    return int(src.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _pg_count(target: PgStateDB, table: str) -> int:
    return int(target.raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
