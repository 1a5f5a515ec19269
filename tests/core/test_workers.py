"""Workers on procrastinate, in-process (a worker that stops when the queue is
empty): schedules defer one job per due pair, at most one waits, runs record
their attempts, a locked pair is retried, a stalled job goes back to the
queue, and `status`/`errors` show the jobs and their attempts.

Skipped, with the reason, where there is no PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from ledgerbridge.core.cli import make_cli
from ledgerbridge.core.errors import ConfigError
from ledgerbridge.core.state.db import open_state
from ledgerbridge.core.workspace import Workspace
from tests.core.memplugin import Scenario


@pytest.fixture
def pgws(ws: Workspace, pg_dsn: str) -> Workspace:
    from ledgerbridge.core.postgres.worker import prepare

    prepare(pg_dsn)
    return Workspace(ws.path, pg_dsn)


def app_of(ws: Workspace) -> Any:
    from ledgerbridge.core.postgres.worker import make_app

    return make_app(ws.state.dsn or "", ws.path, ws.state_url, stalled_after=5)


def drain(app: Any) -> None:
    """Run a worker until the queues have nothing ready."""
    from ledgerbridge.core.postgres.worker import QUEUE, TICK_QUEUE

    async def go() -> None:
        async with app.open_async():
            await app.run_worker_async(
                queues=[QUEUE, TICK_QUEUE], wait=False, install_signal_handlers=False
            )

    asyncio.run(go())


def defer(app: Any, task: str, **kwargs: Any) -> int:
    async def go() -> int:
        async with app.open_async():
            t = app.tasks[task]
            if task == "ledgerbridge.run":
                lock = f"{kwargs['tenant']}/{kwargs['connector']}"
                return int(await t.configure(lock=lock, queueing_lock=lock).defer_async(**kwargs))
            return int(await t.defer_async(**kwargs))

    return asyncio.run(go())


def sql(ws: Workspace, query: str, args: tuple[object, ...] = ()) -> list[dict[str, Any]]:
    from ledgerbridge.core.postgres import connect

    conn = connect(ws.state.dsn or "")
    try:
        cur = conn.execute(query, args)
        return list(cur.fetchall()) if cur.description else []
    finally:
        conn.close()


def cli(ws: Workspace, *args: str) -> Any:
    return CliRunner().invoke(
        make_cli(), ["--workspace", str(ws.path), "--state", ws.state_url or "", *args]
    )


def seed(mem: Scenario, n: int) -> None:
    for i in range(n):
        mem.put(f"k{i:03d}", f"item {i}", f"2026-01-0{1 + i % 9}T00:00:00Z")


def test_a_due_schedule_defers_one_job_and_the_worker_runs_it(
    mem: Scenario, pgws: Workspace
) -> None:
    seed(mem, 3)
    out = cli(pgws, "schedule", "acme", "mem", "--every", "15m", "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["schedule"]["rule"] == "every 15m"
    app = app_of(pgws)
    defer(app, "ledgerbridge.tick", timestamp=0)
    drain(app)
    defer(app, "ledgerbridge.tick", timestamp=1)  # a second tick finds nothing due
    drain(app)
    jobs = sql(pgws, "SELECT * FROM procrastinate_jobs WHERE task_name = 'ledgerbridge.run'")
    assert [(j["status"], j["lock"], j["queueing_lock"]) for j in jobs] == [
        ("succeeded", "acme/mem", "acme/mem")
    ]
    (attempt,) = sql(pgws, "SELECT * FROM job_attempts")
    assert attempt["outcome"] == "succeeded" and attempt["run_id"] is not None
    run = open_state(pgws.state).run(attempt["run_id"])
    assert run is not None and run.succeeded == 3
    (s,) = sql(pgws, "SELECT * FROM schedules")
    assert s["next_at"] > datetime.now(UTC) + timedelta(minutes=14)
    assert s["last_note"] == "deferred"

    status = json.loads(cli(pgws, "status", "--json").output)["status"][0]
    assert status["queue"]["schedule"]["rule"] == "every 15m"
    assert status["queue"]["last_job"]["status"] == "succeeded"
    assert status["queue"]["last_job"]["attempts"][0]["run_id"] == run.id
    text = cli(pgws, "status").output
    assert "every 15m" in text and "succeeded (1 attempt)" in text


def test_at_most_one_job_of_a_pair_waits(mem: Scenario, pgws: Workspace) -> None:
    from procrastinate.exceptions import AlreadyEnqueued

    app = app_of(pgws)
    defer(app, "ledgerbridge.run", tenant="acme", connector="mem")
    with pytest.raises(AlreadyEnqueued):
        defer(app, "ledgerbridge.run", tenant="acme", connector="mem")
    cli(pgws, "schedule", "acme", "mem", "--every", "10s")
    defer(app, "ledgerbridge.tick", timestamp=0)  # due, but one already waits
    async_count = sql(pgws, "SELECT count(*) AS n FROM procrastinate_jobs WHERE lock = 'acme/mem'")
    assert async_count[0]["n"] == 1
    drain(app)
    (s,) = sql(pgws, "SELECT last_note FROM schedules")
    assert s["last_note"] in ("skipped: one job already waiting", "deferred")


def test_two_claims_of_one_occurrence_defer_it_once(pgws: Workspace) -> None:
    from ledgerbridge.core.postgres import connect
    from ledgerbridge.core.postgres.schedules import claim_due

    cli(pgws, "schedule", "acme", "mem", "--every", "1h")
    first, second = connect(pgws.state.dsn or ""), connect(pgws.state.dsn or "")
    try:
        assert [s.tenant for s in claim_due(first)] == ["acme"]
        assert claim_due(second) == []
    finally:
        first.close()
        second.close()


def test_a_locked_pair_is_retried_and_its_attempts_are_shown(
    mem: Scenario, pgws: Workspace
) -> None:
    from ledgerbridge.core.postgres.lock import PgRunLock

    seed(mem, 1)
    app = app_of(pgws)
    job_id = defer(app, "ledgerbridge.run", tenant="acme", connector="mem")
    with PgRunLock(pgws.state.dsn or "", "acme", "mem", "2026-01-01T00:00:00Z"):
        drain(app)
    (job,) = sql(pgws, "SELECT * FROM procrastinate_jobs WHERE id = %s", (job_id,))
    assert job["status"] == "todo" and job["attempts"] == 1  # waits RETRY_WAIT, then again
    (attempt,) = sql(pgws, "SELECT * FROM job_attempts")
    assert attempt["outcome"] == "locked" and "acme/mem" in attempt["message"]
    assert mem.writes == []
    found = json.loads(cli(pgws, "errors", "--json").output)["failed_jobs"]
    assert [(j["job_id"], j["status"], len(j["attempts"])) for j in found] == [(job_id, "todo", 1)]
    text = cli(pgws, "errors").output
    assert f"acme/mem job {job_id} todo, will retry after 1 attempt" in text
    assert "locked" in text


def test_a_job_that_cannot_run_fails_without_retry_and_errors_says_why(
    mem: Scenario, pgws: Workspace
) -> None:
    t = pgws.tenant("acme")
    t.connectors["mem"]["enabled"] = False
    pgws.save_tenant(t)
    app = app_of(pgws)
    job_id = defer(app, "ledgerbridge.run", tenant="acme", connector="mem")
    drain(app)
    (job,) = sql(pgws, "SELECT * FROM procrastinate_jobs WHERE id = %s", (job_id,))
    assert job["status"] == "failed"
    (failed,) = json.loads(cli(pgws, "errors", "--json").output)["failed_jobs"]
    assert failed["attempts"][0]["outcome"] == "failed"
    assert "disabled" in failed["attempts"][0]["message"]


def test_a_stalled_job_goes_back_to_the_queue(mem: Scenario, pgws: Workspace) -> None:
    app = app_of(pgws)
    job_id = defer(app, "ledgerbridge.run", tenant="acme", connector="mem")
    # a worker took the job, recorded its attempt, then went silent (paused or killed)
    (w,) = sql(
        pgws,
        "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 hour') "
        "RETURNING id",
    )
    sql(
        pgws,
        "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE id = %s",
        (w["id"], job_id),
    )
    sql(
        pgws,
        "INSERT INTO job_attempts (job_id, attempt, tenant, connector, worker) "
        "VALUES (%s, 1, 'acme', 'mem', 'elsewhere:1')",
        (job_id,),
    )
    seed(mem, 2)
    defer(app, "ledgerbridge.tick", timestamp=0)
    drain(app)  # the tick requeues it, and this worker runs it
    (job,) = sql(pgws, "SELECT * FROM procrastinate_jobs WHERE id = %s", (job_id,))
    assert job["status"] == "succeeded"
    outcomes = [a["outcome"] for a in sql(pgws, "SELECT * FROM job_attempts ORDER BY id")]
    assert outcomes == ["stalled", "succeeded"]
    assert len(mem.writes) == 2


def test_schedules_need_a_postgres_state_and_valid_rules(ws: Workspace) -> None:
    out = CliRunner().invoke(
        make_cli(), ["--workspace", str(ws.path), "schedule", "acme", "mem", "--every", "15m"]
    )
    assert out.exit_code == 2 and "needs the state in PostgreSQL" in out.output
    from ledgerbridge.core.postgres.schedules import check_cron, parse_every

    assert parse_every("15m") == 900 and parse_every("2h") == 7200
    for bad in ("15", "5s", "fortnightly"):
        with pytest.raises(ConfigError):
            parse_every(bad)
    pytest.importorskip("croniter", reason='--cron needs the extra: pip install -e ".[postgres]"')
    with pytest.raises(ConfigError, match="not a cron expression"):
        check_cron("every monday")
