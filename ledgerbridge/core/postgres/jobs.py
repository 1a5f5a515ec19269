"""What the queue says about each tenant+connector, for `status` and `errors`:
its schedule, its latest job and every attempt of a job that failed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ledgerbridge.core.postgres import PgConn, connect
from ledgerbridge.core.postgres.schedules import get_schedules
from ledgerbridge.core.postgres.worker import RUN_TASK, prepare


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _attempt_json(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "attempt": r["attempt"],
        "worker": r["worker"],
        "started_at": _iso(r["started_at"]),
        "ended_at": _iso(r["ended_at"]),
        "outcome": r["outcome"],
        "run_id": r["run_id"],
        "message": r["message"],
    }


def _attempts(conn: PgConn, job_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {j: [] for j in job_ids}
    if not job_ids:
        return found
    for r in conn.execute(
        "SELECT * FROM job_attempts WHERE job_id = ANY(%s) ORDER BY job_id, attempt, id",
        (job_ids,),
    ).fetchall():
        found[int(r["job_id"])].append(_attempt_json(r))
    return found


def _job_json(r: dict[str, Any], attempts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "job_id": r["id"],
        "tenant": r["args"].get("tenant"),
        "connector": r["args"].get("connector"),
        "status": r["status"],
        "attempts": attempts,
        "scheduled_at": _iso(r["scheduled_at"]),
    }


def queue_status(dsn: str, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per pair: its schedule and its latest job with that job's attempts."""
    prepare(dsn)
    conn = connect(dsn, purpose="status")
    try:
        schedules = {(s.tenant, s.connector): s for s in get_schedules(conn)}
        rows = conn.execute(
            "SELECT DISTINCT ON (lock) * FROM procrastinate_jobs WHERE task_name = %s "
            "AND lock = ANY(%s) ORDER BY lock, id DESC",
            (RUN_TASK, [f"{t}/{c}" for t, c in pairs]),
        ).fetchall()
        attempts = _attempts(conn, [int(r["id"]) for r in rows])
        latest = {r["lock"]: _job_json(r, attempts[int(r["id"])]) for r in rows}
    finally:
        conn.close()
    out = {}
    for t, c in pairs:
        s = schedules.get((t, c))
        out[(t, c)] = {
            "schedule": s.to_json() if s else None,
            "last_job": latest.get(f"{t}/{c}"),
        }
    return out


def failed_jobs(
    dsn: str, tenant: str | None, connector: str | None, since: str | None
) -> list[dict[str, Any]]:
    """Jobs that failed for good, and jobs waiting to retry after a failed
    attempt, newest first, each with all its attempts."""
    prepare(dsn)
    conn = connect(dsn, purpose="errors")
    try:
        rows = conn.execute(
            "SELECT j.* FROM procrastinate_jobs j WHERE j.task_name = %s "
            "AND (j.status = 'failed' OR (j.status IN ('todo', 'doing') AND j.attempts > 0)) "
            "AND (%s::text IS NULL OR j.args->>'tenant' = %s) "
            "AND (%s::text IS NULL OR j.args->>'connector' = %s) "
            "AND (%s::timestamptz IS NULL OR EXISTS (SELECT 1 FROM job_attempts a WHERE "
            "a.job_id = j.id AND a.started_at >= %s::timestamptz)) "
            "ORDER BY j.id DESC LIMIT 200",
            (RUN_TASK, tenant, tenant, connector, connector, since, since),
        ).fetchall()
        attempts = _attempts(conn, [int(r["id"]) for r in rows])
    finally:
        conn.close()
    return [_job_json(r, attempts[int(r["id"])]) for r in rows]
