"""`ledgerbridge worker`, `schedule` and `schedules`: running connectors on
workers, on several machines, from a PostgreSQL state (docs/scale-out.md)."""

from __future__ import annotations

import click

from ledgerbridge.core.cli.app import App, pass_app
from ledgerbridge.core.cli.output import handle_errors, json_option, print_json, table
from ledgerbridge.core.errors import ConfigError
from ledgerbridge.core.workspace import Workspace


def postgres_dsn(ws: Workspace, what: str) -> str:
    """The workspace's PostgreSQL DSN, or the fix when its state is SQLite."""
    location = ws.state
    if not location.is_postgres or not location.dsn:
        raise ConfigError(
            f"{what} needs the state in PostgreSQL (workers share its queue, locks and "
            "budgets); give --state postgresql://USER@HOST:PORT/DB or set LEDGERBRIDGE_STATE. "
            "On one machine, run `ledgerbridge run` from cron instead (docs/operator-guide.md)."
        )
    return location.dsn


@click.command()
@click.option(
    "--concurrency",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Jobs this worker runs at once (each a different tenant+connector).",
)
@click.option(
    "--stalled-after",
    default=60.0,
    show_default=True,
    type=click.FloatRange(5, 3600),
    help="Seconds without a worker's heartbeat after which its job goes back to the queue.",
)
@pass_app
@handle_errors
def worker(app: App, concurrency: int, stalled_after: float) -> None:
    """Run queued and scheduled connector jobs until stopped (SIGTERM or Ctrl-C).

    Start one or more on any machine that has the workspace's tenant files and
    secrets and reaches the PostgreSQL state; they share the queue, the run
    locks and the rate budgets. A stop lets the running jobs finish.
    """
    from ledgerbridge.core.postgres.worker import run_worker

    ws = app.workspace
    dsn = postgres_dsn(ws, "ledgerbridge worker")
    click.echo(f"worker on {ws.state.shown()}, {concurrency} at once", err=True)
    run_worker(dsn, ws.path, ws.state_url, concurrency, stalled_after)


@click.command()
@click.argument("tenant_name", metavar="TENANT")
@click.argument("connector")
@click.option("--every", help="Run every DURATION: 30s, 15m, 2h, 1d.")
@click.option("--cron", "cron_expr", help='Run at cron times, in UTC: "*/15 6-18 * * 1-5".')
@click.option("--off", is_flag=True, help="Remove the schedule.")
@json_option
@pass_app
@handle_errors
def schedule(
    app: App,
    tenant_name: str,
    connector: str,
    every: str | None,
    cron_expr: str | None,
    off: bool,
    as_json: bool,
) -> None:
    """When workers run CONNECTOR for TENANT: --every 15m, --cron "...", or --off.

    A run that is due while the previous one still runs waits (one at most);
    occurrences missed while no worker ran are not caught up.
    """
    from ledgerbridge.core.postgres import connect
    from ledgerbridge.core.postgres.schedules import (
        check_cron,
        parse_every,
        remove_schedule,
        set_schedule,
    )
    from ledgerbridge.core.postgres.worker import prepare

    ws = app.workspace
    if [every is not None, cron_expr is not None, off].count(True) != 1:
        raise ConfigError('Give exactly one of --every DURATION, --cron "EXPR" or --off.')
    _check_pair(ws, tenant_name, connector, off)
    dsn = postgres_dsn(ws, "ledgerbridge schedule")
    seconds = parse_every(every) if every is not None else None
    cron = check_cron(cron_expr) if cron_expr is not None else None
    prepare(dsn)
    conn = connect(dsn, purpose="schedules")
    try:
        if off:
            removed = remove_schedule(conn, tenant_name, connector)
            if as_json:
                print_json({"removed": removed, "tenant": tenant_name, "connector": connector})
            else:
                click.echo(
                    f"{tenant_name}/{connector}: "
                    + ("schedule removed." if removed else "had no schedule.")
                )
            return
        s = set_schedule(conn, tenant_name, connector, seconds, cron)
    finally:
        conn.close()
    if as_json:
        print_json({"schedule": s.to_json()})
        return
    click.echo(f"{tenant_name}/{connector}: {s.rule}, next {s.to_json()['next_at']}")


def _check_pair(ws: Workspace, tenant: str, connector: str, off: bool) -> None:
    t = ws.tenant(tenant)
    if off:
        return
    if connector not in t.connectors:
        raise ConfigError(
            f"Connector {connector!r} is not enabled for tenant {tenant!r}. "
            f"Enable it with: ledgerbridge enable {tenant} {connector} --config FILE"
        )


@click.command()
@click.option("--tenant", help="Only this tenant.")
@json_option
@pass_app
@handle_errors
def schedules(app: App, tenant: str | None, as_json: bool) -> None:
    """Every schedule: its rule, when it runs next, what the last occurrence did."""
    from ledgerbridge.core.postgres import connect
    from ledgerbridge.core.postgres.schedules import get_schedules
    from ledgerbridge.core.postgres.worker import prepare

    dsn = postgres_dsn(app.workspace, "ledgerbridge schedules")
    prepare(dsn)
    conn = connect(dsn, purpose="schedules")
    try:
        found = get_schedules(conn, tenant)
    finally:
        conn.close()
    if as_json:
        print_json({"schedules": [s.to_json() for s in found]})
        return
    rows = [
        [s.tenant, s.connector, s.rule, str(s.to_json()["next_at"]), s.last_note or ""]
        for s in found
    ]
    table(rows, ["tenant", "connector", "schedule", "next", "last"])


ALL_COMMANDS = [worker, schedule, schedules]
