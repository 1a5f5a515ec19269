"""`ledgerbridge errors`: what is still failing, and why.

Without RUN it answers "what do I have to do?": every record whose latest
failure nothing has fixed, replayed or dismissed since, across runs, once
each, with how long it has been failing; and the latest run of a tenant and
connector when it did not complete (credentials refused, remote down), which
no record failure shows. With RUN it lists that run's failed records, each
with what became of it since.
"""

from __future__ import annotations

from typing import Any

import click

from ledgerbridge.core.cli.app import App, has_state, open_state, pass_app
from ledgerbridge.core.cli.output import fail, handle_errors, json_option, print_json
from ledgerbridge.core.cli.when import point_in_time, since_option
from ledgerbridge.core.state import history
from ledgerbridge.core.state.db import OutcomeRow, RunRow, StateDB
from ledgerbridge.core.state.history import Failure, RunEntry


@click.command()
@click.argument("run_id", metavar="[RUN]", type=int, required=False)
@click.option("--tenant", help="Only this tenant.")
@click.option("--connector", help="Only this connector.")
@since_option("Only records whose latest failure is this recent.")
@click.option(
    "--open/--all",
    "open_only",
    default=True,
    help="Only what is still open (default), or every failure with what became of it.",
)
@click.option("--limit", default=200, show_default=True, help="At most this many records.")
@json_option
@pass_app
@handle_errors
def errors(
    app: App,
    run_id: int | None,
    tenant: str | None,
    connector: str | None,
    since: str | None,
    open_only: bool,
    limit: int,
    as_json: bool,
) -> None:
    """What still fails, across runs; with RUN, the failed records of that run.

    A failure stays open until a later run or replay sends the record, skips
    it, or it is dismissed. Dry runs are not counted.
    """
    since_ts = point_in_time(since, app.clock.now(), "--since") if since else None
    if run_id is not None:
        _errors_of_run(open_state(app), run_id, limit, as_json)
        return
    jobs = _failed_jobs(app, tenant, connector, since_ts)
    if not has_state(app.workspace):
        _show([], [], open_only=open_only, as_json=as_json, jobs=jobs)
        return
    state = open_state(app)
    found = history.failures(
        state,
        open_only=open_only,
        tenant=tenant,
        connector=connector,
        since=since_ts,
        limit=limit,
    )
    runs = history.incomplete_runs(state, tenant=tenant, connector=connector, since=since_ts)
    _show(found, runs, open_only=open_only, as_json=as_json, jobs=jobs)


def _failed_jobs(
    app: App, tenant: str | None, connector: str | None, since: str | None
) -> list[dict[str, Any]] | None:
    """Workers' jobs that failed or wait to retry (a PostgreSQL state only)."""
    location = app.workspace.state
    if not location.is_postgres:
        return None
    from ledgerbridge.core.postgres.jobs import failed_jobs

    return failed_jobs(location.dsn or "", tenant, connector, since)


def _show(
    found: list[Failure],
    runs: list[RunEntry],
    *,
    open_only: bool,
    as_json: bool,
    jobs: list[dict[str, Any]] | None = None,
) -> None:
    if as_json:
        data: dict[str, Any] = {
            "errors": [f.to_json() for f in found],
            "incomplete_runs": [r.to_json() for r in runs],
        }
        if jobs is not None:
            data["failed_jobs"] = jobs
        print_json(data)
        return
    for job in jobs or []:
        _print_job(job)
    for r in runs:
        click.secho(f"{r.tenant}/{r.connector} run {r.id} {r.status}: {r.message}", fg="red")
    if not found:
        click.echo("No open failures." if open_only else "No failures.")
        return
    click.echo(_headline(found, open_only))
    for f in found:
        _print_error(f.entity, f.key, f.flow, f.error, where=f"{f.tenant}/{f.connector}")
        click.echo(f"  {_story(f)}")
    _print_next_steps([f for f in found if f.state == "open"])


