"""Tenants, their connector configs and their secrets."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ledgerbridge.core.cli.app import App, pass_app
from ledgerbridge.core.cli.output import (
    EXIT_USAGE,
    fail,
    handle_errors,
    json_option,
    print_json,
    table,
)
from ledgerbridge.core.components import Connector
from ledgerbridge.core.config import connector_config_problems, secret_properties
from ledgerbridge.core.connections import reference_problems
from ledgerbridge.core.errors import ConfigError
from ledgerbridge.core.jsonfile import read_json_object
from ledgerbridge.core.redact import MASK


@click.group()
def tenant() -> None:
    """Add, list, show and remove tenants (the customers you integrate for)."""


@tenant.command("add")
@click.argument("name")
@click.option("--description", default="", help="A note for operators.")
@pass_app
@handle_errors
def tenant_add(app: App, name: str, description: str) -> None:
    """Add a tenant."""
    app.workspace.add_tenant(name, description)
    click.echo(f"Added tenant {name}. Next: ledgerbridge enable {name} CONNECTOR --config FILE")


@tenant.command("list")
@json_option
@pass_app
@handle_errors
def tenant_list(app: App, as_json: bool) -> None:
    """List tenants and their connectors."""
    # a tenant whose file is broken is named after the others, with its problem
    items, broken = app.workspace.tenants()
    if as_json:
        print_json(
            {
                "tenants": [
                    {"name": t.name, "description": t.description, "connectors": t.enabled()}
                    for t in items
                ],
                "tenant_errors": tenant_errors_json(broken),
            }
        )
    elif not items and not broken:
        click.echo("No tenants yet. Add one with: ledgerbridge tenant add NAME")
    elif items:
        table(
            [[t.name, ", ".join(t.enabled()), t.description] for t in items],
            ["tenant", "enabled connectors", "description"],
        )
    exit_if_broken(broken, quiet=as_json)


def tenant_errors_json(broken: dict[str, str]) -> list[dict[str, str]]:
    return [{"tenant": name, "problem": problem} for name, problem in broken.items()]


def exit_if_broken(broken: dict[str, str], *, quiet: bool) -> None:
    """After a listing of the good tenants: name each broken one and exit 2,
    so cron mail and scripts notice a tenant that can no longer run."""
    if not broken:
        return
    if not quiet:
        for name, problem in broken.items():
            click.secho(f"✘ tenant {name}: {problem}", fg="red", err=True)
    sys.exit(EXIT_USAGE)


@tenant.command("show")
@click.argument("name")
@json_option
@pass_app
@handle_errors
def tenant_show(app: App, name: str, as_json: bool) -> None:
    """Show a tenant's connectors and config (secrets as ••••)."""
    t = app.workspace.tenant(name)
    data = {
        "name": t.name,
        "description": t.description,
        "connectors": {
            c: {"enabled": e.get("enabled", True), "config": _shown(e.get("config", {}))}
            for c, e in t.connectors.items()
        },
        "connections": {c: e.get("system") for c, e in sorted(t.connections.items())},
        "secrets": {n: MASK for n in app.workspace.secrets.names(name)},
    }
    if as_json:
        print_json(data)
        return
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@tenant.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
@handle_errors
def tenant_remove(app: App, name: str, yes: bool) -> None:
    """Remove a tenant, its config and its secrets (run history stays)."""
    app.workspace.tenant(name)
    if not yes:
        click.confirm(f"Remove tenant {name} with its config and secrets?", abort=True)
    app.workspace.remove_tenant(name)
    click.echo(f"Removed tenant {name}.")


def _shown(config: dict[str, Any]) -> dict[str, Any]:
    """Config as shown to a person: secret references become `•••• (NAME)`."""
    out: dict[str, Any] = {}
    for k, v in config.items():
        if isinstance(v, dict) and "secret" in v:  # never show what sits beside a reference
            out[k] = f"{MASK} (secret {v['secret']})"
        else:
            out[k] = v
    return out


def _load_config_file(path: str) -> dict[str, Any]:
    return read_json_object(path, "config file")


def config_problems(
    connector: Connector, config: dict[str, Any], secret_names: list[str] | None
) -> list[str]:
    return connector_config_problems(connector, config, secret_names)


