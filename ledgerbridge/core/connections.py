"""Connections: a tenant's credentials and endpoints for one system, configured
once and used by every connector of that tenant that talks to it.

They are kept in the tenant's file (`tenants/<tenant>.json`, under
"connections"), secrets by reference as in connector configs:

    "connections": {"visma": {"system": "visma_net", "whenSpent": "wait",
                              "config": {"clientId": "...",
                                         "clientSecret": {"secret": "vn_cs"}, ...}}}

A connector's config names the connection it uses: `"connection": "visma"`,
or `"connections": {"visma_net": "visma", "nmbrs": "payroll"}` when it talks to
several systems. A config written before connections existed carries the
system's settings itself (visma_net's `clientId`, `clientSecret`, ...): that
keeps working, read as the tenant's unnamed connection to the system.

At run time `ctx.connection(system)` gives a `Connection`: the validated
settings, secrets resolved through the run's `SecretAccessor` (so they are
masked everywhere), and the connection's rate budget, kept in the state
database so that it holds across runs, connectors and processes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.config import validate_config
from ledgerbridge.core.errors import ConfigError
from ledgerbridge.core.http.budget import WHEN_SPENT, WhenSpent
from ledgerbridge.core.http.client import BudgetSelector
from ledgerbridge.core.http.ratelimit import RateBudget, RateBudgets, endpoint_under
from ledgerbridge.core.redact import Redactor
from ledgerbridge.core.secrets import SecretStore
from ledgerbridge.core.state.budgets import Budgets, BudgetStore, open_budgets
from ledgerbridge.core.state.location import StateLocation
from ledgerbridge.core.systems import System
from ledgerbridge.core.tokenstore import SecretTokenStore, connector_secret
from ledgerbridge.core.workspace import TENANT_NAME, Tenant, Workspace

if TYPE_CHECKING:
    from ledgerbridge.core.context import RunContext, SecretAccessor

CONNECTION_NAME = TENANT_NAME
NAME_RULE = (
    "lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, "
    "at most 63 characters"
)


@dataclass
class StoredConnection:
    """A connection as the tenant's file keeps it."""

    name: str
    system: str
    config: dict[str, Any]
    when_spent: WhenSpent | None = None
    description: str = ""

    @classmethod
    def from_json(cls, name: str, data: Mapping[str, Any]) -> StoredConnection:
        when = data.get("whenSpent")
        return cls(
            name,
            str(data.get("system", "")),
            dict(data.get("config", {})),
            when if when in WHEN_SPENT else None,
            str(data.get("description", "")),
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"system": self.system, "config": self.config}
        if self.when_spent:
            data["whenSpent"] = self.when_spent
        if self.description:
            data["description"] = self.description
        return data


def stored_connections(tenant: Tenant) -> dict[str, StoredConnection]:
    return {n: StoredConnection.from_json(n, d) for n, d in sorted(tenant.connections.items())}


def named_in(config: Mapping[str, Any], system: str) -> str | None:
    """The connection a connector's config names for `system`, if any."""
    per_system = config.get("connections")
    if isinstance(per_system, Mapping) and isinstance(per_system.get(system), str):
        return str(per_system[system])
    one = config.get("connection")
    return one if isinstance(one, str) else None


def names_in(config: Mapping[str, Any]) -> set[str]:
    """Every connection a connector's config names."""
    found = {v for v in (config.get("connections") or {}).values() if isinstance(v, str)}
    if isinstance(config.get("connection"), str):
        found.add(config["connection"])
    return found


def users_of(tenant: Tenant, name: str) -> list[str]:
    """The tenant's connectors whose config names this connection."""
    return sorted(
        c for c, entry in tenant.connectors.items() if name in names_in(entry.get("config", {}))
    )


def reference_problems(
    systems: Sequence[str], config: Mapping[str, Any], tenant: Tenant
) -> list[str]:
    """The connections a connector config names must exist and be of the right system."""
    known = stored_connections(tenant)
    problems = []
    for system in systems:
        name = named_in(config, system)
        if name is None:
            continue
        per_system = config.get("connections")
        in_map = isinstance(per_system, Mapping) and isinstance(per_system.get(system), str)
        key = f"connections.{system}" if in_map else "connection"
        stored = known.get(name)
        if stored is None:
            listed = ", ".join(known) or "none yet"
            problems.append(
                f"key '{key}': connection {name!r} does not exist for tenant {tenant.name} "
                f"(connections: {listed}); fix: ledgerbridge connection add {tenant.name} "
                f"{name} --system {system} --config FILE"
            )
        elif stored.system != system:
            problems.append(
                f"key '{key}': connection {name!r} is a {stored.system} connection; rule: it "
                f"must be a {system} connection; fix: name a {system} connection here"
            )
    return problems


