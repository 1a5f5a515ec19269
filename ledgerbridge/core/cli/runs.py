"""Running, inspecting and replaying transfers."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from ledgerbridge.core.cli.app import App, has_state, open_state, pass_app, workspace_state
from ledgerbridge.core.cli.output import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_RECORDS_FAILED,
    EXIT_USAGE,
    fail,
    handle_errors,
    json_option,
    print_json,
    table,
)
from ledgerbridge.core.cli.progress import Progress
from ledgerbridge.core.cli.summary import print_summary
from ledgerbridge.core.cli.tenants import exit_if_broken, tenant_errors_json
from ledgerbridge.core.components import RunOption
from ledgerbridge.core.context import RunOptions
from ledgerbridge.core.engine import RunRequest, RunSummary, run_connector
from ledgerbridge.core.errors import ConfigError, RunLockedError
from ledgerbridge.core.http.budget import WHEN_SPENT, WhenSpent
from ledgerbridge.core.state.db import StateDB


def make_run_command(run_options: list[RunOption]) -> click.Command:
    """`run`, with the options installed connectors declare (e.g. --period)."""

    @click.command("run")
    @click.argument("tenant_name", metavar="TENANT")
    @click.argument("connector_name", metavar="[CONNECTOR]", required=False)
    @click.option("--dry-run", is_flag=True, help="Map and validate; write nothing remote.")
    @click.option(
        "--full", is_flag=True, help="Re-read everything (unchanged records are still skipped)."
    )
    @click.option(
        "--workers",
        type=click.IntRange(1, 32),
        help="Remote calls in flight per flow (default: each flow's own setting).",
    )
    @click.option(
        "--when-budget-spent",
        type=click.Choice(WHEN_SPENT),
        help="When a connection's rate budget is spent: wait for the vendor's window, or "
        "stop before the next document (default: each connection's whenSpent, else wait).",
    )
    @json_option
    @pass_app
    @handle_errors
    def run(
        app: App,
        /,
        tenant_name: str,
        connector_name: str | None,
        dry_run: bool,
        full: bool,
        workers: int | None,
        when_budget_spent: WhenSpent | None,
        as_json: bool,
        **extra: Any,
    ) -> None:
        """Run a tenant's connectors (or one of them) now."""
        params = {k: v for k, v in extra.items() if v not in (None, ())}
        names = [connector_name] if connector_name else app.workspace.tenant(tenant_name).enabled()
        if not names:
            fail(f"Tenant {tenant_name} has no enabled connectors.")
        options = RunOptions(
            dry_run=dry_run,
            full=full,
            params=params,
            workers=workers,
            when_budget_spent=when_budget_spent,
        )
        summaries, blocked = _run_all(app, tenant_name, names, options, quiet=as_json)
        _finish(summaries, blocked, as_json)

    for opt in run_options:
        run.params.append(click.Option([f"--{opt.name}"], help=opt.help, multiple=opt.multiple))
    return run


def _run_all(
    app: App,
    tenant: str,
    names: list[str],
    options: RunOptions,
    *,
    quiet: bool,
    kind: str = "run",
    only: dict[str, set[str]] | None = None,
) -> tuple[list[RunSummary], list[dict[str, Any]]]:
    summaries: list[RunSummary] = []
    blocked: list[dict[str, Any]] = []
    totals = {flow: len(keys) for flow, keys in (only or {}).items()}
    for name in names:
        progress = Progress(f"{tenant}/{name}", totals=totals)
        request = RunRequest(
            app.workspace,
            tenant,
            name,
            options,
            reporter=progress,
            kind=kind,
            only_keys=only,
            components=app.components,
            clock=app.clock,
        )
        try:
            summaries.append(run_connector(request))
        except RunLockedError as exc:
            blocked.append(
                {"tenant": tenant, "connector": name, "status": "locked", "message": str(exc)}
            )
        except ConfigError as exc:
            if len(names) == 1:
                raise
            blocked.append(
                {"tenant": tenant, "connector": name, "status": "config-error", "message": str(exc)}
            )
        finally:
            progress.close()
        if not quiet and summaries and summaries[-1].connector == name:
            print_summary(summaries[-1])
    return summaries, blocked


