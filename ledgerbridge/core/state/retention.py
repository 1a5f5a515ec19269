"""Retention: deleting old runs and their outcomes, and nothing that matters.

Kept whatever their age: a run still running; the latest run of each tenant
and connector (what `status` shows); a run with a pending write in the
outbox; and, for every record still failing or dismissed, its last failed
outcome and the first of its streak, with their runs, so `errors` and the
`open_failures` view show the same records, failing since the same time,
after a prune as before (the attempts count what is left). Links, cursors,
the outbox, dismissals and their history are never touched.

Deletes go in small transactions, so a prune can run beside a scheduled run
without holding the database for long.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass

from ledgerbridge.core.state.db import StateDB

BATCH_RUNS = 50

# Runs kept whole, outcomes and all: running, the latest of each pair, and
# those with a write pending in the outbox.
_WHOLE_RUNS_SQL = """
    SELECT id FROM runs WHERE status = 'running'
    UNION SELECT max(id) FROM runs GROUP BY tenant, connector
    UNION SELECT run_id FROM outbox
"""
# The last failure of a record still open or dismissed, and the first of its
# streak (so "failing since" survives). Two plain queries: SQLite 3.40 drops
# rows from a UNION over this view.
_KEPT_FAILURES_SQL = (
    "SELECT outcome_id, first_outcome_id FROM failures WHERE state IN ('open', 'dismissed')"
)


def _kept_failures(state: StateDB) -> dict[int, int]:
    """outcome id -> run id of every failed outcome a prune must keep."""
    ids = {i for row in state.conn.execute(_KEPT_FAILURES_SQL) for i in row if i is not None}
    found: dict[int, int] = {}
    for chunk in _batches(sorted(ids), 500):
        rows = state.conn.execute(
            f"SELECT id, run_id FROM outcomes WHERE id IN ({_marks(chunk)})", chunk
        )
        found.update(dict(rows.fetchall()))
    return found


@dataclass(frozen=True)
class PruneReport:
    cutoff: str
    dry_run: bool
    runs: int
    outcomes: int
    outcome_counts: int
    runs_kept: int
    failures_kept: int

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def prune(
    state: StateDB,
    *,
    cutoff: str,
    tenant: str | None = None,
    connector: str | None = None,
    dry_run: bool = False,
) -> PruneReport:
    """Delete runs started before `cutoff` and their outcomes (see the module
    docstring for what is kept); with `dry_run`, only count."""
    with state.lock:
        whole = {r[0] for r in state.conn.execute(_WHOLE_RUNS_SQL) if r[0] is not None}
        kept_failures = _kept_failures(state)
        every_old = _old_runs(state, cutoff, tenant, connector)
    old = [run_id for run_id in every_old if run_id not in whole]
    holders = set(kept_failures.values())
    totals = [0, 0, 0]
    for batch in _batches(old, BATCH_RUNS):
        deleted = _delete(state, batch, holders, set(kept_failures), dry_run)
        totals = [t + n for t, n in zip(totals, deleted, strict=True)]
    old_set = set(every_old)
    return PruneReport(
        cutoff=cutoff,
        dry_run=dry_run,
        runs=totals[0],
        outcomes=totals[1],
        outcome_counts=totals[2],
        runs_kept=len(every_old) - totals[0],
        failures_kept=sum(1 for run_id in kept_failures.values() if run_id in old_set),
    )


def _old_runs(state: StateDB, cutoff: str, tenant: str | None, connector: str | None) -> list[int]:
    sql = "SELECT id FROM runs WHERE started_at < ?"
    args: list[str] = [cutoff]
    for column, value in (("tenant", tenant), ("connector", connector)):
        if value:
            sql += f" AND {column} = ?"
            args.append(value)
    with state.lock:
        return [r[0] for r in state.conn.execute(sql + " ORDER BY id", args)]


def _batches(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _marks(items: list[int]) -> str:
    return ", ".join("?" * len(items))


def _delete(
    state: StateDB, runs: list[int], holders: set[int], kept: set[int], dry_run: bool
) -> tuple[int, int, int]:
    """One batch of old runs: their outcomes (but the kept failures) and
    counts; the run rows unless they hold a kept failure."""
    doomed = [run_id for run_id in runs if run_id not in holders]
    with state.lock:
        outcome_ids = [
            r[0]
            for r in state.conn.execute(
                f"SELECT id FROM outcomes WHERE run_id IN ({_marks(runs)})", runs
            )
            if r[0] not in kept
        ]
        counts = state.conn.execute(
            f"SELECT count(*) FROM outcome_counts WHERE run_id IN ({_marks(runs)})", runs
        ).fetchone()[0]
    if dry_run:
        return len(doomed), len(outcome_ids), int(counts)
    with state.transaction() as c:
        for chunk in _batches(outcome_ids, 500):
            c.execute(f"DELETE FROM outcomes WHERE id IN ({_marks(chunk)})", chunk)
        c.execute(f"DELETE FROM outcome_counts WHERE run_id IN ({_marks(runs)})", runs)
        if doomed:
            c.execute(f"DELETE FROM runs WHERE id IN ({_marks(doomed)})", doomed)
    return len(doomed), len(outcome_ids), int(counts)
