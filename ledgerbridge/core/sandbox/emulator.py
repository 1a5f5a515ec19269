"""How plugins hand their vendor emulators to the sandbox.

    @hookimpl
    def register_emulators(register):
        register(Emulator("visma_net", "/visma_net", build_app, "Visma.net ERP API"))

`build_app(options)` returns any WSGI application; it receives the sandbox's
seed, clock, fault plan and redactor so that its tokens, ids and timestamps
are reproducible and its secrets stay out of the journal.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from wsgiref.types import WSGIApplication

import pluggy

from ledgerbridge.core.clock import Clock, SystemClock
from ledgerbridge.core.redact import Redactor
from ledgerbridge.core.sandbox.faults import FaultPlan

WSGIApp = WSGIApplication
RESERVED_PREFIX = "/_sandbox"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PREFIX = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")

log = logging.getLogger("ledgerbridge.sandbox")


@dataclass
class EmulatorOptions:
    """What the sandbox gives every emulator factory."""

    seed: int = 0
    clock: Clock = field(default_factory=SystemClock)
    faults: FaultPlan = field(default_factory=FaultPlan)
    redactor: Redactor = field(default_factory=Redactor)
    settings: dict[str, Any] = field(default_factory=dict)  # emulator-specific knobs


@dataclass
class Emulator:
    """A named vendor emulator mounted at `prefix` (e.g. `/visma_net`).

    Two optional hooks make it usable by hand (`ledgerbridge sandbox serve`):

    seed:       checks its section of a `--seed-file` and returns the settings
                it means (raise `SeedError` or ValueError naming each problem);
                `seeds.schema_seed(schema)` does it with a JSON Schema. None:
                it takes no seed data.
    connection: for the base URL it is served at and its settings, what a
                connector config needs to reach it, one mapping per client
                it accepts (URLs, client id and secret, tenant id), printed
                when the sandbox starts.
    """

    name: str
    prefix: str
    factory: Callable[[EmulatorOptions], WSGIApp]
    description: str = ""
    seed: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    connection: Callable[[str, Mapping[str, Any]], list[dict[str, str]]] | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"emulator name {self.name!r}: use lower case, digits and _")
        if not _PREFIX.match(self.prefix):
            raise ValueError(
                f"emulator {self.name!r}: prefix {self.prefix!r} must look like /name "
                "(leading slash, no trailing slash)"
            )
        if self.prefix == RESERVED_PREFIX or self.prefix.startswith(RESERVED_PREFIX + "/"):
            raise ValueError(f"emulator {self.name!r}: {RESERVED_PREFIX} is reserved")


ErrorReport = Callable[[str, BaseException], None]


def collect_emulators(
    pm: pluggy.PluginManager, *, on_error: ErrorReport | None = None
) -> list[Emulator]:
    """Every emulator the installed plugins register, in plugin order.

    Each plugin's hook runs on its own: one that raises, registers something
    that is not an Emulator, or reuses a name or prefix is reported through
    `on_error(plugin_name, exception)` (default: logged) and left out, so one
    broken plugin never takes the whole sandbox down.
    """
    report = on_error or _log_error
    found: list[Emulator] = []
    for impl in pm.hook.register_emulators.get_hookimpls():  # registration order
        if getattr(impl, "hookwrapper", False) or getattr(impl, "wrapper", False):
            continue
        pending: list[Any] = []
        kwargs = {"register": pending.append} if "register" in impl.argnames else {}
        others = [p for p in pm.get_plugins() if p is not impl.plugin]
        try:
            # through pluggy, so LEDGERBRIDGE_TRACE_PLUGINS shows the call
            pm.subset_hook_caller("register_emulators", remove_plugins=others)(**kwargs)
        except Exception as exc:  # a plugin's bug is reported, not fatal
            report(impl.plugin_name, exc)
            continue
        for item in pending:
            try:
                _check_new(item, found)
            except (TypeError, ValueError) as exc:
                report(impl.plugin_name, exc)
                continue
            found.append(item)
    return found


def check_unique(emulators: Iterable[Emulator]) -> None:
    """Raise ValueError when two emulators share a name or a prefix."""
    seen: list[Emulator] = []
    for emulator in emulators:
        _check_new(emulator, seen)
        seen.append(emulator)


def _check_new(item: object, seen: list[Emulator]) -> None:
    if not isinstance(item, Emulator):
        raise TypeError(f"register() got {type(item).__name__}, not an Emulator")
    for other in seen:
        if other.name == item.name:
            raise ValueError(f"emulator name {item.name!r} is already registered")
        if other.prefix.lower() == item.prefix.lower():
            raise ValueError(f"prefix {item.prefix!r} is already used by {other.name!r}")


def _log_error(plugin: str, exc: BaseException) -> None:
    log.error("plugin %s: register_emulators failed: %s: %s", plugin, type(exc).__name__, exc)
