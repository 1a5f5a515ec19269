"""The run context: everything a connector's flows may use during one run.

Connectors get their config, secrets, HTTP transport, clock and a read-only
view of bindings from here, never from globals, so tests and the sandbox can
swap any of them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ledgerbridge.core.clock import Clock, SystemClock
from ledgerbridge.core.errors import ConfigError
from ledgerbridge.core.http.budget import WhenSpent
from ledgerbridge.core.redact import Redactor

if TYPE_CHECKING:
    from ledgerbridge.core.connections import Connection, ConnectionResolver
    from ledgerbridge.core.registry import Components
    from ledgerbridge.core.state.bindings import BindingView
    from ledgerbridge.core.state.links import LinkView


class SecretAccessor:
    """Resolves secret references in a tenant's config and registers each
    resolved value with the redactor before handing it out."""

    def __init__(self, tenant: str, values: Mapping[str, str], redactor: Redactor) -> None:
        self._tenant = tenant
        self._values = dict(values)
        self._redactor = redactor
        for v in self._values.values():
            redactor.add(v)

    def get(self, name: str) -> str:
        try:
            return self._values[name]
        except KeyError:
            raise ConfigError(
                f"Secret {name!r} is not set for tenant {self._tenant!r}. "
                f"Set it with: ledgerbridge secret set {self._tenant} {name}"
            ) from None

    def names(self) -> list[str]:
        """The names of the tenant's stored secrets (never their values)."""
        return sorted(self._values)

    def resolve(self, ref: Any) -> str:
        """Value of a config entry `{"secret": NAME}`."""
        if isinstance(ref, Mapping) and isinstance(ref.get("secret"), str):
            return self.get(ref["secret"])
        raise ConfigError('Expected a secret reference {"secret": NAME} in the config.')

    def __repr__(self) -> str:
        return f"SecretAccessor(tenant={self._tenant!r}, names={sorted(self._values)})"


@dataclass
class RunOptions:
    dry_run: bool = False
    full: bool = False
    params: Mapping[str, Any] = field(default_factory=dict)
    workers: int | None = None  # overrides every flow's concurrency
    when_budget_spent: WhenSpent | None = None  # overrides each connection's whenSpent
    # outcomes per state transaction (engine/groups.py); None: the default,
    # 1: each record's intent and outcome alone (the engine before groups,
    # kept for benchmarks)
    commit_group: int | None = None
    # the run's parse cache (core/parsecache.py): a file that several flows read
    # is parsed once; False: each flow parses it (as before the cache, kept for
    # benchmarks)
    parse_cache: bool = True


@dataclass
class RunContext:
    """Handed to `Connector.build_flows` and kept by the flows it builds.

    transport: an httpx transport to use instead of the network (the sandbox,
               tests); None means the real network.
    state:     shared per-run objects plugins may cache in (e.g. one API client
               or one rate budget shared by every flow of the run).
    """

    tenant: str
    connector: str
    config: Mapping[str, Any]
    secrets: SecretAccessor
    options: RunOptions
    workspace: Path
    bindings: BindingView
    redactor: Redactor
    clock: Clock = field(default_factory=SystemClock)
    transport: httpx.BaseTransport | None = None
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("ledgerbridge.run"))
    state: dict[str, Any] = field(default_factory=dict)
    components: Components | None = None
    """What every installed plugin registered (sources, mappers, targets):
    `context.target("visma_net.journal_transactions")` builds another
    plugin's target for this run."""
    connections: ConnectionResolver | None = None
    state_url: str | None = None
    """The workspace's --state, when given (else LEDGERBRIDGE_STATE or state.db)."""

    @property
    def params(self) -> Mapping[str, Any]:
        return self.options.params

    def target(self, name: str, *args: Any) -> Any:
        """Another plugin's registered target, built for this run."""
        return self._components().target(name, self, *args)

    def source(self, name: str, *args: Any) -> Any:
        """Another plugin's registered source (its factory's arguments)."""
        return self._components().source(name, *args)

    def mapper(self, name: str, *args: Any) -> Any:
        """Another plugin's registered mapper (its factory's arguments)."""
        return self._components().mapper(name, *args)

    def _components(self) -> Components:
        if self.components is None:
            from ledgerbridge.core.registry import collect

            self.components = collect()
        return self.components

    @property
    def links(self) -> LinkView:
        """The whole id map of this tenant and connector, from any system's
        side to any other's."""
        return self.bindings.links

    def connection(self, system: str) -> Connection:
        """The tenant's connection to `system` that this connector's config
        names (`"connection": NAME`), or the settings the config carries
        itself; validated, secrets resolved through `secrets`, with the rate
        budget every connector of the tenant shares. Raises ConfigError with
        the fix when there is none."""
        return self._resolver().for_connector(system)

    def named_connection(self, name: str, system: str) -> Connection:
        """One of the tenant's connections by name, which must be a `system`
        connection: for a connector whose config names a connection per part
        (a POS connector's departments, each with its own Visma.net company)."""
        return self._resolver().named(name, expect=system)

    def _resolver(self) -> ConnectionResolver:
        if self.connections is None:
            from ledgerbridge.core.connections import ConnectionResolver

            self.connections = ConnectionResolver.for_run(self)
        return self.connections
