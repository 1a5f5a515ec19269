"""`ledgerbridge dismiss` and `ledgerbridge dismissals list|undo`.

A failure freezes its flow's cursor so the record is read again next run:
right for anything that can be fixed, wrong for what never will be (an
invoice changed after it was sent, a test document). Dismissing it records
who decided and why; that version of the record is skipped from then on,
and a changed version is tried again. Every decision is kept, a second
dismissal beside the first, and an undo beside both; an undone record is
tried again on the next run.
"""

from __future__ import annotations

import getpass

import click

from ledgerbridge.core.cli.app import App, has_state, open_state, pass_app, workspace_state
from ledgerbridge.core.cli.output import fail, handle_errors, json_option, print_json, table
from ledgerbridge.core.clock import utc_iso
from ledgerbridge.core.state import dismissals as store
from ledgerbridge.core.state.history import DismissedRecord, dismissal_history


def _decision(app: App, reason: str) -> store.Decision:
    return store.Decision(by=getpass.getuser(), reason=reason, at=utc_iso(app.clock.now()))


@click.command()
@click.argument("run_id", metavar="RUN", type=int)
@click.argument("keys", metavar="[KEY]...", nargs=-1)
@click.option("--all", "all_failed", is_flag=True, help="Every record that failed in RUN.")
@click.option("--reason", required=True, help="Why it will not be sent (kept in state).")
@pass_app
@handle_errors
def dismiss(app: App, run_id: int, keys: tuple[str, ...], all_failed: bool, reason: str) -> None:
    """Dismiss records that failed in RUN so they stop holding the cursor back."""
    state = open_state(app)
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
    decision = _decision(app, reason)
    for flow, key in chosen:
        _, hash_ = state.failed_hash(run_id, flow, key)
        store.dismiss(
            state,
            tenant=run.tenant,
            connector=run.connector,
            flow=flow,
            key=key,
            hash=hash_,
            run_id=run_id,
            decision=decision,
        )
        click.echo(f"Dismissed {flow} {key}: skipped from now on unless it changes.")
    named = " ".join(key for _, key in chosen) if len(chosen) <= 5 else "KEY..."
    click.echo(f"Undo: ledgerbridge dismissals undo {run.tenant} {named}")


@click.group()
def dismissals() -> None:
    """Dismissed records: who dismissed them, when and why; undo a dismissal."""


@dismissals.command("list")
@click.option("--tenant", help="Only this tenant.")
@click.option("--connector", help="Only this connector.")
@click.option("--all", "include_undone", is_flag=True, help="Also the dismissals undone since.")
@json_option
@pass_app
@handle_errors
def list_dismissals(
    app: App, tenant: str | None, connector: str | None, include_undone: bool, as_json: bool
) -> None:
    """Dismissed records, each with every decision about it."""
    found: list[DismissedRecord] = []
    if has_state(app.workspace):
        found = dismissal_history(
            workspace_state(app.workspace),
            tenant=tenant,
            connector=connector,
            include_undone=include_undone,
        )
    if as_json:
        print_json({"dismissals": [d.to_json() for d in found]})
        return
    if not found:
        click.echo("No dismissed records.")
        return
    rows = [
        [
            d.tenant,
            d.connector,
            d.flow,
            d.key,
            "dismissed" if d.active else "undone",
            e.action,
            e.at,
            e.by or "",
            str(e.run_id or ""),
            e.reason or "",
        ]
        for d in found
        for e in d.events
    ]
    headers = ["tenant", "connector", "flow", "key", "now", "event", "at", "by", "run"]
    table(rows, [*headers, "reason"])


@dismissals.command()
@click.argument("tenant_name", metavar="TENANT")
@click.argument("keys", metavar="[KEY]...", nargs=-1)
@click.option("--connector", help="The connector, when KEY is dismissed in more than one.")
@click.option("--flow", help="The flow, when KEY is dismissed in more than one.")
@click.option("--all", "undo_all", is_flag=True, help="Every dismissal of the tenant (or filter).")
@click.option("--reason", default="", help="Why it should be tried again (kept in state).")
@pass_app
@handle_errors
def undo(
    app: App,
    tenant_name: str,
    keys: tuple[str, ...],
    connector: str | None,
    flow: str | None,
    undo_all: bool,
    reason: str,
) -> None:
    """Undo dismissals: the records are tried again on the next run."""
    state = open_state(app)
    active = [
        d
        for d in dismissal_history(state, tenant=tenant_name, connector=connector)
        if flow is None or d.flow == flow
    ]
    chosen = _choose(active, keys, undo_all)
    decision = _decision(app, reason)
    for d in chosen:
        store.undo(
            state, tenant=d.tenant, connector=d.connector, flow=d.flow, key=d.key, decision=decision
        )
        click.echo(
            f"Undone: {d.flow} {d.key} ({d.tenant}/{d.connector}) is tried again on the next run."
        )


def _choose(
    active: list[DismissedRecord], keys: tuple[str, ...], all_: bool
) -> list[DismissedRecord]:
    """The dismissals KEY... name, each exactly one, checked before any is undone."""
    if all_:
        if not active:
            fail("Nothing is dismissed there.")
        return active
    if not keys:
        fail("Name the records to undo (KEY...) or pass --all.")
    chosen = []
    for key in keys:
        matches = [d for d in active if d.key == key]
        if not matches:
            fail(f"{key} is not dismissed (see: ledgerbridge dismissals list).")
        if len(matches) > 1:
            where = ", ".join(f"--connector {d.connector} --flow {d.flow}" for d in matches)
            fail(f"{key} is dismissed in more than one place; say which: {where}")
        chosen.append(matches[0])
    return chosen
