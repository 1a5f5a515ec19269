"""The hello plugin: greets every contact of a CSV file in a JSON file of its own.

ledgerbridge finds this module through the `ledgerbridge` entry point in
pyproject.toml and calls the functions marked `@hookimpl`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import click
from ledgerbridge import ConfigError, Connector, Flow, Record, RecordError, Rejected, hookimpl
from ledgerbridge.core.components import DemoSetup

from ledgerbridge_hello.mapper import GreetingMapper
from ledgerbridge_hello.source import ENTITY, ContactsSource
from ledgerbridge_hello.target import OutboxTarget

if TYPE_CHECKING:
    from ledgerbridge.core.context import RunContext

# What a tenant's config must look like; `ledgerbridge enable` checks it and
# `ledgerbridge schema hello` prints it. Descriptions appear in error messages.
CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "contactsFile": {
            "type": "string",
            "minLength": 1,
            "description": "Path of the CSV file with the columns id,name,email,updated_at",
        },
        "outputFolder": {
            "type": "string",
            "minLength": 1,
            "description": "Folder the greeting files are written to (created when missing)",
        },
        "greeting": {
            "type": "string",
            "minLength": 1,
            "default": "Hello",
            "description": "The word each greeting starts with",
        },
    },
    "required": ["contactsFile", "outputFolder"],
    "additionalProperties": False,
}
DEFAULT_GREETING: str = CONFIG_SCHEMA["properties"]["greeting"]["default"]

SAMPLE_CONTACTS = """\
id,name,email,updated_at
1,Astrid Lindgren,astrid@example.se,2026-01-05T09:00:00Z
2,Tove Jansson,tove@example.fi,2026-01-06T10:30:00Z
3,Henrik Ibsen,henrik@example.no,2026-01-07T08:15:00Z
"""


def build_flows(context: RunContext) -> list[Flow]:
    """Called once per run: the flows of this connector, built from the tenant's config."""
    config = context.config
    return [
        Flow(
            name="contacts",
            entity=ENTITY,
            source=ContactsSource(Path(config["contactsFile"])),
            mapper=GreetingMapper(config.get("greeting", DEFAULT_GREETING)),
            target=OutboxTarget(Path(config["outputFolder"])),
            description="contacts file -> one greeting file per contact",
        )
    ]


class DemoFolder(Protocol):
    folder: Path


def demo(kit: DemoFolder) -> DemoSetup:
    """Sample input for `ledgerbridge demo`, written into the folder it gives us."""
    kit.folder.mkdir(parents=True, exist_ok=True)
    contacts = kit.folder / "contacts.csv"
    contacts.write_text(SAMPLE_CONTACTS, encoding="utf-8")
    return DemoSetup(
        config={"contactsFile": str(contacts), "outputFolder": str(kit.folder / "outbox")},
        describe=f"Greets the three contacts of {contacts} with one JSON file each.",
    )


CONNECTOR = Connector(
    name="hello",
    title="Hello contacts",
    config_schema=CONFIG_SCHEMA,
    build_flows=build_flows,
    description="Writes a greeting file for every contact of a CSV file.",
    demo=demo,
)


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    register(CONNECTOR)


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(hello)


@click.command()
@click.argument("contacts_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--greeting", default=DEFAULT_GREETING, show_default=True)
def hello(contacts_file: Path, greeting: str) -> None:
    """Preview the greetings for CONTACTS_FILE; nothing is written."""
    mapper = GreetingMapper(greeting)
    try:
        for item in ContactsSource(contacts_file).read(None):
            click.echo(f"{item.key}: {preview(item, mapper)}")
    except ConfigError as err:
        raise click.ClickException(str(err)) from None


def preview(item: Record | Rejected, mapper: GreetingMapper) -> str:
    if isinstance(item, Rejected):
        return f"rejected: {item.error}"
    try:
        return str(mapper.map(item)["text"])
    except RecordError as err:
        return f"error: {err}"
