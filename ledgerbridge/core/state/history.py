"""Read-only questions about what happened, answered from the state database.

What ran (`run_history`), what is still failing (`failures`, over the
`failures` view, so the CLI and someone reading the database in Datasette see
the same answer) and who dismissed what and why (`dismissal_history`). Every
function takes the `StateDB` and only reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ledgerbridge.core.state.db import StateDB

STATES = ("open", "dismissed", "fixed", "skipped")
"""What became of a failed record since: nothing (open), an operator dismissed
it, a later run or replay sent it (fixed), or a later run skipped it
(excluded by a plugin, or unchanged from what was sent before)."""


def _query(state: StateDB, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Named rows, read under the connection's lock (targets share it)."""
    return state.query(sql, params)


# -- runs ---------------------------------------------------------------------


@dataclass(frozen=True)
class RunEntry:
    id: int
    tenant: str
    connector: str
    kind: str
    dry_run: bool
    status: str
    started_at: str
    ended_at: str | None
    duration_seconds: int | None
    succeeded: int
    failed: int
    skipped: int
    message: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def run_history(
    state: StateDB,
    *,
    tenant: str | None = None,
    connector: str | None = None,
    statuses: Iterable[str] = (),
    since: str | None = None,
    limit: int | None = 20,
) -> list[RunEntry]:
    """Runs, newest first. `since` is an ISO timestamp in state's format."""
    where, args = _filters(tenant=tenant, connector=connector)
    chosen = list(statuses)
    if chosen:
        where.append(f"status IN ({', '.join('?' * len(chosen))})")
        args += chosen
    if since:
        where.append("started_at >= ?")
        args.append(since)
    return _runs(state, where, args, order="id DESC", limit=limit)


def incomplete_runs(
    state: StateDB,
    *,
    tenant: str | None = None,
    connector: str | None = None,
    since: str | None = None,
) -> list[RunEntry]:
    """The latest real run of each tenant and connector when it did not
    complete (aborted, interrupted, a flow stopped): a problem no record
    failure shows."""
    where, args = _filters(tenant=tenant, connector=connector)
    where += [
        "id IN (SELECT max(id) FROM runs WHERE dry_run = 0 GROUP BY tenant, connector)",
        "status NOT IN ('succeeded', 'running')",
        "message IS NOT NULL",
    ]
    if since:
        where.append("started_at >= ?")
        args.append(since)
    return _runs(state, where, args, order="tenant, connector")


_RUN_SELECT = (
    "SELECT id, tenant, connector, kind, dry_run, status, started_at, ended_at, "
    "duration_seconds, succeeded, failed, skipped, message FROM run_history"
)


def _runs(
    state: StateDB, where: list[str], args: list[Any], *, order: str, limit: int | None = None
) -> list[RunEntry]:
    sql = f"{_RUN_SELECT} WHERE {' AND '.join(where) or '1=1'} ORDER BY {order}"
    if limit:
        sql += " LIMIT ?"
        args = [*args, limit]
    return [
        RunEntry(**{**row, "dry_run": bool(row["dry_run"])}) for row in _query(state, sql, args)
    ]


def _filters(**equal: str | None) -> tuple[list[str], list[Any]]:
    where = [f"{name} = ?" for name, value in equal.items() if value]
    return where, [value for value in equal.values() if value]


# -- failures -------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """A record's latest failure and what became of it since."""

    tenant: str
    connector: str
    flow: str
    entity: str
    key: str
    state: str
    run_id: int
    run_kind: str
    failed_at: str
    failing_since: str
    attempts: int
    error: dict[str, Any]
    resolved: dict[str, Any] | None = None
    dismissal: dict[str, Any] | None = None
    outcome_id: int = field(default=0, repr=False)

    @property
    def record(self) -> str:
        return f"{self.entity} {self.key}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["outcome_id"]
        return {"record": self.record, **data}


_FAILURE_COLS = (
    "tenant, connector, flow, entity, key, state, run_id, run_kind, failed_at, "
    "failing_since, attempts, error, resolved_in_run, resolved_at, resolved_status, "
    "resolved_action, outcome_id"
)


def failures(
    state: StateDB,
    *,
    open_only: bool = True,
    tenant: str | None = None,
    connector: str | None = None,
    since: str | None = None,
    limit: int | None = None,
) -> list[Failure]:
    """Each failed record once (its latest failure), oldest first; with
    `open_only` only those nothing has fixed or dismissed. `since` keeps the
    records whose latest failure is at or after it."""
    where, args = _filters(tenant=tenant, connector=connector)
    if open_only:
        where.append("state = 'open'")
    if since:
        where.append("failed_at >= ?")
        args.append(since)
    sql = (
        f"SELECT {_FAILURE_COLS} FROM failures WHERE {' AND '.join(where) or '1=1'} "
        "ORDER BY tenant, connector, failed_at, outcome_id"
    )
    if limit:
        sql += " LIMIT ?"
        args.append(limit)
    return _with_dismissals(state, [_failure(row) for row in _query(state, sql, args)])


