"""`ledgerbridge runs`: what ran, when, for how long, and how it went."""

from __future__ import annotations

import click

from ledgerbridge.core.cli.app import App, has_state, pass_app, workspace_state
from ledgerbridge.core.cli.output import handle_errors, json_option, print_json, table
from ledgerbridge.core.cli.when import point_in_time, since_option
from ledgerbridge.core.state.history import RunEntry, run_history

RUN_STATUSES = ("running", "succeeded", "failed", "aborted", "stopped", "interrupted")


@click.command()
@click.option("--tenant", help="Only this tenant.")
@click.option("--connector", help="Only this connector.")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(RUN_STATUSES),
    help="Only runs with this status (repeatable).",
)
@since_option("Only runs started since WHEN.")
@click.option(
    "--limit", default=20, show_default=True, help="At most this many runs, newest first."
)
@json_option
@pass_app
@handle_errors
def runs(
    app: App,
    tenant: str | None,
    connector: str | None,
    statuses: tuple[str, ...],
    since: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Run history: tenant, connector, started, duration, counts and status."""
    since_ts = point_in_time(since, app.clock.now(), "--since") if since else None
    found: list[RunEntry] = []
    if has_state(app.workspace):
        found = run_history(
            workspace_state(app.workspace),
            tenant=tenant,
            connector=connector,
            statuses=statuses,
            since=since_ts,
            limit=limit,
        )
    if as_json:
        print_json({"runs": [r.to_json() for r in found]})
        return
    if not found:
        click.echo("No runs.")
        return
    rows = [
        [
            str(r.id),
            r.tenant,
            r.connector,
            r.kind + (" (dry run)" if r.dry_run else ""),
            r.started_at,
            _duration(r),
            str(r.succeeded),
            str(r.failed),
            str(r.skipped),
            r.status,
        ]
        for r in found
    ]
    headers = ["run", "tenant", "connector", "kind", "started", "duration"]
    table(rows, [*headers, "succeeded", "failed", "skipped", "status"])


def _duration(r: RunEntry) -> str:
    if r.duration_seconds is None:
        return "-" if r.status != "running" else "running"
    minutes, seconds = divmod(r.duration_seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
