"""The guides' examples cannot drift: every `ledgerbridge ...` command line in
README.md, the operator guide, the sandbox guide and the connector guides
(in code blocks, cron lines, printed output and inline code) names a command
that exists, with options it takes, as many arguments as it takes and its
required options; every schema a guide points at is one `ledgerbridge
schema` serves; and the CLI reference shows each subcommand under its full
name."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ledgerbridge.core.cli import make_cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = [
    ROOT / "README.md",
    ROOT / "docs" / "operator-guide.md",
    ROOT / "docs" / "sandbox.md",
    *sorted((ROOT / "docs" / "connectors").glob("*.md")),
]
# `ledgerbridge ` at the start, after a space, a prompt or label (`Fix: `), or
# after a path to the executable (cron: /usr/local/bin/ledgerbridge run acme)
_START = re.compile(r"(?:^|(?<=[\s:?(])|(?<=/bin/))ledgerbridge (?=[\w-])")
# where a command line ends: a comment, a redirection or pipe, another command
_END = re.compile(r"\s(?:#|>|2>|\|\|?|&&|;).*$")
_FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.DOTALL)


def command_lines(path: Path) -> list[str]:
    """Every `ledgerbridge ...` command of a guide, continuation lines joined.
    Prose naming a command alone (`ledgerbridge secret set` stores it) is a
    reference, not a command line: it ends with `*` (its arguments not given)."""
    text = path.read_text("utf-8")
    lines = []
    for block in _FENCE.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            found = _START.search(line)
            if found:
                lines.append(_END.sub("", line[found.start() :]).strip())
    prose = _FENCE.sub("", text)
    for span in re.findall(r"`(ledgerbridge [^`]+)`", prose):
        line = _END.sub("", span).strip()
        command, args = resolve(shlex.split(line))
        lines.append(line if args or not command.params else line + " *")
    return lines


def resolve(tokens: list[str]) -> tuple[click.Command, list[str]]:
    """The command a line names, and the arguments it passes to it."""
    command: click.Command = make_cli()
    args = tokens[1:]
    if args[:1] == ["--workspace"]:
        args = args[2:]
    while isinstance(command, click.Group) and args and not args[0].startswith("-"):
        sub = command.get_command(click.Context(command), args[0])
        assert sub is not None, f"no command {args[0]!r} in: {' '.join(tokens)}"
        command, args = sub, args[1:]
    return command, args


def arity_problems(command: click.Command, args: list[str]) -> list[str]:
    """What is wrong with the arguments: unknown options, how many
    positional arguments, required options left out."""
    if "--help" in args or "-h" in args:
        return []
    elided = args[:1] == ["..."]  # `connection add ... --system visma_net`: arguments left out
    args = args[1:] if elided else args
    ctx = click.Context(command)
    try:
        given, positional, _ = command.make_parser(ctx).parse_args(list(args))
    except click.UsageError as exc:
        return [exc.format_message()]
    problems = []
    for p in command.params:
        value = given.get(p.name or "")
        if value is getattr(click.core, "UNSET", None) or value == ():
            value = None  # click 8.3+ marks a value not given as UNSET
        if isinstance(p, click.Argument) and p.required and value is None and not elided:
            problems.append(f"the argument {p.human_readable_name} is missing")
        if isinstance(p, click.Option) and p.required and value is None:
            problems.append(f"the required option {p.opts[0]} is missing")
    if positional:
        problems.append(f"{len(positional)} arguments too many: {positional}")
    return problems


LINES = sorted(
    {(path.relative_to(ROOT).as_posix(), line) for path in DOCS for line in command_lines(path)}
)


def test_every_guide_has_commands_to_check() -> None:
    per_doc = {doc: 0 for doc in (p.relative_to(ROOT).as_posix() for p in DOCS)}
    for doc, _ in LINES:
        per_doc[doc] += 1
    assert per_doc["docs/operator-guide.md"] > 30
    assert all(n > 0 for n in per_doc.values()), per_doc


@pytest.mark.skipif(bool(os.environ.get("LEDGERBRIDGE_LOAD_PLUGINS")), reason="plugins filtered")
@pytest.mark.parametrize(("doc", "line"), LINES)
def test_documented_command_parses_against_the_real_cli(doc: str, line: str) -> None:
    command, args = resolve(shlex.split(line.removesuffix(" *")))
    problems = [] if line.endswith(" *") else arity_problems(command, args)
    assert not problems, f"{doc}: `{line}`: " + "; ".join(problems)


def test_the_checks_catch_what_drifts() -> None:
    """Each kind of drift the docs test exists to catch is caught."""
    for line, wanted in [
        ("ledgerbridge replay", "the argument RUN is missing"),
        ("ledgerbridge replay 12 13", "1 arguments too many: ['13']"),
        ("ledgerbridge enable acme visma_net", "--config is missing"),
        ("ledgerbridge runs --tenant", "requires an argument"),
        ("ledgerbridge run acme --dry-rnu", "No such option"),
    ]:
        command, args = resolve(shlex.split(line))
        assert any(wanted in p for p in arity_problems(command, args)), line
    with pytest.raises(AssertionError, match="no command 'validate'"):
        resolve(["ledgerbridge", "validate", "acme"])
    assert command_lines_of("*/5 * * * * /usr/local/bin/ledgerbridge run acme > /tmp/x || cat") == [
        "ledgerbridge run acme"
    ]


def command_lines_of(block: str, tmp: Path | None = None) -> list[str]:
    path = (tmp or ROOT / "build") / "doc-under-test.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"```cron\n{block}\n```\n", "utf-8")
    try:
        return command_lines(path)
    finally:
        path.unlink()


SCHEMAS = sorted({line.split()[2] for _, line in LINES if line.startswith("ledgerbridge schema ")})


@pytest.mark.skipif(bool(os.environ.get("LEDGERBRIDGE_LOAD_PLUGINS")), reason="plugins filtered")
@pytest.mark.parametrize("name", SCHEMAS)
def test_every_schema_a_guide_points_at_is_served(name: str) -> None:
    result = CliRunner().invoke(make_cli(), ["schema", name])
    assert result.exit_code == 0, result.output
    assert result.output.strip()


def test_the_connector_guide_points_at_schemas() -> None:
    assert {"visma_net", "opter-invoice-export"} <= set(SCHEMAS)


def test_cli_reference_shows_subcommands_by_their_full_name() -> None:
    text = (ROOT / "docs" / "cli.md").read_text("utf-8")
    sections = re.findall(
        r"^## `(ledgerbridge[^`]*)`\n\n```\nUsage: (\S+(?: [a-z_-]+)*)", text, re.M
    )
    assert len(sections) > 20
    for title, usage in sections:
        assert usage == title, f"the usage line of {title} reads {usage}"
