"""`ledgerbridge demo`: every installed connector end to end on the sandbox.

The demo never touches the operator's real workspace: it works in its own
folder (default ./ledgerbridge-demo, recreated each time) so what it did can be
inspected afterwards with `ledgerbridge --workspace ledgerbridge-demo status`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ledgerbridge.core.cli.app import App, pass_app, workspace_state
from ledgerbridge.core.cli.errors import errors as errors_command
from ledgerbridge.core.cli.output import handle_errors, json_option, print_json
from ledgerbridge.core.cli.summary import print_summary
from ledgerbridge.core.cli.tenants import config_problems
from ledgerbridge.core.components import Connector, DemoFix
from ledgerbridge.core.context import RunOptions
from ledgerbridge.core.engine import RunRequest, RunSummary, run_connector
from ledgerbridge.core.plugins import get_plugin_manager
from ledgerbridge.core.registry import Components
from ledgerbridge.core.sandbox import Sandbox, collect_emulators
from ledgerbridge.core.workspace import Workspace

MARKER = ".ledgerbridge-demo"
_VERSION = re.compile(r"^/v[0-9]+$")
_ID_SEGMENT = re.compile(r"/(?=[^/]*[0-9])[^/]+|/[A-Z][A-Z0-9_-]+(?=/|$)")


def _shape(path: str) -> str:
    """`/v1/customerinvoice/100023/attachment` -> `/v1/customerinvoice/{id}/attachment`."""
    return _ID_SEGMENT.sub(lambda m: m.group(0) if _VERSION.match(m.group(0)) else "/{id}", path)


@dataclass
class DemoKit:
    """What a connector's `demo` callable gets: a folder of its own for sample
    input, the sandbox URL of an emulator by name, and the sandbox itself (for
    a demo that seeds an emulator or acts as a user in it between runs)."""

    folder: Path
    base_url: Callable[[str], str]
    sandbox: Any = None


@click.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("ledgerbridge-demo"),
    show_default=True,
    help="Where the demo keeps its workspace (recreated on each demo).",
)
@click.option("--connector", "only", multiple=True, help="Only this connector (repeatable).")
@click.option("--seed", default=7, show_default=True, help="Seed for the emulators.")
@json_option
@pass_app
@handle_errors
def demo(app: App, folder: Path, only: tuple[str, ...], seed: int, as_json: bool) -> None:
    """Run every installed connector's demo against the embedded sandbox.

    --json prints what `run --json` prints, for every run the demo made.
    """
    comps = app.components
    connectors = [
        c
        for c in sorted(comps.connectors.values(), key=lambda c: c.name)
        if c.demo is not None and (not only or c.name in only)
    ]
    if not connectors:
        raise click.ClickException("No installed connector has a demo.")
    ws = _fresh_workspace(folder)
    sandbox = Sandbox(collect_emulators(get_plugin_manager()), seed=seed)
    if as_json:
        with _silenced():
            summaries = [s for c in connectors for s in _demo_one(ws, comps, c, sandbox)]
        print_json({"runs": [s.to_json() for s in summaries]})
        return
    click.echo(f"Demo workspace: {ws.path}  (emulated APIs, no network)")
    failed = 0
    for connector in connectors:
        failed += _demo_one(ws, comps, connector, sandbox)[-1].failed
    _print_journal(sandbox)
    click.echo(f"\nInspect it: ledgerbridge --workspace {ws.path} status")
    if failed:
        click.echo(f"           ledgerbridge --workspace {ws.path} errors")


def _fresh_workspace(folder: Path) -> Workspace:
    if folder.exists():
        if not (folder / MARKER).exists() and any(folder.iterdir()):
            raise click.ClickException(
                f"{folder} exists and is not a demo folder; choose another with --dir"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("created by ledgerbridge demo\n", encoding="utf-8")
    ws = Workspace(folder.resolve())
    ws.ensure()
    return ws


@contextmanager
def _silenced() -> Iterator[None]:
    """The demo's narration goes nowhere while --json collects its runs."""
    with open(os.devnull, "w", encoding="utf-8") as sink, redirect_stdout(sink):
        yield