def _finish(summaries: list[RunSummary], blocked: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print_json({"runs": [s.to_json() for s in summaries] + blocked})
    else:
        for b in blocked:
            click.secho(f"✘ {b['tenant']}/{b['connector']}: {b['message']}", fg="red", err=True)
    sys.exit(exit_code(summaries, blocked))


def exit_code(summaries: list[RunSummary], blocked: list[dict[str, Any]]) -> int:
    """3 when something could not complete, else 2 for config errors, else 1
    when records failed, else 0."""
    locked = [b for b in blocked if b["status"] != "config-error"]
    incomplete = ("aborted", "stopped")
    if locked or any(s.status in incomplete or any(f.stopped for f in s.flows) for s in summaries):
        return EXIT_INCOMPLETE
    if blocked:
        return EXIT_USAGE
    if any(s.failed for s in summaries):
        return EXIT_RECORDS_FAILED
    return EXIT_OK


@click.command()
@click.argument("tenant_name", metavar="[TENANT]", required=False)
@json_option
@pass_app
@handle_errors
def status(app: App, tenant_name: str | None, as_json: bool) -> None:
    """Last run, cursors and pending writes per tenant and connector."""
    ws = app.workspace
    tenants, broken = ([ws.tenant(tenant_name)], {}) if tenant_name else ws.tenants()
    state = workspace_state(ws) if has_state(ws) else None
    items = [_status_item(state, t.name, conn) for t in tenants for conn in t.connectors]
    for i in items:
        i["notes"] = _connector_notes(app, state, i["tenant"], i["connector"])
    queued = ws.state.is_postgres
    if queued:  # workers: each pair's schedule and latest job, from the queue
        from ledgerbridge.core.postgres.jobs import queue_status

        found = queue_status(ws.state.dsn or "", [(i["tenant"], i["connector"]) for i in items])
        for i in items:
            i["queue"] = found[(i["tenant"], i["connector"])]
    if as_json:
        print_json({"status": items, "tenant_errors": tenant_errors_json(broken)})
        exit_if_broken(broken, quiet=True)
        return
    rows = [
        [
            i["tenant"],
            i["connector"],
            str(i["last_run"]["id"]) if i["last_run"] else "-",
            i["last_run"]["status"] if i["last_run"] else "never run",
            i["last_run"]["ended_at"] or "" if i["last_run"] else "",
            str(i["pending_writes"]),
            str(i["links"]),
            *(_queue_cells(i["queue"]) if queued else []),
        ]
        for i in items
    ]
    headers = ["tenant", "connector", "run", "status", "ended", "pending", "links"]
    table(rows, headers + (["schedule", "job"] if queued else []))
    for i in items:
        for line in i["notes"]:
            click.echo(f"{i['tenant']}/{i['connector']}: {line}")
    exit_if_broken(broken, quiet=False)


def _connector_notes(app: App, state: StateDB | None, tenant: str, name: str) -> list[str]:
    """What the connector itself says about its links (`Connector.status`),
    e.g. which payroll runs are in Visma.net; nothing for an unknown one."""
    if state is None:
        return []
    try:
        connector = app.components.connector(name)
    except ConfigError:
        return []
    if connector.status is None:
        return []
    return list(connector.status(state.links(tenant, name)))


def _queue_cells(queue: dict[str, Any]) -> list[str]:
    s, job = queue["schedule"], queue["last_job"]
    rule = s["rule"] if s else "-"
    if job is None:
        return [rule, "-"]
    tries = len(job["attempts"])
    return [rule, f"{job['job_id']} {job['status']} ({tries} attempt{'s' if tries != 1 else ''})"]


def _status_item(state: StateDB | None, tenant: str, connector: str) -> dict[str, Any]:
    runs = state.runs(tenant, connector, limit=1) if state else []
    return {
        "tenant": tenant,
        "connector": connector,
        "last_run": runs[0].to_json() if runs else None,
        "cursors": state.cursors(tenant, connector) if state else {},
        "pending_writes": state.outbox_count(tenant, connector) if state else 0,
        "links": state.links(tenant, connector).count() if state else 0,
    }


@click.command()
@click.argument("run_id", metavar="RUN", type=int)
@click.option("--failed", "only_failed", is_flag=True, help="Only the records that failed in RUN.")
@json_option
@pass_app
@handle_errors
def replay(app: App, run_id: int, only_failed: bool, as_json: bool) -> None:
    """Run RUN again: re-read its source with its options; --failed: only its failed records.

    Records are re-read from the source, so a fix made there since is used;
    what was already written is skipped by hash, so nothing is sent twice.
    """
    state = open_state(app)
    run = state.run(run_id)
    if run is None:
        fail(f"No run {run_id}.")
        return
    only: dict[str, set[str]] | None = None
    if only_failed:
        only = {}
        for o in state.outcomes(run.id, status="failed"):
            only.setdefault(o.flow, set()).add(o.key)
        if not only:
            if as_json:
                print_json({"runs": []})
            else:
                click.echo(f"Run {run_id} has no failed records.")
            return
    options = RunOptions(dry_run=run.dry_run, full=True, params=run.params)
    summaries, blocked = _run_all(
        app, run.tenant, [run.connector], options, quiet=as_json, kind="replay", only=only
    )
    _finish(summaries, blocked, as_json)


ALL_COMMANDS: list[Callable[..., Any]] = [status, replay]