def take_inline_settings(
    tenant: Tenant, system: System, name: str, connectors: Sequence[str]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Move a system's settings out of connector configs (written before
    connections) into one connection: the settings, and each connector's config
    naming the connection instead. Refused unless every connector carries the
    same settings, so no connector silently changes company or login."""
    found: dict[str, dict[str, Any]] = {}
    for connector in connectors:
        entry = tenant.connectors.get(connector)
        if entry is None:
            raise ConfigError(f"Connector {connector!r} is not enabled for tenant {tenant.name}.")
        config = entry.get("config", {})
        settings = {k: v for k, v in config.items() if k in system.setting_keys()}
        if not settings:
            raise ConfigError(
                f"The {connector} config of {tenant.name} carries no {system.title} settings "
                f"({', '.join(sorted(system.setting_keys()))}) to move."
            )
        found[connector] = settings
    first, *others = found
    differ = [c for c in others if found[c] != found[first]]
    if differ:
        raise ConfigError(
            f"The {system.title} settings of {', '.join(differ)} differ from those of {first}: "
            "move them into separate connections, one --from-connector at a time."
        )
    moved = {
        c: {
            **{
                k: v for k, v in tenant.connectors[c].get("config", {}).items() if k not in found[c]
            },
            "connection": name,
        }
        for c in found
    }
    return found[first], moved


@dataclass
class Connection:
    """A tenant's connection to one system, ready to use (`ctx.connection(system)`).

    name is None for settings a connector config carries itself (configs from
    before connections). `get` reads a setting, `secret` resolves a secret
    setting (masked in all output from then on), `rate_budget()` is what to
    pass as `ApiClient(rate_budget=...)`, `token_store()` where its OAuth2
    tokens are kept (authorization-code systems).
    """

    tenant: str
    name: str | None
    system: System
    settings: Mapping[str, Any]
    secrets: SecretAccessor
    clock: Clock
    transport: httpx.BaseTransport | None
    redactor: Redactor
    _budget: Callable[[Connection, str | None], RateBudget] = field(repr=False)
    secret_store: SecretStore | None = field(default=None, repr=False)
    used_by: tuple[str, ...] = ()
    """The tenant's connectors whose config names this connection (for inline
    settings: the connector carrying them)."""

    @property
    def key(self) -> str:
        """What the rate budget is kept under: "acme/visma" (or "acme/visma_net" inline)."""
        return f"{self.tenant}/{self.name or self.system.name}"

    @property
    def label(self) -> str:
        return f"{self.system.title} ({self.key})"

    def get(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)

    def secret(self, key: str) -> str:
        if key not in self.settings:
            raise ConfigError(f"{self.label}: the setting {key!r} is missing.")
        return self.secrets.resolve(self.settings[key])

    def token_store(self, legacy_connector: str | None = None) -> SecretTokenStore:
        """Where this connection's OAuth2 tokens live between runs: one set per
        connection in the tenant's secret store, shared by every connector
        (and `ledgerbridge connection test`) using the connection.

        legacy_connector: a connector that kept its tokens under its own name
        before tokens were per connection (`<connector>.oauth_tokens`); its
        set is read while this connection has none, if that connector uses
        this connection, and moved here on the next save. Settings a
        connector carries itself keep their tokens in that place."""
        if self.secret_store is None:
            raise ConfigError(f"{self.label}: no secret store to keep its tokens in.")
        if self.name is None:
            owner = self.used_by[0] if self.used_by else self.system.name
            return SecretTokenStore(self.secret_store, self.tenant, owner)
        legacy = (
            connector_secret(legacy_connector)
            if legacy_connector is not None and legacy_connector in self.used_by
            else None
        )
        return SecretTokenStore.for_connection(self.secret_store, self.tenant, self.name, legacy)

    def rate_budget(self, base_url: str | None = None) -> RateBudget | BudgetSelector | None:
        """The connection's shared budget (a selector when the vendor counts
        per endpoint), or None when the system declares no rate limit.

        Per-endpoint budgets are keyed by the endpoint below `base_url`, the
        base the client is built on (default: the connection's `apiBaseUrl`
        setting), so `/v2/customers` at the vendor and
        `/eaccounting/v2/customers` in the sandbox are both `customers`."""
        limit = self.system.rate_limit
        if limit is None:
            return None
        if limit.per_endpoint:
            endpoint_of = endpoint_under(base_url or str(self.get("apiBaseUrl") or ""))
            return lambda path: self._budget(self, endpoint_of(path))
        return self._budget(self, None)


class ConnectionResolver:
    """Finds, validates and builds a tenant's connections, once per run.

    connector/config: the connector being run and its config, for
    `for_connector`; when_spent: the run's choice, over the connection's own.
    """

    def __init__(
        self,
        *,
        tenant: Tenant,
        systems: Mapping[str, System],
        secrets: SecretAccessor,
        clock: Clock,
        redactor: Redactor,
        transport: httpx.BaseTransport | None = None,
        store_path: Path | None = None,
        secret_store: SecretStore | None = None,
        connector: str | None = None,
        store_location: StateLocation | None = None,
        config: Mapping[str, Any] | None = None,
        when_spent: WhenSpent | None = None,
    ) -> None:
        self.tenant = tenant
        self.systems = systems
        self.secrets = secrets
        self.clock = clock
        self.redactor = redactor
        self.transport = transport
        self.connector = connector
        self.config = config or {}
        self.when_spent = when_spent
        self._store_path = store_path
        self._store_location = store_location
        self.secret_store = secret_store
        self._store: Budgets | None = None
        self._budgets = RateBudgets()
        self._resolved: dict[tuple[str, str | None], Connection] = {}
        self._whens: dict[str, WhenSpent | None] = {}

    @classmethod
    def for_run(cls, ctx: RunContext) -> ConnectionResolver:
        from ledgerbridge.core.registry import collect

        ws = Workspace(ctx.workspace, ctx.state_url)
        return cls(
            tenant=ws.tenant(ctx.tenant),
            systems=collect().systems,
            secrets=ctx.secrets,
            clock=ctx.clock,
            redactor=ctx.redactor,
            transport=ctx.transport,
            store_path=ws.db_path,
            store_location=ws.state,
            secret_store=ws.secrets,
            connector=ctx.connector,
            config=ctx.config,
            when_spent=ctx.options.when_budget_spent,
        )

    # -- finding ----------------------------------------------------------------

    def system(self, name: str) -> System:
        try:
            return self.systems[name]
        except KeyError:
            known = ", ".join(sorted(self.systems)) or "none installed"
            raise ConfigError(
                f"No installed plugin provides the system {name!r} (systems: {known})."
            ) from None

    def for_connector(self, system_name: str) -> Connection:
        """The connection the connector's config names for the system, or the
        settings the config carries itself."""
        system = self.system(system_name)
        name = named_in(self.config, system_name)
        if name is not None:
            return self.named(name, expect=system_name)
        inline = {k: v for k, v in self.config.items() if k in system.setting_keys()}
        if not inline:
            raise ConfigError(
                f"{self.connector or 'The connector'} needs a connection to {system.title} "
                f"for tenant {self.tenant.name}. Add one with: ledgerbridge connection add "
                f"{self.tenant.name} NAME --system {system.name} --config FILE, then name it "
                f'in the connector\'s config: "connection": "NAME"'
            )
        key = (system_name, None)
        if key not in self._resolved:
            problems = validate_config(system.settings_schema, inline, self.secrets.names())
            if problems:
                raise ConfigError(
                    f"The {system.title} settings in the {self.connector} config of "
                    f"{self.tenant.name} are not valid:",
                    problems,
                )
            self._resolved[key] = self._connection(None, system, inline)
        return self._resolved[key]

    def named(self, name: str, expect: str | None = None) -> Connection:
        """A connection by name, validated against its system's schema."""
        known = stored_connections(self.tenant)
        stored = known.get(name)
        if stored is None:
            listed = ", ".join(known) or "none yet"
            raise ConfigError(
                f"Tenant {self.tenant.name} has no connection {name!r} (connections: "
                f"{listed}). Add it with: ledgerbridge connection add {self.tenant.name} "
                f"{name} --system {expect or 'SYSTEM'} --config FILE"
            )
        if expect is not None and stored.system != expect:
            raise ConfigError(
                f"Connection {name!r} of {self.tenant.name} is a {stored.system} connection; "
                f"{self.connector or 'this connector'} needs a {expect} connection there."
            )
        key = (stored.system, name)
        if key not in self._resolved:
            system = self.system(stored.system)
            problems = validate_config(system.settings_schema, stored.config, self.secrets.names())
            if problems:
                raise ConfigError(
                    f"The connection {name} of {self.tenant.name} is not valid (fix: ledgerbridge "
                    f"connection add {self.tenant.name} {name} --system {system.name} "
                    "--config FILE --replace):",
                    problems,
                )
            self._whens[name] = stored.when_spent
            self._resolved[key] = self._connection(name, system, stored.config)
        return self._resolved[key]

    # -- budgets -----------------------------------------------------------------

    def _connection(
        self, name: str | None, system: System, settings: Mapping[str, Any]
    ) -> Connection:
        return Connection(
            tenant=self.tenant.name,
            name=name,
            system=system,
            settings=dict(settings),
            secrets=self.secrets,
            clock=self.clock,
            transport=self.transport,
            redactor=self.redactor,
            _budget=self._budget_of,
            secret_store=self.secret_store,
            used_by=tuple(users_of(self.tenant, name))
            if name is not None
            else tuple(c for c in (self.connector,) if c),
        )

    def _budget_of(self, conn: Connection, endpoint: str | None) -> RateBudget:
        limit = conn.system.rate_limit
        assert limit is not None
        key = conn.key if endpoint is None else f"{conn.key}#{endpoint}"
        when = self.when_spent or self._whens.get(conn.name or "") or "wait"

        def build() -> RateBudget:
            return limit.build(self.clock, self.store, key, conn.label, when)

        return self._budgets.get(self.tenant.name, conn.key, build, endpoint)

    @property
    def store(self) -> Budgets:
        """The state database's budget tables, opened on first use."""
        if self._store is None:
            if self._store_location is not None:
                self._store = open_budgets(self._store_location)
            else:
                self._store = BudgetStore(self._store_path)  # closes itself when dropped
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
