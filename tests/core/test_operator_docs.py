"""The operator's docs name only commands and options that exist, and the CLI
reference shows each subcommand under its full name."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import click
import pytest

from ledgerbridge.core.cli import make_cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "docs" / "operator-guide.md", ROOT / "README.md"]


def command_lines(path: Path) -> list[str]:
    """`ledgerbridge ...` lines of the code blocks, comments and prompts off."""
    lines = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", path.read_text("utf-8"), re.DOTALL):
        for line in block.splitlines():
            text = line.removeprefix("$ ").strip()
            if text.startswith("ledgerbridge "):
                lines.append(text.split(" #")[0].strip())
    return lines


def resolve(tokens: list[str]) -> tuple[click.Command, list[str]]:
    """The command a line names, and the options it passes to it."""
    command: click.Command = make_cli()
    args = tokens[1:]
    if args[:1] == ["--workspace"]:
        args = args[2:]
    while isinstance(command, click.Group) and args and not args[0].startswith("-"):
        sub = command.get_command(click.Context(command), args[0])
        assert sub is not None, f"no command {args[0]!r} in: {' '.join(tokens)}"
        command, args = sub, args[1:]
    return command, [a.split("=")[0] for a in args if a.startswith("--")]


LINES = [(path.name, line) for path in DOCS for line in command_lines(path)]


def test_the_guide_has_commands_to_check() -> None:
    assert len([name for name, _ in LINES if name == "operator-guide.md"]) > 30


@pytest.mark.skipif(bool(os.environ.get("LEDGERBRIDGE_LOAD_PLUGINS")), reason="plugins filtered")
@pytest.mark.parametrize(("doc", "line"), LINES)
def test_documented_command_exists_with_its_options(doc: str, line: str) -> None:
    command, options = resolve(shlex.split(line))
    known = {name for p in command.params for name in (*p.opts, *p.secondary_opts)}
    known |= {"--help"}
    unknown = [o for o in options if o not in known]
    assert not unknown, f"{doc}: `{line}` uses {unknown}, which `{command.name}` does not take"


def test_cli_reference_shows_subcommands_by_their_full_name() -> None:
    text = (ROOT / "docs" / "cli.md").read_text("utf-8")
    sections = re.findall(
        r"^## `(ledgerbridge[^`]*)`\n\n```\nUsage: (\S+(?: [a-z_-]+)*)", text, re.M
    )
    assert len(sections) > 20
    for title, usage in sections:
        assert usage == title, f"the usage line of {title} reads {usage}"
