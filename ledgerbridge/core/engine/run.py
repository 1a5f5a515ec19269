"""Running one connector for one tenant: config check, lock, flows, summary."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pluggy

from ledgerbridge.core.clock import Clock, SystemClock, utc_iso
from ledgerbridge.core.components import Connector, Flow
from ledgerbridge.core.config import connector_config_problems
from ledgerbridge.core.context import RunContext, RunOptions, SecretAccessor
from ledgerbridge.core.engine.flow import FlowRun, Reporter
from ledgerbridge.core.engine.summary import FlowSummary, RunSummary
from ledgerbridge.core.errors import AuthError, ConfigError, RunStopped
from ledgerbridge.core.lock import run_lock
from ledgerbridge.core.parsecache import release as release_parse_cache
from ledgerbridge.core.plugins import get_plugin_manager
from ledgerbridge.core.redact import Redactor
from ledgerbridge.core.registry import Components, collect
from ledgerbridge.core.state.db import StateDB, open_state
from ledgerbridge.core.workspace import Workspace


@dataclass
class RunRequest:
    workspace: Workspace
    tenant: str
    connector: str
    options: RunOptions = field(default_factory=RunOptions)
    transport: httpx.BaseTransport | None = None
    clock: Clock = field(default_factory=SystemClock)
    reporter: Reporter | None = None
    kind: str = "run"
    only_keys: Mapping[str, set[str]] | None = None
    components: Components | None = None
    pm: pluggy.PluginManager | None = None


def checked_config(ws: Workspace, tenant: str, connector: Connector) -> dict[str, Any]:
    """The tenant's config for a connector, refused with every problem at once."""
    t = ws.tenant(tenant)
    entry = t.connectors.get(connector.name)
    if entry is not None and not entry.get("enabled", True):
        raise ConfigError(
            f"Connector {connector.name!r} is disabled for tenant {tenant!r}. "
            f"Enable it again with: ledgerbridge enable {tenant} {connector.name} --config FILE"
        )
    config = t.connector_config(connector.name)
    problems = connector_config_problems(connector, config, ws.secrets.names(tenant))
    if problems:
        raise ConfigError(f"The config of {tenant}/{connector.name} is not valid:", problems)
    return config


def build_context(
    req: RunRequest, connector: Connector, state: StateDB, comps: Components | None = None
) -> RunContext:
    config = checked_config(req.workspace, req.tenant, connector)
    redactor = Redactor()
    secrets = SecretAccessor(req.tenant, req.workspace.secrets.values(req.tenant), redactor)
    return RunContext(
        tenant=req.tenant,
        connector=connector.name,
        config=config,
        secrets=secrets,
        options=req.options,
        workspace=req.workspace.path,
        state_url=req.workspace.state_url,
        bindings=state.bindings(req.tenant, connector.name),
        redactor=redactor,
        clock=req.clock,
        transport=req.transport,
        components=comps,
    )


def run_connector(req: RunRequest) -> RunSummary:
    """Run every flow of a connector for a tenant and return the summary.

    Raises ConfigError (nothing ran) and RunLockedError (another run holds the
    lock). Credential and availability problems end the run with status
    "aborted" and a message, recorded in state like any other run.
    """
    comps = req.components or collect(req.pm)
    pm = req.pm or get_plugin_manager()
    connector = comps.connector(req.connector)
    checked_config(req.workspace, req.tenant, connector)
    req.workspace.ensure()
    started = utc_iso(req.clock.now())
    with locked_state(req.workspace, req.tenant, connector.name, started) as state:
        return _run_locked(req, connector, state, pm, started, comps)


@contextmanager
def locked_state(ws: Workspace, tenant: str, connector: str, started: str) -> Iterator[StateDB]:
    """The run's state, under the pair's run lock. On SQLite the file lock
    first, then the database; on PostgreSQL the session first, and the lock
    on that session (see `ledgerbridge.core.postgres.lock`)."""
    if not ws.state.is_postgres:
        with run_lock(ws, tenant, connector, started):
            state = StateDB(ws.db_path)
            try:
                yield state
            finally:
                state.close()
        return
    state = open_state(ws.state)
    try:
        with run_lock(ws, tenant, connector, started, state=state):
            yield state
    finally:
        state.close()


