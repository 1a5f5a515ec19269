"""The `ledgerbridge` command line.

Built by `make_cli()` after plugins are loaded, so connectors can add run
options and plugins can add commands through `register_commands(cli)`.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from ledgerbridge import __version__
from ledgerbridge.core.cli import connections, info, runs, tenants, workers
from ledgerbridge.core.cli.app import App
from ledgerbridge.core.cli.auth import auth
from ledgerbridge.core.cli.demo import demo
from ledgerbridge.core.cli.dismiss import dismiss, dismissals
from ledgerbridge.core.cli.errors import errors
from ledgerbridge.core.cli.links import links
from ledgerbridge.core.cli.output import closed_pipe_exit
from ledgerbridge.core.cli.prune import prune
from ledgerbridge.core.cli.run_history import runs as runs_command
from ledgerbridge.core.cli.state_cmd import state as state_group
from ledgerbridge.core.components import RunOption
from ledgerbridge.core.plugins import get_plugin_manager
from ledgerbridge.core.registry import Components, collect
from ledgerbridge.core.sandbox.cli import sandbox


class LedgerbridgeGroup(click.Group):
    """The top command: a closed output pipe ends any command quietly."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            closed_pipe_exit()


def make_cli() -> click.Group:
    @click.group(cls=LedgerbridgeGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="ledgerbridge")
    @click.option(
        "--workspace",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="LEDGERBRIDGE_HOME",
        help="Workspace folder (default: $LEDGERBRIDGE_HOME or ~/.ledgerbridge).",
    )
    @click.option(
        "--state",
        envvar="LEDGERBRIDGE_STATE",
        metavar="URL",
        help="Where the state (runs, links, cursors), run locks, budgets, jobs and schedules "
        "live: postgresql://... for workers on several machines (default: "
        "$LEDGERBRIDGE_STATE or the workspace's state.db).",
    )
    @click.option("-v", "--verbose", count=True, help="-v: info, -vv: debug (secrets redacted).")
    @click.pass_context
    def cli(ctx: click.Context, workspace: Path | None, state: str | None, verbose: int) -> None:
        """Move business documents between Nordic business systems and Visma."""
        app = ctx.ensure_object(App)
        if app._components is None:
            app._components = comps  # so `plugins` shows what building the CLI found
        if workspace is not None:
            app.workspace_path = workspace
        if state:
            app.state_url = state
        if verbose:
            level = logging.DEBUG if verbose > 1 else logging.INFO
            logging.basicConfig(
                level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s"
            )
            # ledgerbridge.http logs each request and response, redacted; the
            # transport's own socket-level chatter would only bury them
            logging.getLogger("httpcore").setLevel(logging.INFO)

    comps = collect()
    for command in (
        info.plugins,
        info.connectors,
        info.schema,
        tenants.tenant,
        tenants.enable,
        tenants.disable,
        tenants.config_group,
        tenants.secret,
        connections.connection,
        *runs.ALL_COMMANDS,
        links,
        runs_command,
        errors,
        dismiss,
        dismissals,
        prune,
        state_group,
        sandbox,
        auth,
        demo,
        *workers.ALL_COMMANDS,
    ):
        cli.add_command(command)  # type: ignore[arg-type]
    cli.add_command(runs.make_run_command(_run_options(comps)))
    _plugin_commands(cli, comps)
    return cli


RESERVED_RUN_OPTIONS = frozenset(
    {"dry-run", "full", "json", "workers", "when-budget-spent", "help"}
)


def _run_options(comps: Components) -> list[RunOption]:
    """Connectors' run options; one named like a built-in option is refused,
    or it would change `run` for every connector."""
    seen: dict[str, RunOption] = {}
    for connector in comps.connectors.values():
        for opt in connector.run_options:
            if opt.name in RESERVED_RUN_OPTIONS or opt.name.startswith("-"):
                comps.problems.append(
                    f"connector {connector.name}: run option --{opt.name} is ignored: "
                    "that name belongs to ledgerbridge run itself"
                )
                continue
            seen.setdefault(opt.name, opt)
    return list(seen.values())


def _plugin_commands(cli: click.Group, comps: Components) -> None:
    """Each plugin's register_commands on its own: one that raises is reported
    by `ledgerbridge plugins` and the CLI works without its commands."""
    for impl in get_plugin_manager().hook.register_commands.get_hookimpls():
        try:
            impl.function(cli=cli)
        except Exception as exc:
            comps.problems.append(
                f"plugin {impl.plugin_name}: register_commands failed: {type(exc).__name__}: {exc}"
            )


def main() -> None:
    try:
        make_cli()(prog_name="ledgerbridge")
    finally:
        # output still buffered when the command ended goes out here; if its
        # reader is gone, stop quietly instead of a traceback at exit
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            closed_pipe_exit()