def failures_of_run(state: StateDB, run_id: int) -> dict[tuple[str, str], Failure]:
    """What became of each record that failed in `run_id`: (flow, key) -> its
    latest failure, which may be this run's or a later one."""
    sql = (
        f"SELECT {_FAILURE_COLS} FROM failures f WHERE EXISTS ("
        "SELECT 1 FROM outcomes o JOIN runs r ON r.id = o.run_id "
        "WHERE o.run_id = ? AND o.status = 'failed' AND o.flow = f.flow AND o.key = f.key "
        "AND r.tenant = f.tenant AND r.connector = f.connector)"
    )
    found = _with_dismissals(state, [_failure(row) for row in _query(state, sql, [run_id])])
    return {(f.flow, f.key): f for f in found}


def _failure(row: dict[str, Any]) -> Failure:
    resolved = None
    if row["resolved_in_run"] is not None:
        resolved = {
            "run_id": row["resolved_in_run"],
            "at": row["resolved_at"],
            "status": row["resolved_status"],
            "action": row["resolved_action"],
        }
    return Failure(
        tenant=row["tenant"],
        connector=row["connector"],
        flow=row["flow"],
        entity=row["entity"],
        key=row["key"],
        state=row["state"],
        run_id=row["run_id"],
        run_kind=row["run_kind"],
        failed_at=row["failed_at"],
        failing_since=row["failing_since"] or row["failed_at"],
        attempts=row["attempts"] or 1,
        error=json.loads(row["error"]) if row["error"] else {},
        resolved=resolved,
        outcome_id=row["outcome_id"],
    )


def _with_dismissals(state: StateDB, found: list[Failure]) -> list[Failure]:
    """Who dismissed the dismissed ones, when and why (the latest decision)."""
    dismissed = [f for f in found if f.state == "dismissed"]
    if not dismissed:
        return found
    latest: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for event in dismissal_events(
        state, keys={(f.tenant, f.connector, f.flow, f.key) for f in dismissed}
    ):
        if event.action == "dismissed":
            latest[(event.tenant, event.connector, event.flow, event.key)] = {
                "by": event.by,
                "reason": event.reason,
                "at": event.at,
                "run_id": event.run_id,
            }
    out = []
    for f in found:
        info = latest.get((f.tenant, f.connector, f.flow, f.key))
        out.append(replace(f, dismissal=info) if f.state == "dismissed" else f)
    return out


# -- dismissals -----------------------------------------------------------------


@dataclass(frozen=True)
class DismissalEvent:
    id: int
    tenant: str
    connector: str
    flow: str
    key: str
    action: str
    hash: str | None
    reason: str | None
    by: str | None
    run_id: int | None
    at: str

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["hash"]
        return data


@dataclass(frozen=True)
class DismissedRecord:
    """One record's dismissal history; `active` while the engine skips it."""

    tenant: str
    connector: str
    flow: str
    key: str
    active: bool
    events: list[DismissalEvent]

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "connector": self.connector,
            "flow": self.flow,
            "key": self.key,
            "active": self.active,
            "events": [e.to_json() for e in self.events],
        }


def dismissal_events(
    state: StateDB,
    *,
    tenant: str | None = None,
    connector: str | None = None,
    keys: set[tuple[str, str, str, str]] | None = None,
) -> list[DismissalEvent]:
    """Every dismissal and undo, oldest first."""
    where, args = _filters(tenant=tenant, connector=connector)
    sql = (
        "SELECT id, tenant, connector, flow, key, action, hash, reason, by, run_id, at "
        f"FROM dismissal_events WHERE {' AND '.join(where) or '1=1'} ORDER BY id"
    )
    events = [DismissalEvent(**row) for row in _query(state, sql, args)]
    if keys is not None:
        events = [e for e in events if (e.tenant, e.connector, e.flow, e.key) in keys]
    return events


def dismissal_history(
    state: StateDB,
    *,
    tenant: str | None = None,
    connector: str | None = None,
    include_undone: bool = False,
) -> list[DismissedRecord]:
    """Dismissed records with every decision about them; with
    `include_undone`, also the records whose dismissal was undone."""
    where, args = _filters(tenant=tenant, connector=connector)
    active = {
        (r["tenant"], r["connector"], r["flow"], r["key"])
        for r in _query(
            state,
            "SELECT tenant, connector, flow, key FROM dismissals "
            f"WHERE {' AND '.join(where) or '1=1'}",
            args,
        )
    }
    grouped: dict[tuple[str, str, str, str], list[DismissalEvent]] = {}
    for event in dismissal_events(state, tenant=tenant, connector=connector):
        grouped.setdefault((event.tenant, event.connector, event.flow, event.key), []).append(event)
    records = []
    for ident in sorted(set(grouped) | active):
        if ident not in active and not include_undone:
            continue
        tenant_, connector_, flow, key = ident
        records.append(
            DismissedRecord(
                tenant_,
                connector_,
                flow,
                key,
                active=ident in active,
                events=grouped.get(ident, []),
            )
        )
    return records


def last_sign_of_life(state: StateDB, run_id: int) -> str | None:
    """When run `run_id` was last known to be working: its end when it
    ended on its own, else (killed) the latest outcome it recorded or its
    start. A write it sent cannot be older than this minus its queueing."""
    rows = _query(
        state,
        "SELECT r.started_at AS started, CASE WHEN r.status = 'interrupted' THEN NULL "
        "ELSE r.ended_at END AS ended, (SELECT max(o.at) FROM outcomes o "
        "WHERE o.run_id = r.id) AS last FROM runs r WHERE r.id = ?",
        (run_id,),
    )
    if not rows:
        return None
    row = rows[0]
    return row["ended"] or max(filter(None, (row["started"], row["last"])), default=None)