def _print_job(job: dict[str, Any]) -> None:
    tries = len(job["attempts"])
    state = "failed" if job["status"] == "failed" else f"{job['status']}, will retry"
    click.secho(
        f"{job['tenant']}/{job['connector']} job {job['job_id']} {state} "
        f"after {tries} attempt{'s' if tries != 1 else ''}:",
        fg="red",
    )
    for a in job["attempts"]:
        run = f" run {a['run_id']}" if a["run_id"] else ""
        click.echo(
            f"  #{a['attempt']} {a['started_at']} on {a['worker']}: {a['outcome']}{run}"
            + (f": {a['message']}" if a["message"] else "")
        )


def _headline(found: list[Failure], open_only: bool) -> str:
    pairs: dict[str, int] = {}
    for f in found:
        pairs[f"{f.tenant}/{f.connector}"] = pairs.get(f"{f.tenant}/{f.connector}", 0) + 1
    where = ", ".join(f"{pair} {n}" for pair, n in pairs.items())
    noun = "open failure" if open_only else "failure"
    return f"{len(found)} {noun}{'s' if len(found) != 1 else ''} ({where})"


def _story(f: Failure) -> str:
    """When it failed, how often, and what became of it."""
    times = f"{f.attempts} time{'s' if f.attempts != 1 else ''}"
    failing = f"failed {times} since {f.failing_since}, last in run {f.run_id}"
    if f.state == "open":
        return f"open: {failing}"
    return f"{_became(f)} ({failing})"


def _became(f: Failure) -> str:
    if f.state == "dismissed":
        d = f.dismissal or {}
        who = f" by {d['by']}" if d.get("by") else ""
        return f"dismissed{who} at {d.get('at', '?')}: {d.get('reason') or 'no reason given'}"
    r = f.resolved or {}
    if f.state == "fixed":
        return f"fixed in run {r.get('run_id')} ({r.get('action')}) at {r.get('at')}"
    return f"skipped in run {r.get('run_id')} ({r.get('action')}) at {r.get('at')}"


def _print_next_steps(still_open: list[Failure]) -> None:
    if not still_open:
        return
    runs = sorted({f.run_id for f in still_open})
    click.echo("\nFix the cause (the source, or the config), then replay:")
    for run_id in runs:
        click.echo(f"  ledgerbridge replay {run_id} --failed")
    click.echo(f'Never to be sent? ledgerbridge dismiss {runs[-1]} KEY --reason "..."')


def _errors_of_run(state: StateDB, run_id: int, limit: int, as_json: bool) -> None:
    run = state.run(run_id)
    if run is None:
        fail(f"No run {run_id}.")
        return
    failed = list(state.outcomes(run.id, status="failed", limit=limit))
    now = history.failures_of_run(state, run.id)
    if as_json:
        print_json({"run": run.to_json(), "errors": [_with_now(o, now) for o in failed]})
        return
    _print_run_errors(run, failed, now)


def _with_now(o: OutcomeRow, now: dict[tuple[str, str], Failure]) -> dict[str, Any]:
    f = now.get((o.flow, o.key))
    return {**o.to_json(), "now": _now_json(f)}


def _now_json(f: Failure | None) -> dict[str, Any] | None:
    if f is None:
        return None  # a dry run's failure, or pruned since
    return {
        "state": f.state,
        "last_failed_in_run": f.run_id,
        "resolved": f.resolved,
        "dismissal": f.dismissal,
    }


def _print_run_errors(
    run: RunRow, failed: list[OutcomeRow], now: dict[tuple[str, str], Failure]
) -> None:
    click.echo(f"Run {run.id} {run.tenant}/{run.connector} ({run.status}): {run.failed} failed")
    if run.message:  # why a run was aborted or stopped: not one record's fault
        click.secho(f"  {run.message}", fg="red")
    for o in failed:
        _print_error(o.entity, o.key, o.flow, o.error or {})
        f = now.get((o.flow, o.key))
        if f is not None and f.state != "open":
            click.echo(f"  now: {_became(f)}")
        elif f is not None and f.run_id != run.id:
            click.echo(f"  now: still failing, last in run {f.run_id}")


def _print_error(
    entity: str, key: str, flow: str, err: dict[str, Any], where: str | None = None
) -> None:
    click.secho(f"\n{entity} {key} ({flow}){f'  {where}' if where else ''}", bold=True)
    click.echo(f"  {err.get('message', '')}")
    for name in ("field", "value", "rule", "fix"):
        if err.get(name) not in (None, ""):
            click.echo(f"  {name}: {err[name]}")
