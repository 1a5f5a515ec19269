"""The hooks a ledgerbridge plugin can implement.

Register a plugin through the `ledgerbridge` entry-point group::

    [project.entry-points.ledgerbridge]
    hello = "ledgerbridge_hello.plugin"

and implement hooks in that module with `@hookimpl`. Every hook is documented
in docs/plugins.md; a meta-test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click
import pluggy

if TYPE_CHECKING:
    from ledgerbridge.core.components import Connector, Flow, Mapper, Source, Target
    from ledgerbridge.core.context import RunContext
    from ledgerbridge.core.engine.drafts import RecordDraft
    from ledgerbridge.core.engine.summary import RunSummary
    from ledgerbridge.core.errors import RecordError
    from ledgerbridge.core.records import Record
    from ledgerbridge.core.sandbox.emulator import Emulator
    from ledgerbridge.core.systems import System

PROJECT = "ledgerbridge"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- registration ---------------------------------------------------------


@hookspec
def register_connectors(register: Callable[[Connector], None]) -> None:
    """Register connectors: call `register(Connector(...))` once per connector.

    A connector is what an integrator enables for a tenant. Its name must be
    unique across installed plugins; a clash is reported by `ledgerbridge
    plugins` and the later one is ignored.
    """


@hookspec
def register_sources(register: Callable[[str, Callable[..., Source]], None]) -> None:
    """Register reusable source factories: `register("opter_xml", factory)`.

    Other plugins build flows from them with `components.source(name, ...)`.
    """


@hookspec
def register_mappers(register: Callable[[str, Callable[..., Mapper]], None]) -> None:
    """Register reusable mapper factories: `register("name", factory)`."""


@hookspec
def register_targets(register: Callable[[str, Callable[..., Target]], None]) -> None:
    """Register reusable target factories: `register("visma_net", factory)`.

    This is how one plugin's target serves others: payroll journals and POS
    settlements reuse the Visma.net target registered by visma_net.
    """


@hookspec
def register_systems(register: Callable[[System], None]) -> None:
    """Register the systems your plugin connects to: `register(System(...))`.

    A system gives the JSON Schema of a tenant's connection to it (secrets by
    reference), an optional `test(connection)` and its `RateLimit`. Operators
    add connections with `ledgerbridge connection add TENANT NAME --system
    NAME`; connectors get them with `context.connection(NAME)`. A name already
    registered by another plugin is reported and the later one ignored.
    """


@hookspec
def register_emulators(register: Callable[[Emulator], None]) -> None:
    """Register emulated vendor APIs for tests and `ledgerbridge sandbox serve`."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the `ledgerbridge` CLI: `@cli.command() def mine(): ...`.

    Called once, after the built-in commands exist.
    """


# -- pipeline ---------------------------------------------------------------


@hookspec
def run_started(context: RunContext, run_id: int) -> None:
    """A run of one tenant and connector is starting (after the lock is taken)."""


@hookspec
def prepare_record(draft: RecordDraft, flow: Flow, context: RunContext) -> None:
    """A record is about to be mapped; adjust `draft.data` in place, or call
    `draft.skip(reason)` to leave it out of this run (recorded as skipped).

    Implementations run in turn on the same draft, so changes compose.
    """


@hookspec
def record_written(record: Record, result: Any, flow: Flow, context: RunContext) -> None:
    """A record was written to the target (`result` is its WriteResult)."""


@hookspec
def record_failed(record: Record, error: RecordError, flow: Flow, context: RunContext) -> None:
    """A record failed; the run goes on. `error` names field, rule and fix."""


@hookspec
def run_ended(context: RunContext, summary: RunSummary) -> None:
    """A run ended (also when it failed); `summary` has the counts and status."""