def _demo_one(
    ws: Workspace, comps: Components, connector: Connector, sandbox: Any
) -> list[RunSummary]:
    """The connector's demo: last night's run, why it failed, the fix, the
    replay of what failed, and the confirmation. Every run's summary."""
    assert connector.demo is not None
    tenant = f"demo-{connector.name.replace('_', '-')}"
    setup = connector.demo(DemoKit(ws.path / "input" / connector.name, sandbox.base_url, sandbox))
    t = ws.add_tenant(tenant, f"demo of {connector.name}")
    t.connectors[connector.name] = {"enabled": True, "config": dict(setup.config)}
    t.connections.update({name: dict(c) for name, c in setup.connections.items()})
    ws.save_tenant(t)
    for name, value in setup.secrets.items():
        ws.secrets.set(tenant, name, value)
    click.secho(f"\n== {connector.title} ({connector.name}) ==", bold=True)
    if setup.describe:
        click.echo(setup.describe)

    def once(label: str, kind: str = "run", only: dict[str, set[str]] | None = None) -> RunSummary:
        click.echo(f"\n{label}")
        request = RunRequest(
            ws,
            tenant,
            connector.name,
            RunOptions(params=dict(setup.params), full=kind == "replay"),
            transport=sandbox.transport(),
            components=comps,
            kind=kind,
            only_keys=only,
        )
        summary = run_connector(request)
        print_summary(summary)
        return summary

    step = _Steps()
    history = []
    for before in setup.before:  # a two-way sync's history: a first sync, users' changes
        step(before.title)
        if before.describe:
            click.echo(textwrap.indent(before.describe, "  "))
        if before.apply is not None:
            before.apply()
        if before.run:
            history.append(once(f"$ ledgerbridge run {tenant} {connector.name}"))
    step("Last night's run")
    first = once(f"$ ledgerbridge run {tenant} {connector.name}")
    if not first.errors:
        again = once(f"$ ledgerbridge run {tenant} {connector.name}  # again: {AGAIN}")
        return [*history, first, again]
    step(f"Why: what `ledgerbridge errors {first.run_id}` says")
    _why(first.errors[0])
    if setup.fix is None:
        again = once(f"$ ledgerbridge run {tenant} {connector.name}  # again: {AGAIN}")
        return [*history, first, again]
    step("Fix")
    _fix(ws, connector, tenant, setup.fix)
    step("Replay only what failed")
    replay = once(
        f"$ ledgerbridge replay {first.run_id} --failed",
        kind="replay",
        only=_failed_keys(ws, first.run_id),
    )
    step("Confirm")
    _confirm(ws, tenant, connector.name)
    again = once(f"$ ledgerbridge run {tenant} {connector.name}  # {AGAIN}")
    return [*history, first, replay, again]


AGAIN = "what was sent is skipped, nothing is sent twice"


class _Steps:
    """Numbered headings: 1. Last night's run, 2. Why, ..."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, title: str) -> None:
        self.n += 1
        click.secho(f"\n{self.n}. {title}", bold=True)


def _why(err: dict[str, Any]) -> None:
    click.secho(f"  {err['record']} ({err['flow']})", bold=True)
    for name in ("message", "field", "value", "rule", "fix"):
        if err.get(name) not in (None, ""):
            click.echo(f"  {name}: {err[name]}")


def _fix(ws: Workspace, connector: Connector, tenant: str, fix: DemoFix) -> None:
    """Make the connector's fix as an operator would: the corrected config
    validated and saved (what `enable --config` does), the source changed."""
    click.echo(textwrap.indent(fix.describe, "  "))
    if fix.apply is not None:
        fix.apply()
    if fix.config is None:
        return
    config = dict(fix.config)
    problems = config_problems(connector, config, None)
    if problems:  # the connector's demo is wrong, not the operator
        raise click.ClickException(f"the demo's fix is not valid: {'; '.join(problems)}")
    path = ws.path / "input" / connector.name / f"{connector.name}-config.json"
    path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    t = ws.tenant(tenant)
    t.connectors[connector.name] = {"enabled": True, "config": config}
    ws.save_tenant(t)
    click.echo(f"\n$ ledgerbridge enable {tenant} {connector.name} --config {path}")
    click.echo(f"Enabled {connector.name} for {tenant}.")


def _failed_keys(ws: Workspace, run_id: int) -> dict[str, set[str]]:
    """What `replay --failed` reads again: the run's failed records, by flow."""
    state = workspace_state(ws)
    try:
        only: dict[str, set[str]] = {}
        for o in state.outcomes(run_id, status="failed"):
            only.setdefault(o.flow, set()).add(o.key)
        return only
    finally:
        state.close()


def _confirm(ws: Workspace, tenant: str, connector: str) -> None:
    """`ledgerbridge errors --tenant T`, the command itself, on the demo workspace."""
    click.echo(f"\n$ ledgerbridge errors --tenant {tenant} --connector {connector}")
    with click.Context(errors_command, obj=App(workspace_path=ws.path)) as ctx:
        ctx.invoke(errors_command, tenant=tenant, connector=connector)


def _print_journal(sandbox: Any) -> None:
    counts = Counter(f"{e.method} {_shape(e.path)}" for e in sandbox.journal.entries())
    if not counts:
        return
    click.echo("\nRequests the emulated APIs received:")
    for line, n in counts.most_common(12):
        click.echo(f"  {n:6d}  {line}")
