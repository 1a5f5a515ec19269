"""`ledgerbridge state migrate`: move a workspace's state into PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import click

from ledgerbridge.core.cli.app import App, pass_app
from ledgerbridge.core.cli.output import fail, handle_errors, json_option, print_json
from ledgerbridge.core.state.location import StateLocation, state_location


@click.group()
def state() -> None:
    """The state database: where runs, outcomes, links and cursors live."""


@state.command()
@click.option(
    "--from",
    "source",
    metavar="URL",
    help="The SQLite state to copy: sqlite:///PATH/state.db (default: the workspace's).",
)
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="The PostgreSQL state to copy into: postgresql://USER@HOST:PORT/DATABASE.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Delete the records the target already holds first (else a non-empty target is refused).",
)
@json_option
@pass_app
@handle_errors
def migrate(app: App, source: str | None, target: str, replace: bool, as_json: bool) -> None:
    """Copy the records' state from SQLite into PostgreSQL, counted per table.

    Stop scheduled runs first; the copy holds the SQLite file's write lock, so
    a run that starts meanwhile waits, and nothing it commits is lost. Then
    point every worker at the target (LEDGERBRIDGE_STATE). The source is kept.
    """
    workspace: Path = app.workspace.path
    # not LEDGERBRIDGE_STATE: that names the target, once the workers use it
    src = (
        state_location(workspace, source)
        if source
        else StateLocation("sqlite", workspace / "state.db")
    )
    if src.is_postgres or src.path is None:
        fail("--from must be a SQLite state: sqlite:///PATH/state.db")
        return
    dst = state_location(workspace, target)
    if not dst.is_postgres:
        fail("--to must be a PostgreSQL state: postgresql://USER@HOST:PORT/DATABASE")
        return
    from ledgerbridge.core.postgres.transfer import transfer

    report = transfer(src.path, dst.dsn or "", replace=replace)
    if as_json:
        print_json(report.to_json())
        return
    click.echo(f"Copied {report.source} into {report.target}:")
    click.echo(f"  {'table':<18}{'source':>10}{'copied':>10}")
    for row in report.to_json()["tables"]:  # type: ignore[attr-defined]
        note = f"  (replaced {row['replaced']})" if row["replaced"] else ""
        click.echo(f"  {row['table']:<18}{row['source']:>10}{row['target']:>10}{note}")
    click.echo(
        "Every table counted the same on both sides. Point the workers at it: "
        f"LEDGERBRIDGE_STATE={report.target}"
    )
