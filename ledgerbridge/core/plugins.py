"""Finding and loading plugins.

Entry points in the `ledgerbridge` group are loaded once, lazily, each on its
own: a plugin that fails to import, or whose hook implementation does not fit
the hookspec, is recorded as failed with the reason and left out, so one bad
plugin never breaks the CLI or the others.

LEDGERBRIDGE_LOAD_PLUGINS=a,b   load only these entry points (empty: none)
LEDGERBRIDGE_TRACE_PLUGINS=1    log every hook call and result to stderr
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from ledgerbridge.core import hookspecs

ENTRY_POINT_GROUP = "ledgerbridge"


@dataclass(frozen=True)
class PluginInfo:
    """What `ledgerbridge plugins` shows for one plugin."""

    name: str
    module: str
    distribution: str | None
    version: str | None
    status: str  # "loaded" | "failed" | "disabled"
    error: str | None = None
    hooks: tuple[str, ...] = ()


class PluginRegistry:
    """The plugin manager plus what happened while loading it."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: list[PluginInfo] = []

    def load_entry_points(self, allow: set[str] | None) -> None:
        for ep in sorted(_entry_points(), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist else None
            version = ep.dist.version if ep.dist else None
            if allow is not None and ep.name not in allow:
                self.infos.append(PluginInfo(ep.name, ep.value, dist, version, "disabled"))
                continue
            self.infos.append(self._load_one(ep, dist, version))

    def _load_one(
        self, ep: metadata.EntryPoint, dist: str | None, version: str | None
    ) -> PluginInfo:
        try:
            module = ep.load()
        except Exception as exc:  # any import-time failure is the plugin's, not ours
            reason = f"import failed: {type(exc).__name__}: {exc}"
            return PluginInfo(ep.name, ep.value, dist, version, "failed", reason)
        return self.add(module, ep.name, dist=dist, version=version)

    def add(
        self,
        plugin: ModuleType | object,
        name: str,
        *,
        dist: str | None = None,
        version: str | None = None,
    ) -> PluginInfo:
        """Register a plugin object; a hook that does not fit its spec fails it."""
        module = getattr(plugin, "__name__", type(plugin).__name__)
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(name=name)  # pluggy keeps the hooks it accepted before the bad one
            return PluginInfo(name, module, dist, version, "failed", _one_line(exc))
        except ValueError as exc:  # name or object already registered
            return PluginInfo(name, module, dist, version, "failed", _one_line(exc))
        callers = self.pm.get_hookcallers(plugin) or []
        unknown = sorted(h.name for h in callers if not h.has_spec())
        if unknown:
            self.pm.unregister(name=name)
            reason = f"@hookimpl {', '.join(unknown)} is not a ledgerbridge hook (misspelt?)"
            return PluginInfo(name, module, dist, version, "failed", reason)
        hooks = tuple(sorted(h.name for h in callers))
        return PluginInfo(name, module, dist, version, "loaded", None, hooks)

    def failed(self) -> list[PluginInfo]:
        return [i for i in self.infos if i.status == "failed"]


def _entry_points() -> list[metadata.EntryPoint]:
    return list(metadata.entry_points(group=ENTRY_POINT_GROUP))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _allow_list() -> set[str] | None:
    raw = os.environ.get("LEDGERBRIDGE_LOAD_PLUGINS")
    if raw is None:
        return None
    return {p.strip() for p in raw.split(",") if p.strip()}


_registry: PluginRegistry | None = None
_lock = threading.Lock()


def get_registry() -> PluginRegistry:
    """The process-wide registry, built on first use."""
    global _registry
    with _lock:
        if _registry is None:
            registry = PluginRegistry()
            registry.load_entry_points(_allow_list())
            if os.environ.get("LEDGERBRIDGE_TRACE_PLUGINS"):
                _enable_tracing(registry.pm)
            _registry = registry
        return _registry


def get_plugin_manager() -> pluggy.PluginManager:
    """The pluggy manager with every loaded plugin registered."""
    return get_registry().pm


def reset_registry() -> None:
    """Forget loaded plugins (tests; after installing a plugin in-process)."""
    global _registry
    with _lock:
        _registry = None


def _enable_tracing(pm: pluggy.PluginManager) -> None:
    def before(hook_name: str, impls: Any, kwargs: Any) -> None:
        print(
            f"[ledgerbridge trace] {hook_name} -> {[i.plugin_name for i in impls]}", file=sys.stderr
        )

    def after(outcome: Any, hook_name: str, impls: Any, kwargs: Any) -> None:
        if outcome.exception is not None:
            # the type only: the message may hold a secret, and no run's
            # redactor is at hand here (the run records it redacted)
            name = type(outcome.exception).__name__
            print(f"[ledgerbridge trace] {hook_name} raised {name}", file=sys.stderr)

    pm.add_hookcall_monitoring(before, after)
