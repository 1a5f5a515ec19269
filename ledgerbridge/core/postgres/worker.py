"""Workers on procrastinate: PostgreSQL is the queue, no other server.

One task, `ledgerbridge.run`, runs one connector for one tenant (the same
`run_connector` as `ledgerbridge run`). Its jobs carry two procrastinate
locks named after the pair: `lock` (no two jobs of a pair are fetched at
once) and `queueing_lock` (at most one waits). Under both sits the run lock,
a PostgreSQL session advisory lock (`postgres/lock.py`): when a paused
worker's job is retried elsewhere, the retry finds the pair locked and waits
its turn, so two runs of a pair never overlap.

A periodic task, `ledgerbridge.tick`, runs every few seconds on one worker
(procrastinate defers each tick once, whichever workers are up): it defers a
job for each schedule that is due, and gives a job whose worker stopped
sending heartbeats back to the queue (a worker killed or paused mid-run).
Ticks have a queue of their own, served in every worker process by a
procrastinate worker of its own: were they queued behind the runs, a
backlog of runs (or every worker busy with a long one) would hold back the
schedules and the recovery of a paused worker's job for as long as it lasts.

Every attempt is written to `job_attempts` (worker, start, end, outcome, the
run it made, the message), for `ledgerbridge status` and `errors`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from pathlib import Path
from typing import Any

from ledgerbridge.core.errors import ConfigError, RunLockedError, StateUnavailable
from ledgerbridge.core.postgres import PgConn, connect
from ledgerbridge.core.postgres.schedules import TICK_SECONDS, Schedule, claim_due, note_deferred
from ledgerbridge.core.postgres.schema import SCHEMA_LOCK, ensure_schema

log = logging.getLogger("ledgerbridge.worker")

RUN_TASK = "ledgerbridge.run"
TICK_TASK = "ledgerbridge.tick"
QUEUE = "ledgerbridge"
TICK_QUEUE = "ledgerbridge-tick"
RETRY_WAIT = 15
"""Seconds before a job whose pair was locked (or whose state was unreachable) tries again."""
MAX_ATTEMPTS = 20


def pair_lock(tenant: str, connector: str) -> str:
    return f"{tenant}/{connector}"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class RunFailed(Exception):
    """The run did not complete (aborted: credentials, config, a plugin's
    fault): the job fails without a retry; the run's message says why."""


def ensure_queue_schema(conn: PgConn) -> None:
    """procrastinate's tables and functions, created once (under the schema lock)."""
    import procrastinate
    from procrastinate.schema import SchemaManager

    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", SCHEMA_LOCK)
        found = conn.execute("SELECT to_regclass('procrastinate_jobs') AS t").fetchone()
        if found["t"] is None:
            conn.execute(SchemaManager.get_schema())
            conn.execute(
                "INSERT INTO ledgerbridge_schema (name, version) VALUES ('procrastinate', 0) "
                "ON CONFLICT (name) DO NOTHING"
            )
            log.info("created the job queue (procrastinate %s)", procrastinate.__version__)


def prepare(dsn: str) -> None:
    """Everything workers and schedules need in the database, created if missing."""
    conn = connect(dsn, purpose="schema")
    try:
        ensure_schema(conn, dsn)
        ensure_queue_schema(conn)
    finally:
        conn.close()


def make_app(dsn: str, workspace: Path, state_url: str | None, stalled_after: float = 60.0) -> Any:
    """The procrastinate app of a workspace whose state is `dsn`."""
    import procrastinate
    from procrastinate import exceptions as pexc
    from procrastinate import jobs as pjobs

    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=dsn, kwargs={"application_name": "ledgerbridge worker"}
        ),
    )
    retry = procrastinate.RetryStrategy(
        max_attempts=MAX_ATTEMPTS,
        wait=RETRY_WAIT,
        retry_exceptions={RunLockedError, StateUnavailable},
    )

    @app.task(name=RUN_TASK, queue=QUEUE, pass_context=True, retry=retry)
    def run_pair(context: Any, tenant: str, connector: str) -> dict[str, Any]:
        return _run_job(dsn, workspace, state_url, context.job, tenant, connector)

    @app.periodic(cron=f"* * * * * */{TICK_SECONDS}", periodic_id="ledgerbridge")
    @app.task(name=TICK_TASK, queue=TICK_QUEUE, queueing_lock=TICK_TASK, pass_context=True)
    async def tick(context: Any, timestamp: int) -> dict[str, int]:
        due = await asyncio.to_thread(_claim, dsn)
        deferred = 0
        for s in due:
            lock = pair_lock(s.tenant, s.connector)
            try:
                job_id = await run_pair.configure(lock=lock, queueing_lock=lock).defer_async(
                    tenant=s.tenant, connector=s.connector
                )
            except pexc.AlreadyEnqueued:
                await asyncio.to_thread(_note, dsn, s, None, "skipped: one job already waiting")
                continue
            deferred += 1
            await asyncio.to_thread(_note, dsn, s, job_id, "deferred")
        requeued = 0
        manager = context.app.job_manager
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
            if job.task_name != RUN_TASK:
                continue
            await asyncio.to_thread(_end_stalled, dsn, job.id, stalled_after)
            try:
                await manager.retry_job(job)
                requeued += 1
            except pexc.ConnectorException:  # the pair already has a job waiting
                await manager.finish_job(job, status=pjobs.Status.FAILED, delete_job=False)
        return {"deferred": deferred, "requeued": requeued}

    _ = tick
    return app


