"""The state database: SQLite (WAL mode) by default, PostgreSQL for workers on
several machines (`ledgerbridge.core.postgres.state.PgStateDB`, the same
methods over the same SQL; `open_state` picks by the state location).

Everything the engine learns about a record — its outcome, its binding, the
cursor move and the outbox entry being cleared — is committed in one
transaction by `commit_record`, so a run killed at any point leaves state that
the next run resumes from without loss or duplicates.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ledgerbridge.core.state.bindings import Binding, BindingView, BindingWrite
from ledgerbridge.core.state.links import (
    FreshLink,
    LinkView,
    SideWrite,
    unset_side,
    write_fresh_links,
    write_sides,
)
from ledgerbridge.core.state.location import StateLocation
from ledgerbridge.core.state.migrations import SCHEMA_VERSION, migrate
from ledgerbridge.core.state.outcomes import (
    OUTBOX_KEY,
    OUTCOME_INSERT,
    LinkWrite,
    OutcomeParts,
    move_cursor,
    outcome_parts,
)
from ledgerbridge.core.state.rows import RUN_COLS, OutcomeRow, RunRow, run_row
from ledgerbridge.core.state.sql import Conn, Cursor, delete_many, insert_id, insert_many

__all__ = [
    "SCHEMA_VERSION",
    "BindingWrite",
    "LinkWrite",
    "OutcomeRow",
    "RunRow",
    "StateDB",
    "open_state",
]


DISMISSAL_UPSERT = (
    "INSERT INTO dismissals (tenant, connector, flow, key, hash, reason, run_id, at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, connector, flow, key) DO UPDATE SET "
    "hash=excluded.hash, reason=excluded.reason, run_id=excluded.run_id, at=excluded.at"
)
"""A record's current dismissal (one per record), written by `dismiss`."""