def _run_locked(
    req: RunRequest,
    connector: Connector,
    state: StateDB,
    pm: pluggy.PluginManager,
    started: str,
    comps: Components,
) -> RunSummary:
    state.mark_interrupted(req.tenant, connector.name, started)
    ctx = build_context(req, connector, state, comps)
    run_id = state.start_run(
        req.tenant,
        connector.name,
        started_at=started,
        kind=req.kind,
        dry_run=req.options.dry_run,
        full=req.options.full,
        params=dict(req.options.params),
        pid=os.getpid(),
    )
    summary = RunSummary(run_id, req.tenant, connector.name, dry_run=req.options.dry_run)
    try:
        pm.hook.run_started(context=ctx, run_id=run_id)
        _run_flows(req, connector, ctx, state, pm, summary)
    except RunStopped as exc:  # between documents: the rest is left for the next run
        summary.status = "stopped"
        summary.message = ctx.redactor.redact(str(exc))
    except (AuthError, ConfigError) as exc:
        summary.status = "aborted"
        summary.message = ctx.redactor.redact(str(exc))
    except Exception as exc:  # a plugin's bug outside any record (build_flows, a hook)
        summary.status = "aborted"
        summary.message = ctx.redactor.redact(
            f"the run stopped on an unexpected {type(exc).__name__}: {exc}; "
            "this is a fault in a plugin: report it"
        )
        ctx.log.debug("run aborted", exc_info=False)
    except BaseException as exc:  # interrupted (Ctrl-C, kill): the next run resumes
        summary.status = "interrupted"
        summary.message = ctx.redactor.redact(
            f"interrupted by {type(exc).__name__}; the next run resumes from here"
        )
        raise
    finally:
        release_parse_cache(ctx)  # the flows are done with the files they share
        summary.finish()
        state.finish_run(
            run_id,
            status=summary.status,
            ended_at=utc_iso(req.clock.now()),
            counts=(summary.succeeded, summary.failed, summary.skipped),
            message=summary.message or _stopped_message(summary),
        )
        pm.hook.run_ended(context=ctx, summary=summary)
    return summary


def _run_flows(
    req: RunRequest,
    connector: Connector,
    ctx: RunContext,
    state: StateDB,
    pm: pluggy.PluginManager,
    summary: RunSummary,
) -> None:
    stopped: set[str] = set()
    for flow in ordered(connector.build_flows(ctx)):
        fs = FlowSummary(flow.name)
        summary.flows.append(fs)
        blocked = [d for d in flow.depends_on if d in stopped]
        if blocked:
            fs.stopped = f"not run: flow {', '.join(blocked)} it depends on did not finish"
            stopped.add(flow.name)
            continue
        only = None if req.only_keys is None else set(req.only_keys.get(flow.name, set()))
        if only is not None and not only:
            continue
        runner = FlowRun(
            flow=flow,
            ctx=ctx,
            state=state,
            pm=pm,
            run_id=summary.run_id,
            summary=fs,
            run_summary=summary,
            reporter=req.reporter,
            # a replay, or a run narrowed by connector options (--period, --invoice),
            # skips records it was not asked for: it must not move the cursor past them
            move_cursor=req.kind == "run" and not req.options.params,
            only_keys=only,
        )
        try:
            runner.run()
        except (AuthError, ConfigError, RunStopped):
            raise
        except Exception as exc:  # the source itself failed: stop this flow, keep the rest
            fs.stopped = ctx.redactor.redact(
                f"reading the source failed: {type(exc).__name__}: {exc}"
            )
        if fs.stopped:
            stopped.add(flow.name)


MODES = ("upsert", "create-only", "update-only", "write-once")


def flow_problems(flow: Flow) -> list[str]:
    """What a plugin declared wrong on a flow: the sync rules cannot apply."""
    problems = []
    if flow.mode not in MODES:
        problems.append(f"mode {flow.mode!r} is not one of {', '.join(MODES)}")
    systems = (flow.source_system, flow.target_system)
    if flow.master is not None and flow.master not in systems:
        problems.append(
            f"master {flow.master!r} is neither its source system {systems[0]!r} "
            f"nor its target system {systems[1]!r}"
        )
    if systems[0] == systems[1]:
        problems.append(
            f"its source and target are both system {systems[0]!r}: give the source a "
            "`system` name, or links cannot tell the two sides apart"
        )
    return [f"flow {flow.name!r}: {p}" for p in problems]


def ordered(flows: Sequence[Flow]) -> list[Flow]:
    """Flows in dependency order (customers before invoices), stable otherwise."""
    problems = [p for f in flows for p in flow_problems(f)]
    if problems:
        raise ConfigError("The connector declares flows the engine cannot run:", problems)
    by_name = {f.name: f for f in flows}
    done: list[Flow] = []
    seen: set[str] = set()

    def visit(flow: Flow, path: tuple[str, ...]) -> None:
        if flow.name in seen:
            return
        if flow.name in path:
            raise ConfigError(f"Flows depend on each other in a circle: {' -> '.join(path)}")
        for dep in flow.depends_on:
            if dep not in by_name:
                raise ConfigError(f"Flow {flow.name!r} depends on unknown flow {dep!r}.")
            visit(by_name[dep], (*path, flow.name))
        seen.add(flow.name)
        done.append(flow)

    for f in flows:
        visit(f, ())
    return done


def _stopped_message(summary: RunSummary) -> str | None:
    notes = [f"{f.name}: {f.stopped}" for f in summary.flows if f.stopped]
    return "; ".join(notes) or None
