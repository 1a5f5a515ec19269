"""`ledgerbridge connection`: a tenant's connections to the systems its
connectors talk to, configured once and shared by those connectors."""

from __future__ import annotations

from typing import Any, cast

import click

from ledgerbridge.core.cli.app import App, pass_app
from ledgerbridge.core.cli.output import (
    EXIT_INCOMPLETE,
    fail,
    handle_errors,
    json_option,
    print_json,
    table,
)
from ledgerbridge.core.cli.tenants import _load_config_file, _shown
from ledgerbridge.core.clock import SystemClock, utc_iso
from ledgerbridge.core.config import connector_config_problems, secret_properties, validate_config
from ledgerbridge.core.connections import (
    CONNECTION_NAME,
    NAME_RULE,
    ConnectionResolver,
    StoredConnection,
    stored_connections,
    take_inline_settings,
    users_of,
)
from ledgerbridge.core.context import SecretAccessor
from ledgerbridge.core.errors import ConfigError, LedgerbridgeError
from ledgerbridge.core.http.budget import WHEN_SPENT, WhenSpent, budget_status
from ledgerbridge.core.redact import MASK, Redactor
from ledgerbridge.core.state.budgets import open_budgets
from ledgerbridge.core.systems import System
from ledgerbridge.core.tokenstore import connection_secret
from ledgerbridge.core.workspace import Tenant, Workspace


@click.group("connection")
def connection() -> None:
    """Add, list, show, test and remove a tenant's connections (credentials and
    endpoints for one system, shared by every connector that talks to it)."""


@connection.command("add")
@click.argument("tenant_name", metavar="TENANT")
@click.argument("name")
@click.option(
    "--system", "system_name", required=True, help="The system (see: connection systems)."
)
@click.option("--config", "config_file", help="JSON settings file ('-': stdin).")
@click.option(
    "--from-connector",
    "from_connectors",
    multiple=True,
    metavar="CONNECTOR",
    help="Move the settings out of this connector's config (one written before "
    "connections) and make it name the connection instead; repeatable.",
)
@click.option(
    "--when-spent",
    type=click.Choice(WHEN_SPENT),
    help="When the rate budget is spent: wait for the vendor's window (the default) "
    "or stop the run before the next document.",
)
@click.option("--description", default="", help="A note for operators.")
@click.option("--replace", is_flag=True, help="Replace an existing connection of that name.")
@pass_app
@handle_errors
def connection_add(
    app: App,
    tenant_name: str,
    name: str,
    system_name: str,
    config_file: str | None,
    from_connectors: tuple[str, ...],
    when_spent: str | None,
    description: str,
    replace: bool,
) -> None:
    """Add a connection with validated settings (secrets as {"secret": NAME}),
    from a file or moved out of connector configs."""
    ws = app.workspace
    tenant = ws.tenant(tenant_name)
    if not CONNECTION_NAME.match(name):
        raise ConfigError(f"Connection name {name!r} is not allowed; rule: {NAME_RULE}")
    if name in tenant.connections and not replace:
        raise ConfigError(
            f"Tenant {tenant_name} already has a connection {name!r}; "
            "replace it with --replace, or choose another name."
        )
    system = _system(app, system_name)
    if (config_file is None) == (not from_connectors):
        raise ConfigError("Give the settings with either --config FILE or --from-connector.")
    moved: dict[str, dict[str, Any]] = {}
    if config_file is not None:
        config = _load_config_file(config_file)
    else:
        config, moved = take_inline_settings(tenant, system, name, from_connectors)
    problems = validate_config(system.settings_schema, config)
    for connector_name, connector_config in moved.items():
        problems += [
            f"{connector_name}: {p}"
            for p in connector_config_problems(
                app.components.connector(connector_name), connector_config
            )
        ]
    if problems:
        raise ConfigError(
            f"Not saved: the settings for a {system_name} connection are not valid:", problems
        )
    when = cast(WhenSpent | None, when_spent)
    stored = StoredConnection(name, system.name, config, when, description)
    tenant.connections[name] = stored.to_json()
    for connector_name, connector_config in moved.items():
        tenant.connectors[connector_name]["config"] = connector_config
    ws.save_tenant(tenant)
    for connector_name in moved:
        click.echo(f"{connector_name} of {tenant_name} now names the connection {name}.")
    verb = "Replaced" if replace else "Added"
    click.echo(f"{verb} connection {name} ({system.title}) for {tenant_name}.")
    known = ws.secrets.names(tenant_name)
    for key in secret_properties(system.settings_schema):
        ref = config.get(key)
        if isinstance(ref, dict) and ref.get("secret") not in known:
            click.secho(
                f"Secret {ref['secret']} is not set yet: ledgerbridge secret set {tenant_name} "
                f"{ref['secret']}",
                fg="yellow",
            )
    click.echo(f"Test it: ledgerbridge connection test {tenant_name} {name}.")
    if not moved:
        click.echo(f'Use it: put "connection": "{name}" in a connector\'s config.')


