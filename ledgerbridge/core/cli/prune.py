"""`ledgerbridge prune`: keep the state database from growing without end."""

from __future__ import annotations

import click

from ledgerbridge.core.cli.app import App, open_state, pass_app
from ledgerbridge.core.cli.output import (
    EXIT_INCOMPLETE,
    fail,
    handle_errors,
    json_option,
    print_json,
)
from ledgerbridge.core.cli.when import EXAMPLES, point_in_time
from ledgerbridge.core.clock import utc_iso
from ledgerbridge.core.state.retention import prune as prune_state


@click.command()
@click.option(
    "--older-than", "older_than", required=True, metavar="WHEN", help=f"WHEN is {EXAMPLES}."
)
@click.option("--tenant", help="Only this tenant's runs.")
@click.option("--connector", help="Only this connector's runs.")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@click.option("--vacuum", is_flag=True, help="Then give the freed space back to the disk.")
@json_option
@pass_app
@handle_errors
def prune(
    app: App,
    older_than: str,
    tenant: str | None,
    connector: str | None,
    dry_run: bool,
    vacuum: bool,
    as_json: bool,
) -> None:
    """Delete runs started before WHEN, with their outcomes.

    Never deleted: a run still running, the latest run of each tenant and
    connector, a run with a write pending, the last failure of a record
    still open or dismissed; nor links, cursors, the outbox or dismissals.
    """
    now = app.clock.now()
    cutoff = point_in_time(older_than, now, "--older-than")
    if cutoff > utc_iso(now):
        raise click.BadParameter(f"{older_than!r} is in the future.", param_hint="--older-than")
    state = open_state(app)
    report = prune_state(state, cutoff=cutoff, tenant=tenant, connector=connector, dry_run=dry_run)
    if vacuum and not dry_run:
        try:
            state.compact()
        except state.OperationalError as exc:
            fail(
                f"pruned, but VACUUM failed: {exc}; try again when no run is going", EXIT_INCOMPLETE
            )
    if as_json:
        print_json(report.to_json())
        return
    verb = "Would delete" if dry_run else "Deleted"
    click.echo(
        f"{verb} {report.runs} runs started before {report.cutoff}, {report.outcomes} outcomes "
        f"and {report.outcome_counts} per-run counts."
    )
    if report.runs_kept:
        click.echo(
            f"Kept {report.runs_kept} older runs: running, the latest of their tenant and "
            f"connector, with a write pending, or holding {report.failures_kept} failures "
            "still open or dismissed."
        )
