"""Fixtures for testing ledgerbridge plugins.

pytest loads this module through the `pytest11` entry point, so installing
ledgerbridge is enough: no conftest.py to copy. Every fixture works in a
temporary workspace and undoes what it registered::

    def test_first_run_writes_every_contact(lb_plugin, lb_tenant, lb_run, tmp_path):
        lb_plugin(my_plugin)
        lb_tenant("acme", connector="hello", config={...}, secrets={"apiKey": "x"})
        summary = lb_run("acme", "hello")
        assert (summary.succeeded, summary.failed) == (3, 0)

The engine, state and CLI are imported inside the helpers, not at the top:
this module is imported by every pytest session in an environment that has
ledgerbridge installed, and those sessions should not pay for them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.plugins import PluginInfo, PluginRegistry, get_registry
from ledgerbridge.core.workspace import Tenant, Workspace

if TYPE_CHECKING:
    import httpx
    from click.testing import Result

    from ledgerbridge.core.clock import Clock
    from ledgerbridge.core.engine import RunSummary


class TenantFactory:
    """`lb_tenant(name, connector=..., config=..., secrets=...)`: a tenant with a
    connector enabled and secrets stored, as `tenant add`, `enable` and
    `secret set` would leave them. The config is not validated here: the run
    validates it, so a test can check what an invalid config does."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def __call__(
        self,
        name: str = "acme",
        *,
        connector: str | None = None,
        config: Mapping[str, Any] | None = None,
        secrets: Mapping[str, str] | None = None,
        description: str = "",
    ) -> Tenant:
        ws = self.workspace
        tenant = ws.tenant(name) if ws.has_tenant(name) else ws.add_tenant(name, description)
        if connector is not None:
            tenant.connectors[connector] = {"enabled": True, "config": dict(config or {})}
            ws.save_tenant(tenant)
        for secret_name, value in (secrets or {}).items():
            ws.secrets.set(name, secret_name, value)
        return tenant


class PluginRegistrar:
    """`lb_plugin(module_or_object, name=None)`: register a plugin for one test.

    It goes through the same registry as installed plugins, so its connectors,
    components, commands and pipeline hooks all take part. A plugin already
    loaded through its entry point (your package is installed) is used as it
    is. Components are collected afresh by every run and CLI call, so removing
    the plugin afterwards is all the cleaning up there is.
    """

    def __init__(self) -> None:
        self._added: list[tuple[PluginRegistry, object, PluginInfo]] = []

    def __call__(self, plugin: object, name: str | None = None) -> PluginInfo:
        registry = get_registry()
        if registry.pm.is_registered(plugin):
            return _info_of(registry, plugin)
        info = registry.add(plugin, name or _default_name(plugin))
        if info.status != "loaded":
            pytest.fail(f"plugin {info.name} could not be registered: {info.error}", pytrace=False)
        registry.infos.append(info)
        self._added.append((registry, plugin, info))
        return info

    def remove_all(self) -> None:
        """Unregister in reverse order, from the registry each was added to."""
        while self._added:
            registry, plugin, info = self._added.pop()
            if registry.pm.is_registered(plugin):
                registry.pm.unregister(plugin)
            if info in registry.infos:
                registry.infos.remove(info)


def _default_name(plugin: object) -> str:
    name = getattr(plugin, "__name__", None)
    return name if isinstance(name, str) else f"{type(plugin).__name__}-{id(plugin):x}"


def _info_of(registry: PluginRegistry, plugin: object) -> PluginInfo:
    name = registry.pm.get_name(plugin) or _default_name(plugin)
    for info in registry.infos:
        if info.name == name:
            return info
    hooks = tuple(sorted(h.name for h in registry.pm.get_hookcallers(plugin) or ()))
    return PluginInfo(name, _default_name(plugin), None, None, "loaded", None, hooks)