def _claim(dsn: str) -> list[Schedule]:
    conn = connect(dsn, purpose="schedules")
    try:
        return claim_due(conn)
    finally:
        conn.close()


def _note(dsn: str, s: Schedule, job_id: int | None, note: str) -> None:
    conn = connect(dsn, purpose="schedules")
    try:
        note_deferred(conn, s, job_id, note)
    finally:
        conn.close()


def _end_stalled(dsn: str, job_id: int, after: float) -> None:
    conn = connect(dsn, purpose="jobs")
    try:
        conn.execute(
            "UPDATE job_attempts SET outcome = 'stalled', ended_at = now(), message = %s "
            "WHERE job_id = %s AND outcome = 'running'",
            (
                f"its worker sent no heartbeat for {after:g} s (paused or killed); the job "
                "went back to the queue, and the run lock keeps a retry from overlapping it",
                job_id,
            ),
        )
    finally:
        conn.close()


def _run_job(
    dsn: str,
    workspace: Path,
    state_url: str | None,
    job: Any,
    tenant: str,
    connector: str,
) -> dict[str, Any]:
    from ledgerbridge.core.engine.run import RunRequest, run_connector
    from ledgerbridge.core.workspace import Workspace

    attempt = _start_attempt(dsn, int(job.id), int(job.attempts) + 1, tenant, connector)
    outcome, message, run_id = "failed", None, None
    try:
        summary = run_connector(
            RunRequest(
                workspace=Workspace(workspace, state_url), tenant=tenant, connector=connector
            )
        )
        run_id, message = summary.run_id, summary.message
        if summary.status == "aborted":
            raise RunFailed(f"run {summary.run_id} aborted: {summary.message}")
        outcome = "succeeded"
        return {"run_id": summary.run_id, "status": summary.status}
    except RunLockedError as exc:
        outcome, message = "locked", str(exc)
        raise
    except ConfigError as exc:
        message = str(exc)
        raise RunFailed(message) from None
    except RunFailed:
        raise
    except BaseException as exc:
        message = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        _end_attempt(dsn, attempt, outcome, run_id, message)


def _start_attempt(dsn: str, job_id: int, attempt: int, tenant: str, connector: str) -> int:
    conn = connect(dsn, purpose="jobs")
    try:
        row = conn.execute(
            "INSERT INTO job_attempts (job_id, attempt, tenant, connector, worker) "
            "VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (job_id, attempt, tenant, connector, worker_name()),
        ).fetchone()
        return int(row["id"])
    finally:
        conn.close()


def _end_attempt(
    dsn: str, attempt: int, outcome: str, run_id: int | None, message: str | None
) -> None:
    try:
        conn = connect(dsn, purpose="jobs")
    except StateUnavailable:
        log.warning("attempt %s ended %s; could not record it", attempt, outcome)
        return
    try:
        conn.execute(
            "UPDATE job_attempts SET ended_at = now(), run_id = %s, message = %s, "
            "outcome = CASE WHEN outcome = 'stalled' THEN 'resumed, ' || %s ELSE %s END "
            "WHERE id = %s",
            (run_id, message, outcome, outcome, attempt),
        )
    finally:
        conn.close()


def run_worker(
    dsn: str,
    workspace: Path,
    state_url: str | None,
    concurrency: int,
    stalled_after: float,
) -> None:
    """Run jobs until SIGINT/SIGTERM (then finish the jobs running, and stop):
    up to `concurrency` runs at once, and the ticks beside them."""
    prepare(dsn)
    app = make_app(dsn, workspace, state_url, stalled_after)
    asyncio.run(_serve(app, concurrency, stalled_after))


async def _serve(app: Any, concurrency: int, stalled_after: float) -> None:
    from procrastinate.worker import Worker

    heartbeat = max(1.0, stalled_after / 6)
    common: dict[str, Any] = {
        "update_heartbeat_interval": heartbeat,
        "stalled_worker_timeout": stalled_after,
        "install_signal_handlers": False,
    }
    async with app.open_async():
        runs: Any = Worker(
            app=app, queues=[QUEUE], name=worker_name(), concurrency=concurrency, **common
        )
        ticks: Any = Worker(
            app=app, queues=[TICK_QUEUE], name=f"{worker_name()}:tick", concurrency=1, **common
        )

        def stop() -> None:
            runs.stop()
            ticks.stop()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        try:
            await asyncio.gather(runs.run(), ticks.run())
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