@connection.command("list")
@click.argument("tenant_name", metavar="TENANT")
@json_option
@pass_app
@handle_errors
def connection_list(app: App, tenant_name: str, as_json: bool) -> None:
    """List a tenant's connections and the connectors using each."""
    tenant = app.workspace.tenant(tenant_name)
    items: list[dict[str, Any]] = [
        {
            "name": c.name,
            "system": c.system,
            "used_by": users_of(tenant, c.name),
            "when_spent": c.when_spent or "wait",
            "description": c.description,
        }
        for c in stored_connections(tenant).values()
    ]
    if as_json:
        print_json({"connections": items})
        return
    if not items:
        click.echo(
            f"No connections for {tenant_name}. Add one with: ledgerbridge connection add "
            f"{tenant_name} NAME --system SYSTEM --config FILE"
        )
        return
    table(
        [[i["name"], i["system"], ", ".join(i["used_by"]) or "-", i["when_spent"]] for i in items],
        ["connection", "system", "used by", "when spent"],
    )


@connection.command("show")
@click.argument("tenant_name", metavar="TENANT")
@click.argument("name")
@json_option
@pass_app
@handle_errors
def connection_show(app: App, tenant_name: str, name: str, as_json: bool) -> None:
    """Show a connection: settings (secrets as ••••), users and its rate budget."""
    ws = app.workspace
    tenant = ws.tenant(tenant_name)
    stored = _stored(tenant, name)
    system = app.components.systems.get(stored.system)
    data: dict[str, Any] = {
        "name": name,
        "system": stored.system,
        "title": system.title if system else None,
        "description": stored.description,
        "when_spent": stored.when_spent or "wait",
        "config": _shown(stored.config),
        "used_by": users_of(tenant, name),
        "rate_limit": system.rate_limit.description if system and system.rate_limit else None,
        "budget": _budgets(ws, f"{tenant_name}/{name}"),
    }
    if as_json:
        print_json(data)
        return
    click.echo(f"{name}: {data['title'] or stored.system + ' (no installed plugin provides it)'}")
    if stored.description:
        click.echo(f"  {stored.description}")
    for key, value in data["config"].items():
        click.echo(f"  {key}: {value}")
    click.echo(f"  used by: {', '.join(data['used_by']) or 'no connector yet'}")
    if data["rate_limit"]:
        click.echo(f"  rate limit: {data['rate_limit']}")
    click.echo(f"  when the budget is spent: {data['when_spent']}")
    for budget in data["budget"]:
        click.echo(f"  budget {budget['key']}: {_describe_budget(budget)}")


@connection.command("test")
@click.argument("tenant_name", metavar="TENANT")
@click.argument("name")
@json_option
@pass_app
@handle_errors
def connection_test(app: App, tenant_name: str, name: str, as_json: bool) -> None:
    """Check a connection for real: its settings, secrets, and the system's own test."""
    ws = app.workspace
    tenant = ws.tenant(tenant_name)
    stored = _stored(tenant, name)
    system = _system(app, stored.system)
    redactor = Redactor()
    ws.ensure()
    resolver = ConnectionResolver(
        tenant=tenant,
        systems=app.components.systems,
        secrets=SecretAccessor(tenant_name, ws.secrets.values(tenant_name), redactor),
        clock=SystemClock(),
        redactor=redactor,
        store_path=ws.db_path,
        secret_store=ws.secrets,
    )
    try:
        conn = resolver.named(name)
        if system.test is None:
            ok, detail = True, f"the settings are valid; {system.name} has no connection test"
        else:
            ok, detail = _run_test(system, conn, redactor)
    finally:
        resolver.close()
    if as_json:
        print_json({"connection": name, "system": system.name, "ok": ok, "detail": detail})
    elif ok:
        click.secho(f"✔ {tenant_name}/{name} ({system.title}): {detail}", fg="green")
    else:
        click.secho(f"✘ {tenant_name}/{name} ({system.title}): {detail}", fg="red")
    if not ok:
        raise SystemExit(EXIT_INCOMPLETE)


