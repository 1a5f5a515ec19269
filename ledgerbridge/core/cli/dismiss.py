"""`ledgerbridge dismiss`: accept that a failed record will not be sent.

A failure freezes its flow's cursor so the record is read again next run:
right for anything that can be fixed, wrong for what never will be (an
invoice changed after it was sent, a test document). Dismissing it records
who decided and why; that version of the record is skipped from then on,
and a changed version is tried again.
"""

from __future__ import annotations

import getpass

import click

from ledgerbridge.core.cli.app import App, pass_app
from ledgerbridge.core.cli.output import fail, handle_errors
from ledgerbridge.core.clock import SystemClock, utc_iso
from ledgerbridge.core.state.db import StateDB


@click.command()
@click.argument("run_id", metavar="RUN", type=int)
@click.argument("keys", metavar="[KEY]...", nargs=-1)
@click.option("--all", "all_failed", is_flag=True, help="Every record that failed in RUN.")
@click.option("--reason", required=True, help="Why it will not be sent (kept in state).")
@pass_app
@handle_errors
def dismiss(app: App, run_id: int, keys: tuple[str, ...], all_failed: bool, reason: str) -> None:
    """Dismiss records that failed in RUN so they stop holding the cursor back."""
    if not app.workspace.db_path.exists():
        fail(f"No runs yet in workspace {app.workspace.path}.")
    state = StateDB(app.workspace.db_path)
    run = state.run(run_id)
    if run is None:
        fail(f"No run {run_id}.")
        return
    failed = {(o.flow, o.key) for o in state.outcomes(run_id, status="failed")}
    chosen = sorted(f for f in failed if all_failed or f[1] in keys)
    unknown = sorted(set(keys) - {k for _, k in failed})
    if unknown:
        fail(f"These did not fail in run {run_id}: {', '.join(unknown)}")
    if not chosen:
        fail("Name the records to dismiss (KEY...) or pass --all.")
    who = f"{getpass.getuser()}: {reason}"
    for flow, key in chosen:
        _, hash_ = state.failed_hash(run_id, flow, key)
        state.dismiss(
            tenant=run.tenant,
            connector=run.connector,
            flow=flow,
            key=key,
            hash=hash_,
            reason=who,
            run_id=run_id,
            at=utc_iso(SystemClock().now()),
        )
        click.echo(f"Dismissed {flow} {key}: skipped from now on unless it changes.")
