"""Collecting what plugins register: connectors and reusable components.

Each plugin's registration hook is called on its own, through pluggy (a
subset hook caller holding just that plugin), so one plugin raising does not
hide the others, its failure is kept and shown by `ledgerbridge plugins`,
and `LEDGERBRIDGE_TRACE_PLUGINS` shows every call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from ledgerbridge.core.components import Connector
from ledgerbridge.core.errors import ConfigError
from ledgerbridge.core.plugins import get_plugin_manager
from ledgerbridge.core.systems import System


@dataclass
class Components:
    connectors: dict[str, Connector] = field(default_factory=dict)
    sources: dict[str, Callable[..., Any]] = field(default_factory=dict)
    mappers: dict[str, Callable[..., Any]] = field(default_factory=dict)
    targets: dict[str, Callable[..., Any]] = field(default_factory=dict)
    systems: dict[str, System] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def connector(self, name: str) -> Connector:
        try:
            return self.connectors[name]
        except KeyError:
            known = ", ".join(sorted(self.connectors)) or "none installed"
            raise ConfigError(f"Unknown connector {name!r} (installed: {known}).") from None

    def target(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Build a target another plugin registered (e.g. "visma_net")."""
        return _build(self.targets, "target", name, args, kwargs)

    def source(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return _build(self.sources, "source", name, args, kwargs)

    def mapper(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return _build(self.mappers, "mapper", name, args, kwargs)


def _build(table: dict[str, Callable[..., Any]], kind: str, name: str, a: Any, kw: Any) -> Any:
    if name not in table:
        raise ConfigError(f"No {kind} named {name!r} is registered by an installed plugin.")
    return table[name](*a, **kw)


def collect(pm: pluggy.PluginManager | None = None) -> Components:
    pm = pm or get_plugin_manager()
    comps = Components()
    plugins = pm.list_name_plugin()
    for plugin_name, plugin in plugins:
        others = [p for _, p in plugins if p is not plugin]
        _collect_from(pm, plugin_name, plugin, others, comps)
    return comps


def _collect_from(
    pm: pluggy.PluginManager, plugin_name: str, plugin: Any, others: list[Any], comps: Components
) -> None:
    def add_connector(connector: Connector) -> None:
        if connector.name in comps.connectors:
            comps.problems.append(
                f"plugin {plugin_name}: connector {connector.name!r} is already registered by "
                f"{comps.owners[connector.name]}; ignored"
            )
            return
        comps.connectors[connector.name] = connector
        comps.owners[connector.name] = plugin_name

    def named(table: dict[str, Callable[..., Any]]) -> Callable[[str, Callable[..., Any]], None]:
        def register(name: str, factory: Callable[..., Any]) -> None:
            if name in table:
                comps.problems.append(
                    f"plugin {plugin_name}: component {name!r} is already registered; ignored"
                )
                return
            table[name] = factory

        return register

    def add_system(system: System) -> None:
        if system.name in comps.systems:
            comps.problems.append(
                f"plugin {plugin_name}: system {system.name!r} is already registered; ignored"
            )
            return
        comps.systems[system.name] = system

    calls: dict[str, Callable[..., None]] = {
        "register_connectors": add_connector,
        "register_systems": add_system,
        "register_sources": named(comps.sources),
        "register_mappers": named(comps.mappers),
        "register_targets": named(comps.targets),
    }
    for hook_name, register in calls.items():
        if not _is_impl(pm, hook_name, plugin):
            continue
        try:
            pm.subset_hook_caller(hook_name, remove_plugins=others)(register=register)
        except Exception as exc:  # a broken plugin must not hide the others
            comps.problems.append(f"plugin {plugin_name}: {hook_name} failed: {exc}")


def _is_impl(pm: pluggy.PluginManager, hook_name: str, plugin: Any) -> bool:
    caller = getattr(pm.hook, hook_name)
    return any(i.plugin is plugin for i in caller.get_hookimpls())
