"""Dismissing failed records, undoing it, and what an undo asks of the engine.

`dismissals` holds the current decision per record (the engine skips that
version of it); `dismissal_events` keeps every decision with who, when and
why. Both are written in one transaction, so the log never misses one.

An undo must make the record be tried again on the next run, but the run
after the dismissal has usually moved the flow's cursor past it. So an undo
leaves a request the engine honours by reading that flow's source from the
start once (`reread_due`); records sent before are skipped by hash, so it
costs time, never a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerbridge.core.state.db import DISMISSAL_UPSERT, StateDB
from ledgerbridge.core.state.sql import Conn


@dataclass(frozen=True)
class Decision:
    """Who decides and why, and when."""

    by: str
    reason: str
    at: str


def dismiss(
    state: StateDB,
    *,
    tenant: str,
    connector: str,
    flow: str,
    key: str,
    hash: str | None,
    run_id: int,
    decision: Decision,
) -> None:
    """Dismiss the version of a record (its content hash) that failed in `run_id`."""
    with state.transaction() as c:
        last_run = _last_run_id(c, tenant, connector)
        c.execute(
            DISMISSAL_UPSERT,
            (
                tenant,
                connector,
                flow,
                key,
                hash,
                f"{decision.by}: {decision.reason}",
                run_id,
                decision.at,
            ),
        )
        c.execute(
            "INSERT INTO dismissal_events (tenant, connector, flow, key, action, hash, reason, "
            "by, run_id, last_run_id, at) VALUES (?, ?, ?, ?, 'dismissed', ?, ?, ?, ?, ?, ?)",
            (
                *(tenant, connector, flow, key, hash),
                *(decision.reason, decision.by, run_id, last_run, decision.at),
            ),
        )


def undo(
    state: StateDB, *, tenant: str, connector: str, flow: str, key: str, decision: Decision
) -> bool:
    """End a record's dismissal; False when it was not dismissed."""
    with state.transaction() as c:
        row = c.execute(
            "SELECT hash, run_id FROM dismissals "
            "WHERE tenant=? AND connector=? AND flow=? AND key=?",
            (tenant, connector, flow, key),
        ).fetchone()
        if row is None:
            return False
        c.execute(
            "DELETE FROM dismissals WHERE tenant=? AND connector=? AND flow=? AND key=?",
            (tenant, connector, flow, key),
        )
        c.execute(
            "INSERT INTO dismissal_events (tenant, connector, flow, key, action, hash, reason, "
            "by, run_id, last_run_id, at) VALUES (?, ?, ?, ?, 'undone', ?, ?, ?, ?, ?, ?)",
            (
                *(tenant, connector, flow, key, row[0], decision.reason or None, decision.by),
                *(row[1], _last_run_id(c, tenant, connector), decision.at),
            ),
        )
        return True


def _last_run_id(c: Conn, tenant: str, connector: str) -> int:
    """The newest run of the pair when a decision is made: "since" for `reread_due`."""
    cur = c.execute(
        "SELECT coalesce(max(id), 0) FROM runs WHERE tenant=? AND connector=?", (tenant, connector)
    )
    return int(cur.fetchone()[0])


# An undo is honoured until a real run since has recorded an outcome for the
# record, or a plain incremental run since has succeeded (it read the whole
# source and the record was not in it), or the record was dismissed again.
_REREAD_DUE_SQL = """
    SELECT 1 FROM dismissal_events e
    WHERE e.tenant = ? AND e.connector = ? AND e.flow = ? AND e.action = 'undone'
      AND NOT EXISTS (
        SELECT 1 FROM dismissal_events later
        WHERE later.tenant = e.tenant AND later.connector = e.connector
          AND later.flow = e.flow AND later.key = e.key AND later.id > e.id)
      AND NOT EXISTS (
        SELECT 1 FROM outcomes o JOIN runs r ON r.id = o.run_id
        WHERE o.flow = e.flow AND o.key = e.key AND r.tenant = e.tenant
          AND r.connector = e.connector AND r.dry_run = 0 AND r.id > e.last_run_id)
      AND NOT EXISTS (
        SELECT 1 FROM runs r
        WHERE r.tenant = e.tenant AND r.connector = e.connector AND r.id > e.last_run_id
          AND r.kind = 'run' AND r.dry_run = 0 AND r.params = '{}' AND r.status = 'succeeded')
    LIMIT 1
"""


def reread_due(state: StateDB, tenant: str, connector: str, flow: str) -> bool:
    """Whether an undone dismissal asks this flow to read its source from the start."""
    with state.lock:
        row = state.conn.execute(_REREAD_DUE_SQL, (tenant, connector, flow)).fetchone()
    return row is not None
