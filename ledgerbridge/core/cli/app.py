"""The state every command shares: the workspace and the installed plugins."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from ledgerbridge.core.cli.output import fail
from ledgerbridge.core.clock import Clock, SystemClock
from ledgerbridge.core.registry import Components, collect
from ledgerbridge.core.state.db import StateDB
from ledgerbridge.core.state.db import open_state as open_location
from ledgerbridge.core.workspace import Workspace, default_home


@dataclass
class App:
    workspace_path: Path = field(default_factory=default_home)
    _components: Components | None = None
    clock: Clock = field(default_factory=SystemClock)
    """What "now" is for runs, --since and prune (a test passes a FakeClock)."""
    state_url: str | None = None
    """--state: where locks, budgets, jobs and schedules live (else LEDGERBRIDGE_STATE)."""

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.workspace_path, self.state_url)

    @property
    def components(self) -> Components:
        if self._components is None:
            self._components = collect()
        return self._components


pass_app = click.make_pass_decorator(App, ensure=True)


def has_state(ws: Workspace) -> bool:
    """Whether anything ever ran: the state.db exists (a PostgreSQL state always does)."""
    return ws.state.is_postgres or ws.db_path.exists()


def workspace_state(ws: Workspace) -> StateDB:
    """The workspace's state, wherever it lives (SQLite or PostgreSQL)."""
    return open_location(ws.state)


def open_state(app: App) -> StateDB:
    """The workspace's state database; a usage error when nothing ever ran."""
    if not has_state(app.workspace):
        fail(f"No runs yet in workspace {app.workspace.path}.")
    return workspace_state(app.workspace)