@click.command()
@click.argument("tenant_name", metavar="TENANT")
@click.argument("connector_name", metavar="CONNECTOR")
@click.option("--config", "config_file", required=True, help="JSON config file ('-': stdin).")
@pass_app
@handle_errors
def enable(app: App, tenant_name: str, connector_name: str, config_file: str) -> None:
    """Enable a connector for a tenant with a validated config."""
    connector = app.components.connector(connector_name)
    ws = app.workspace
    t = ws.tenant(tenant_name)
    config = _load_config_file(config_file)
    problems = config_problems(connector, config, None)
    problems += reference_problems(connector.systems, config, t)
    if problems:
        raise ConfigError(f"Not saved: the config for {connector_name} is not valid:", problems)
    t.connectors[connector_name] = {"enabled": True, "config": config}
    ws.save_tenant(t)
    click.echo(f"Enabled {connector_name} for {tenant_name}.")
    missing = [
        config[k]["secret"]
        for k in secret_properties(connector.config_schema)
        if k in config and config[k]["secret"] not in ws.secrets.names(tenant_name)
    ]
    for name in missing:
        click.secho(
            f"Secret {name} is not set yet: ledgerbridge secret set {tenant_name} {name}",
            fg="yellow",
        )


@click.command()
@click.argument("tenant_name", metavar="TENANT")
@click.argument("connector_name", metavar="CONNECTOR")
@pass_app
@handle_errors
def disable(app: App, tenant_name: str, connector_name: str) -> None:
    """Disable a connector for a tenant (its config and state are kept)."""
    ws = app.workspace
    t = ws.tenant(tenant_name)
    if connector_name not in t.connectors:
        fail(f"{connector_name} is not enabled for {tenant_name}.")
    t.connectors[connector_name]["enabled"] = False
    ws.save_tenant(t)
    click.echo(f"Disabled {connector_name} for {tenant_name}.")


@click.group("config")
def config_group() -> None:
    """Check tenant configs."""


@config_group.command("validate")
@click.argument("tenant_name", metavar="TENANT")
@click.argument("connector_name", metavar="CONNECTOR")
@click.option("--config", "config_file", help="Check this file instead of the saved config.")
@json_option
@pass_app
@handle_errors
def config_validate(
    app: App, tenant_name: str, connector_name: str, config_file: str | None, as_json: bool
) -> None:
    """Validate a tenant's config for a connector; print every problem."""
    connector = app.components.connector(connector_name)
    ws = app.workspace
    config = (
        _load_config_file(config_file)
        if config_file
        else ws.tenant(tenant_name).connector_config(connector_name)
    )
    problems = config_problems(connector, config, ws.secrets.names(tenant_name))
    if connector.check_environment is not None:  # e.g. an export folder that must exist
        problems += [p for p in connector.check_environment(config, ws.path) if p not in problems]
    problems += reference_problems(connector.systems, config, ws.tenant(tenant_name))
    if as_json:
        print_json({"valid": not problems, "problems": problems})
    elif problems:
        click.secho(f"The config of {tenant_name}/{connector_name} is not valid:", fg="red")
        for p in problems:
            click.echo(f"  - {p}")
    else:
        click.secho(f"The config of {tenant_name}/{connector_name} is valid.", fg="green")
    if problems:
        sys.exit(2)


@click.group()
def secret() -> None:
    """Store secrets (client secrets, tenant ids, tokens) outside config."""


@secret.command("set")
@click.argument("tenant_name", metavar="TENANT")
@click.argument("name")
@pass_app
@handle_errors
def secret_set(app: App, tenant_name: str, name: str) -> None:
    """Store a secret, read without echo (or from standard input when piped)."""
    app.workspace.tenant(tenant_name)
    if sys.stdin.isatty():
        value = click.prompt(f"Value for {name}", hide_input=True, confirmation_prompt=True)
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        fail("An empty secret was not stored.")
    app.workspace.secrets.set(tenant_name, name, value)
    click.echo(f"Stored secret {name} for {tenant_name}: {MASK}")


@secret.command("list")
@click.argument("tenant_name", metavar="TENANT")
@json_option
@pass_app
@handle_errors
def secret_list(app: App, tenant_name: str, as_json: bool) -> None:
    """List a tenant's secret names (values are never shown)."""
    app.workspace.tenant(tenant_name)
    names = app.workspace.secrets.names(tenant_name)
    if as_json:
        print_json({"secrets": {n: MASK for n in names}})
        return
    for n in names:
        click.echo(f"{n}  {MASK}")
    if not names:
        click.echo(f"No secrets for {tenant_name}.")
