"""The state every command shares: the workspace and the installed plugins."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from ledgerbridge.core.registry import Components, collect
from ledgerbridge.core.workspace import Workspace, default_home


@dataclass
class App:
    workspace_path: Path = field(default_factory=default_home)
    _components: Components | None = None

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.workspace_path)

    @property
    def components(self) -> Components:
        if self._components is None:
            self._components = collect()
        return self._components


pass_app = click.make_pass_decorator(App, ensure=True)