class ConnectorRunner:
    """`lb_run(tenant, connector, transport=..., clock=...)`: one run through the
    engine, exactly as `ledgerbridge run` does it; returns the RunSummary.

    transport: an httpx transport standing in for the network (an emulator
               behind `httpx.WSGITransport`, or `httpx.MockTransport`).
    clock:     defaults to the test's `lb_clock`, so nothing really sleeps.
    """

    def __init__(self, workspace: Workspace, clock: FakeClock) -> None:
        self.workspace = workspace
        self.clock = clock

    def __call__(
        self,
        tenant: str,
        connector: str,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        dry_run: bool = False,
        full: bool = False,
        params: Mapping[str, Any] | None = None,
    ) -> RunSummary:
        from ledgerbridge.core.context import RunOptions
        from ledgerbridge.core.engine import RunRequest, run_connector

        options = RunOptions(dry_run=dry_run, full=full, params=dict(params or {}))
        request = RunRequest(
            self.workspace,
            tenant,
            connector,
            options,
            transport=transport,
            clock=clock or self.clock,
        )
        return run_connector(request)


class CliInvoker:
    """`lb_cli("run", "acme", "hello")`: the `ledgerbridge` CLI on the test's
    workspace, built afresh per call so plugins registered since take part.
    Exceptions the CLI does not handle propagate, with their traceback."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def __call__(self, *args: str, input: str | None = None) -> Result:
        from click.testing import CliRunner

        from ledgerbridge.core.cli import make_cli

        argv = ["--workspace", str(self.workspace.path), *args]
        return CliRunner().invoke(make_cli(), argv, input=input, catch_exceptions=False)


@pytest.fixture
def lb_workspace(tmp_path: Path) -> Workspace:
    """An empty workspace in a temporary folder."""
    ws = Workspace(tmp_path / "lb-workspace")
    ws.ensure()
    return ws


@pytest.fixture
def lb_tenant(lb_workspace: Workspace) -> TenantFactory:
    """Create tenants with a connector, config and secrets in `lb_workspace`."""
    return TenantFactory(lb_workspace)


@pytest.fixture
def lb_plugin() -> Iterator[PluginRegistrar]:
    """Register plugins for this test only; they are unregistered afterwards."""
    registrar = PluginRegistrar()
    try:
        yield registrar
    finally:
        registrar.remove_all()


@pytest.fixture
def lb_clock() -> FakeClock:
    """A fake clock at 2026-01-01T00:00:00Z; sleeping advances it instantly."""
    return FakeClock()


@pytest.fixture
def lb_run(lb_workspace: Workspace, lb_clock: FakeClock) -> ConnectorRunner:
    """Run a connector for a tenant of `lb_workspace`; returns the RunSummary."""
    return ConnectorRunner(lb_workspace, lb_clock)


@pytest.fixture
def lb_cli(lb_workspace: Workspace) -> CliInvoker:
    """Invoke the `ledgerbridge` CLI with `--workspace` set to `lb_workspace`."""
    return CliInvoker(lb_workspace)


class SandboxFactory:
    """`lb_sandbox("visma_net", faults=[...], settings={...})`: the sandbox of
    emulated vendor APIs the installed (and `lb_plugin`-registered) plugins
    register, in-process, on the test's clock. Pass its `transport()` to
    `lb_run`; read what it received from its `journal`. No names: every
    emulator."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def __call__(
        self,
        *names: str,
        seed: int = 0,
        faults: Any = (),
        settings: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Any:
        from ledgerbridge.core.plugins import get_plugin_manager
        from ledgerbridge.core.sandbox import Sandbox, collect_emulators

        emulators = collect_emulators(get_plugin_manager())
        known = {e.name for e in emulators}
        missing = sorted(set(names) - known)
        if missing:
            pytest.fail(
                f"no emulator named {', '.join(missing)} (registered: {', '.join(sorted(known))})",
                pytrace=False,
            )
        chosen = [e for e in emulators if not names or e.name in names]
        return Sandbox(chosen, seed=seed, clock=self.clock, faults=faults, settings=settings)


@pytest.fixture
def lb_sandbox(lb_clock: FakeClock) -> SandboxFactory:
    """Build the sandbox of emulated APIs (see SandboxFactory) on `lb_clock`."""
    return SandboxFactory(lb_clock)