class StateDB:
    """The records' state (runs, outcomes, links, cursors, outbox), SQLite's."""

    kind = "sqlite"
    IntegrityError: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
    """What a broken constraint raises (a test, or a caller, can catch it)."""
    OperationalError: tuple[type[Exception], ...] = (sqlite3.OperationalError,)
    """What a statement the database cannot run now raises (VACUUM during a run)."""

    def __init__(self, path: Path | str) -> None:
        self.path: Path | str | None = path
        # Targets running in worker threads read bindings; every use of the
        # connection goes through self.lock, so sharing it is safe.
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        self.lock = threading.RLock()
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        self.conn: Conn = conn
        self._sqlite = conn
        self.db = Database(conn)
        migrate(conn)

    def close(self) -> None:
        self._sqlite.close()

    def shown(self) -> str:
        """Where this state is, for messages."""
        return f"sqlite:///{self.path}"

    def _execute(self, sql: str, args: Any = ()) -> Cursor:
        """A statement outside `transaction()`, under the lock (see __init__)."""
        with self.lock:
            return self.conn.execute(sql, args)

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Named rows, read under the connection's lock (targets share it)."""
        with self.lock:
            cur = self.conn.execute(sql, tuple(args))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def compact(self) -> None:
        """Give the space of deleted rows back (after a prune)."""
        with self.lock:
            self._sqlite.execute("VACUUM")

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def schema_version(self) -> int:
        return int(self._execute("PRAGMA user_version").fetchone()[0])

    # -- runs -------------------------------------------------------------

    def start_run(
        self,
        tenant: str,
        connector: str,
        *,
        started_at: str,
        kind: str = "run",
        dry_run: bool = False,
        full: bool = False,
        params: dict[str, Any] | None = None,
        pid: int | None = None,
    ) -> int:
        with self.transaction() as c:
            return insert_id(
                c,
                'INSERT INTO runs (tenant, connector, kind, status, dry_run, "full", params, '
                "started_at, pid) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)",
                (
                    tenant,
                    connector,
                    kind,
                    int(dry_run),
                    int(full),
                    json.dumps(params or {}, default=str),
                    started_at,
                    pid,
                ),
            )

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        ended_at: str,
        counts: tuple[int, int, int],
        message: str | None = None,
    ) -> None:
        with self.transaction() as c:
            c.execute(
                "UPDATE runs SET status=?, ended_at=?, succeeded=?, failed=?, skipped=?, message=? "
                "WHERE id=?",
                (status, ended_at, *counts, message, run_id),
            )

    def mark_interrupted(self, tenant: str, connector: str, ended_at: str) -> int:
        """Runs left 'running' by a killed process (the caller holds the lock)."""
        with self.transaction() as c:
            cur = c.execute(
                "UPDATE runs SET status='interrupted', ended_at=?, "
                "message='the process ended before the run finished; the next run resumed it' "
                "WHERE tenant=? AND connector=? AND status='running'",
                (ended_at, tenant, connector),
            )
            return cur.rowcount

    def run(self, run_id: int) -> RunRow | None:
        row = self._execute(f"SELECT {RUN_COLS} FROM runs WHERE id=?", (run_id,)).fetchone()
        return run_row(row) if row else None

    def runs(
        self, tenant: str | None = None, connector: str | None = None, limit: int = 20
    ) -> list[RunRow]:
        sql = f"SELECT {RUN_COLS} FROM runs WHERE 1=1"
        args: list[Any] = []
        if tenant:
            sql += " AND tenant=?"
            args.append(tenant)
        if connector:
            sql += " AND connector=?"
            args.append(connector)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        return [run_row(r) for r in self._execute(sql, args)]

    # -- outcomes ----------------------------------------------------------

    def dismiss(
        self,
        *,
        tenant: str,
        connector: str,
        flow: str,
        key: str,
        hash: str | None,
        reason: str,
        run_id: int | None,
        at: str,
    ) -> None:
        """Accept a failed record as not to be sent (this version of it)."""
        with self.transaction() as c:
            c.execute(DISMISSAL_UPSERT, (tenant, connector, flow, key, hash, reason, run_id, at))

    def dismissals(self, tenant: str, connector: str, flow: str) -> dict[str, str | None]:
        """key -> dismissed content hash (None: whatever the source yields for it)."""
        rows = self._execute(
            "SELECT key, hash FROM dismissals WHERE tenant=? AND connector=? AND flow=?",
            (tenant, connector, flow),
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    def failed_hash(self, run_id: int, flow: str, key: str) -> tuple[bool, str | None]:
        """Whether `key` failed in the run, and the content hash it failed with."""
        row = self._execute(
            "SELECT hash FROM outcomes WHERE run_id=? AND flow=? AND key=? AND status='failed' "
            "ORDER BY id DESC LIMIT 1",
            (run_id, flow, key),
        ).fetchone()
        return (row is not None, row[0] if row else None)

    def outcomes(
        self, run_id: int, status: str | None = None, limit: int | None = None
    ) -> Iterator[OutcomeRow]:
        sql = (
            "SELECT run_id, flow, entity, key, status, action, remote_id, error, at "
            "FROM outcomes WHERE run_id=?"
        )
        args: list[Any] = [run_id]
        if status:
            sql += " AND status=?"
            args.append(status)
        sql += " ORDER BY id"
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        for r in self._execute(sql, args):
            yield OutcomeRow(
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]) if r[7] else None, r[8]
            )

    def record_outcome(self, **outcome: Any) -> None:
        """Outcome, link, cursor and outbox for one record, in one transaction
        (the arguments of `outcome_parts`)."""
        self.record_outcomes([outcome])

    def record_outcomes(self, outcomes: Sequence[Mapping[str, Any]]) -> None:
        """Several records' outcomes in one transaction, in order: a group
        commits whole or not at all, and each cursor moves once, to the
        furthest value in the group."""
        if not outcomes:
            return
        parts = [outcome_parts(**outcome) for outcome in outcomes]
        cursors: dict[tuple[str, str, str, str], tuple[str, str]] = {}
        for part, outcome in zip(parts, outcomes, strict=True):
            if part.cursor is not None:
                where, value = part.cursor
                if where not in cursors or value > cursors[where][0]:
                    cursors[where] = (value, str(outcome["at"]))
        with self.transaction() as c:
            insert_many(c, OUTCOME_INSERT, [p.row for p in parts])
            _write_links(c, parts)
            ends = [p.intent_end for p in parts if p.intent_end is not None]
            delete_many(c, "outbox", OUTBOX_KEY, ends)
            for (tenant, connector, flow, partition), (value, at) in cursors.items():
                move_cursor(c, tenant, connector, flow, partition, value, at)

    # -- links, cursors, outbox ----------------------------------------------

    def bindings(self, tenant: str, connector: str) -> BindingView:
        return BindingView(self.conn, tenant, connector, self.lock)

    def links(self, tenant: str, connector: str) -> LinkView:
        return LinkView(self.conn, tenant, connector, self.lock)

    def set_link(
        self, tenant: str, connector: str, entity: str, sides: tuple[SideWrite, ...], at: str
    ) -> int:
        """Pair sides by hand (`ledgerbridge links set`): they become one link,
        each side moved off any link it had."""
        with self.transaction() as c:
            for side in sides:
                unset_side(c, tenant, connector, side)
            return write_sides(c, tenant, connector, entity, sides, at)

    def unset_link(self, tenant: str, connector: str, side: SideWrite) -> int:
        """Break the link `side` belongs to at that side."""
        with self.transaction() as c:
            return unset_side(c, tenant, connector, side)

    def binding(
        self, tenant: str, connector: str, system: str, entity: str, key: str
    ) -> Binding | None:
        return self.bindings(tenant, connector).get(system, entity, key)

    def cursor(self, tenant: str, connector: str, flow: str, partition: str = "") -> str | None:
        row = self._execute(
            "SELECT value FROM cursors WHERE tenant=? AND connector=? AND flow=? AND partition=?",
            (tenant, connector, flow, partition),
        ).fetchone()
        return row[0] if row else None

    def partition_cursors(self, tenant: str, connector: str, flow: str) -> dict[str, str]:
        """Every partition's cursor of a flow (a company and year, a department)."""
        rows = self._execute(
            "SELECT partition, value FROM cursors WHERE tenant=? AND connector=? AND flow=? "
            "AND value IS NOT NULL ORDER BY partition",
            (tenant, connector, flow),
        )
        return {r[0]: r[1] for r in rows}

    def cursors(self, tenant: str, connector: str) -> dict[str, str | None]:
        """flow (or flow[partition]) -> cursor, for status displays."""
        rows = self._execute(
            "SELECT flow, partition, value FROM cursors WHERE tenant=? AND connector=? "
            "ORDER BY flow, partition",
            (tenant, connector),
        )
        return {(f"{r[0]}[{r[1]}]" if r[1] else r[0]): r[2] for r in rows}

    def add_outbox(self, **intent: Any) -> None:
        """Record the intent to write before the remote call (committed at once)."""
        self.add_outboxes([intent])

    def add_outboxes(self, intents: Sequence[Mapping[str, Any]]) -> None:
        """Several intents in one transaction, all before any of their writes.
        Each: tenant, connector, flow, key, idempotency_key, record_hash,
        run_id, at."""
        if not intents:
            return
        rows = [
            (
                i["tenant"],
                i["connector"],
                i["flow"],
                i["key"],
                i["idempotency_key"],
                i["record_hash"],
                i["run_id"],
                i["at"],
            )
            for i in intents
        ]
        with self.transaction() as c:
            insert_many(
                c,
                "INSERT INTO outbox (tenant, connector, flow, key, idempotency_key, "
                "record_hash, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (tenant, connector, flow, key) DO UPDATE SET "
                "idempotency_key=excluded.idempotency_key, record_hash=excluded.record_hash, "
                "run_id=excluded.run_id, created_at=excluded.created_at",
                rows,
                unique=range(len(OUTBOX_KEY)),
            )

    def outbox_entry(
        self, tenant: str, connector: str, flow: str, key: str
    ) -> dict[str, Any] | None:
        row = self._execute(
            "SELECT idempotency_key, record_hash, run_id, created_at FROM outbox "
            "WHERE tenant=? AND connector=? AND flow=? AND key=?",
            (tenant, connector, flow, key),
        ).fetchone()
        if not row:
            return None
        return {
            "idempotency_key": row[0],
            "record_hash": row[1],
            "run_id": row[2],
            "created_at": row[3],
        }

    def clear_outbox(self, tenant: str, connector: str, flow: str, key: str) -> None:
        with self.transaction() as c:
            c.execute(
                "DELETE FROM outbox WHERE tenant=? AND connector=? AND flow=? AND key=?",
                (tenant, connector, flow, key),
            )

    def outbox_keys(self, tenant: str, connector: str, flow: str) -> set[str]:
        """Keys with a pending intent in a flow (few: only writes whose answer was lost)."""
        rows = self._execute(
            "SELECT key FROM outbox WHERE tenant=? AND connector=? AND flow=?",
            (tenant, connector, flow),
        )
        return {r[0] for r in rows}

    def outbox_count(self, tenant: str, connector: str) -> int:
        return int(
            self._execute(
                "SELECT count(*) FROM outbox WHERE tenant=? AND connector=?", (tenant, connector)
            ).fetchone()[0]
        )


def _write_links(c: Conn, parts: Sequence[OutcomeParts]) -> None:
    """The links of a group's outcomes, in order; a run of fresh ones (creates
    of records that had no link, the bulk of a first sync) goes in batches."""
    fresh: list[FreshLink] = []
    for p in parts:
        if p.link is None:
            continue
        tenant, connector, link, at = p.link
        if link.fresh and link.replaces is None:
            fresh.append(FreshLink(tenant, connector, link.entity, link.sides, at))
            continue
        write_fresh_links(c, fresh)
        fresh = []
        write_sides(
            c, tenant, connector, link.entity, link.sides, at, link.replaces, fresh=link.fresh
        )
    write_fresh_links(c, fresh)


def open_state(location: StateLocation) -> StateDB:
    """The state at a location: the SQLite file, or PostgreSQL (opened now;
    close it when done)."""
    if location.is_postgres:
        from ledgerbridge.core.postgres.state import PgStateDB

        return PgStateDB(location.dsn or "")
    assert location.path is not None
    return StateDB(location.path)
