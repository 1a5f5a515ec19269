"""What is installed: plugins, connectors, schemas."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import click

from ledgerbridge.core.cli.app import App, pass_app
from ledgerbridge.core.cli.output import fail, json_option, print_json, table
from ledgerbridge.core.plugins import get_registry


@click.command()
@json_option
@pass_app
def plugins(app: App, as_json: bool) -> None:
    """List installed plugins; failed ones show why."""
    infos = get_registry().infos
    problems = app.components.problems
    if as_json:
        print_json({"plugins": [i.__dict__ for i in infos], "problems": problems})
        return
    if not infos:
        click.echo("No plugins installed.")
    rows = [
        [i.name, i.status, i.distribution or "", i.version or "", i.error or ", ".join(i.hooks)]
        for i in infos
    ]
    table(rows, ["name", "status", "distribution", "version", "hooks / reason"])
    for p in problems:
        click.secho(f"problem: {p}", fg="yellow")


@click.command()
@json_option
@pass_app
def connectors(app: App, as_json: bool) -> None:
    """List the connectors tenants can enable."""
    comps = app.components
    items: list[dict[str, Any]] = [
        {
            "name": c.name,
            "title": c.title,
            "plugin": comps.owners.get(c.name, ""),
            "description": c.description,
            "run_options": [o.name for o in c.run_options],
        }
        for c in sorted(comps.connectors.values(), key=lambda c: c.name)
    ]
    if as_json:
        print_json({"connectors": items})
        return
    table([[i["name"], i["title"], i["plugin"]] for i in items], ["name", "title", "plugin"])


@click.command()
@click.argument("name")
@pass_app
def schema(app: App, name: str) -> None:
    """Print a schema: a connector's config schema, a canonical entity (JSON
    Schema), or a file format a connector reads (XSD)."""
    comps = app.components
    if name in comps.connectors:
        print_json(comps.connectors[name].config_schema)
        return
    schemas = resources.files("ledgerbridge.schemas")
    path = schemas.joinpath(f"{name}.json")
    if path.is_file():
        print_json(json.loads(path.read_text(encoding="utf-8")))
        return
    for xsd in (schemas.joinpath(f"{name}.xsd"), schemas.joinpath(name)):
        if xsd.name.endswith(".xsd") and xsd.is_file():  # a file format, e.g. an export
            click.echo(xsd.read_text(encoding="utf-8"), nl=False)
            return
    shipped = [p.name for p in schemas.iterdir() if p.name.endswith((".json", ".xsd"))]
    known = sorted([*comps.connectors, *(n.rsplit(".", 1)[0] for n in shipped)])
    fail(f"No schema named {name!r}. Known: {', '.join(known)}")