@connection.command("remove")
@click.argument("tenant_name", metavar="TENANT")
@click.argument("name")
@click.option("--force", is_flag=True, help="Remove it even while connectors name it.")
@pass_app
@handle_errors
def connection_remove(app: App, tenant_name: str, name: str, force: bool) -> None:
    """Remove a connection (refused while a connector uses it, unless --force)."""
    ws = app.workspace
    tenant = ws.tenant(tenant_name)
    _stored(tenant, name)
    users = users_of(tenant, name)
    if users and not force:
        fail(
            f"Connection {name} is used by {', '.join(users)} of {tenant_name}: name another "
            "connection in their config first, or remove it anyway with --force (they will "
            "not run until they name one)."
        )
    del tenant.connections[name]
    ws.save_tenant(tenant)
    click.echo(f"Removed connection {name} of {tenant_name}.")
    if ws.secrets.delete(tenant_name, connection_secret(name)):
        click.echo(f"Removed its stored sign-in (OAuth2 tokens {MASK}).")
    if users:
        click.secho(
            f"{', '.join(users)} still name it and will not run until changed.", fg="yellow"
        )


@connection.command("systems")
@json_option
@pass_app
def connection_systems(app: App, as_json: bool) -> None:
    """List the systems installed plugins can connect to."""
    systems = sorted(app.components.systems.values(), key=lambda s: s.name)
    items: list[dict[str, Any]] = [
        {
            "name": s.name,
            "title": s.title,
            "settings": sorted(s.setting_keys()),
            "secrets": secret_properties(s.settings_schema),
            "test": s.test is not None,
            "rate_limit": s.rate_limit.description if s.rate_limit else None,
        }
        for s in systems
    ]
    if as_json:
        print_json({"systems": items})
        return
    table(
        [[i["name"], i["title"], ", ".join(i["settings"])] for i in items],
        ["system", "title", "settings"],
    )


@connection.command("schema")
@click.argument("system_name", metavar="SYSTEM")
@pass_app
@handle_errors
def connection_schema(app: App, system_name: str) -> None:
    """Print the JSON Schema of a system's connection settings."""
    print_json(_system(app, system_name).settings_schema)


def _system(app: App, name: str) -> System:
    systems = app.components.systems
    if name not in systems:
        known = ", ".join(sorted(systems)) or "none installed"
        raise ConfigError(f"Unknown system {name!r} (systems: {known}).")
    return systems[name]


def _stored(tenant: Tenant, name: str) -> StoredConnection:
    known = stored_connections(tenant)
    if name not in known:
        listed = ", ".join(known) or "none yet"
        raise ConfigError(
            f"Tenant {tenant.name} has no connection {name!r} (connections: {listed})."
        )
    return known[name]


def _run_test(system: System, conn: Any, redactor: Redactor) -> tuple[bool, str]:
    assert system.test is not None
    try:
        return True, redactor.redact(system.test(conn))
    except LedgerbridgeError as exc:
        return False, redactor.redact(str(exc))
    except Exception as exc:  # the vendor or the network: say what, masked
        return False, redactor.redact(f"{type(exc).__name__}: {exc}")


def _budgets(ws: Workspace, key: str) -> list[dict[str, Any]]:
    """The connection's budget (and its endpoints' ones), as the state database keeps them."""
    location = ws.state
    if not location.is_postgres and not ws.db_path.exists():
        return []
    store = open_budgets(location)
    try:
        keys = [k for k in store.keys(key) if k == key or k.startswith(key + "#")]
        return [budget_status(store, k) for k in keys]
    finally:
        store.close()


def _describe_budget(b: dict[str, Any]) -> str:
    if b.get("window_end") and b["window_end"] < SystemClock().now():
        return f"its last window ended {utc_iso(b['window_end'])}: the full limit is free"
    parts = []
    if b.get("remaining") is not None:
        parts.append(f"{b['remaining']} of {b.get('limit') or '?'} left")
    if b.get("window_end"):
        parts.append(f"window ends {utc_iso(b['window_end'])}")
    if b.get("held"):
        parts.append(f"{b['held']} in flight")
    if b.get("blocked_until"):
        parts.append(f"paused by the vendor until {utc_iso(b['blocked_until'])}")
    return ", ".join(parts) or b.get("mode", "unknown")
