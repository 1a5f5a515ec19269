"""`ledgerbridge sandbox serve|journal` -- run the emulators, read what they got."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import httpx

from ledgerbridge.core.plugins import get_plugin_manager
from ledgerbridge.core.sandbox.emulator import Emulator, EmulatorOptions, collect_emulators
from ledgerbridge.core.sandbox.faults import FaultPlan, FaultSpecError
from ledgerbridge.core.sandbox.seeds import SeedError, load_seed_file
from ledgerbridge.core.sandbox.server import Sandbox, SandboxError

DEFAULT_URL = "http://127.0.0.1:8765"


# The same help options as the main CLI: click caches them per command, and
# this group is also invoked on its own (tests, `python -m`).
@click.group("sandbox", context_settings={"help_option_names": ["-h", "--help"]})
def sandbox() -> None:
    """Emulated vendor APIs for testing integrations without touching real systems."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind.")
@click.option("--port", default=8765, show_default=True, type=int, help="Port (0: any free one).")
@click.option(
    "--seed", default=0, show_default=True, type=int, help="Seed for ids and random faults."
)
@click.option(
    "--seed-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON with seed data per emulator (clients, customers, ...); see docs/sandbox.md.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SPEC",
    help='Fault rule, e.g. "POST /v2/customerinvoice*: drop-after@3". Repeatable.',
)
@click.option(
    "--latency",
    type=click.FloatRange(min=0),
    metavar="MS",
    help="Added latency in milliseconds on every request.",
)
def serve(
    host: str,
    port: int,
    seed: int,
    seed_file: Path | None,
    faults: Sequence[str],
    latency: float | None,
) -> None:
    """Serve every installed emulator on loopback HTTP until Ctrl-C.

    Prints, per emulator, its base URL and what a connector config needs to
    reach it: the API and token URLs and the credentials it accepts.
    """
    plan = build_plan(faults, latency, seed)
    emulators = load_emulators()
    if not emulators:
        raise click.ClickException("no emulators are installed (no plugin registers one)")
    settings = seeded_settings(seed_file, emulators, seed)
    box = Sandbox(emulators, seed=seed, faults=plan, settings=settings)
    try:
        box.serve(host, port)
    except SandboxError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        click.echo(f"sandbox serving at {box.url} (seed {seed})")
        if seed_file is not None:
            click.echo(f"seed data: {seed_file} ({', '.join(sorted(settings))})")
        for emulator in emulators:
            print_emulator(box, emulator, settings.get(emulator.name, {}))
        for rule in plan.rules:
            click.echo(f"  fault: {rule.spec}")
        click.echo(f"journal: ledgerbridge sandbox journal --url {box.url}")
        click.echo("press Ctrl-C to stop")
        wait_for_interrupt()
    finally:
        box.stop()
        click.echo("sandbox stopped")


def seeded_settings(
    seed_file: Path | None, emulators: Sequence[Emulator], seed: int
) -> dict[str, dict[str, Any]]:
    """The seed file's settings per emulator, each tried on its emulator
    first, so a seed that breaks one of the vendor's rules names it."""
    if seed_file is None:
        return {}
    try:
        settings = load_seed_file(seed_file, emulators)
    except SeedError as exc:
        raise click.ClickException(str(exc)) from None
    for emulator in emulators:
        if emulator.name not in settings:
            continue
        try:
            emulator.factory(EmulatorOptions(seed=seed, settings=dict(settings[emulator.name])))
        except Exception as exc:
            raise click.ClickException(
                f"the seed file {seed_file} cannot be used: {emulator.name}: "
                f"{type(exc).__name__}: {exc}"
            ) from None
    return settings


def print_emulator(box: Sandbox, emulator: Emulator, settings: dict[str, Any]) -> None:
    """`visma_net  http://...  Visma.net ERP API`, then its config values."""
    base = box.base_url(emulator.name)
    click.echo(f"  {emulator.name:<16} {base}  {emulator.description}".rstrip())
    if emulator.connection is None:
        return
    for index, values in enumerate(emulator.connection(base, settings)):
        if index:
            click.echo("      --")  # the next client it accepts
        width = max((len(k) for k in values), default=0)
        for key, value in values.items():
            click.echo(f"      {key:<{width}}  {value}")


@sandbox.command("journal")
@click.option("--url", default=DEFAULT_URL, show_default=True, help="URL of a running sandbox.")
@click.option("--emulator", help="Only requests to this emulator.")
@click.option("--method", help="Only this HTTP method.")
@click.option("--path", help="Path prefix inside the emulator, or a glob when it has * or ?.")
@click.option("--status", type=int, help="Only responses with this status.")
@click.option("--limit", type=int, help="Only the last N entries.")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
def journal(
    url: str,
    emulator: str | None,
    method: str | None,
    path: str | None,
    status: int | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """Show the requests a running sandbox has received."""
    params: dict[str, Any] = {
        "emulator": emulator,
        "method": method,
        "status": status,
        "limit": limit,
    }
    if path:
        params["path_glob" if any(c in path for c in "*?[") else "path_startswith"] = path
    query = {k: v for k, v in params.items() if v is not None}
    try:
        response = httpx.get(url.rstrip("/") + "/_sandbox/journal", params=query, timeout=10)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot read the journal at {url}: {exc}") from None
    data = response.json()
    if as_json:
        click.echo(json.dumps(data["entries"], indent=2, ensure_ascii=False))
        return
    for entry in data["entries"]:
        click.echo(format_entry(entry))
    click.echo(f"{len(data['entries'])} of {data['total']} matching entries")


def format_entry(entry: dict[str, Any]) -> str:
    """One line per request: seq, time (ISO 8601), emulator, method, status,
    path, fault."""
    status = entry["status"] if entry["status"] is not None else "---"
    query = "&".join(f"{k}={v}" for k, vs in entry["query"].items() for v in vs)
    target = entry["path"] + (f"?{query}" if query else "")
    fault = f"  [fault: {entry['fault']}]" if entry.get("fault") else ""
    when = entry.get("time", "")
    return (
        f"{entry['seq']:>6} {when} {entry['emulator']:<14} {entry['method']:<6} {status} "
        f"{target}{fault}"
    )


def build_plan(specs: Sequence[str], latency_ms: float | None, seed: int) -> FaultPlan:
    """The CLI's fault options as a plan; a bad spec is a usage error."""
    plan = FaultPlan(seed=seed)
    try:
        if latency_ms:
            plan.add(f"*: latency={latency_ms:g}ms")
        for spec in specs:
            plan.add(spec)
    except FaultSpecError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault") from None
    return plan


def load_emulators() -> list[Emulator]:
    def report(plugin: str, exc: BaseException) -> None:
        click.echo(f"warning: plugin {plugin}: emulator not loaded: {exc}", err=True)

    return collect_emulators(get_plugin_manager(), on_error=report)


def wait_for_interrupt() -> None:
    """Block until Ctrl-C (SIGINT) or SIGTERM."""
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
