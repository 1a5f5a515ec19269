"""The CLI reference in docs/cli.md is generated from `--help`, so it cannot
drift: `python -m ledgerbridge.core.cli.reference > docs/cli.md`, and a test
checks the file is current."""

from __future__ import annotations

import click

from ledgerbridge.core.cli import make_cli

HELP = ["-h", "--help"]


def render() -> str:
    cli = make_cli()
    parts = ["# CLI reference", "", "Generated from `--help`; do not edit by hand.", ""]
    ctx = click.Context(
        cli,
        info_name="ledgerbridge",
        terminal_width=80,
        max_content_width=80,
        help_option_names=HELP,  # as the real CLI: click caches it per command
    )
    parts += [_section("ledgerbridge", cli.get_help(ctx))]
    for path, command in _walk(cli, ctx, ["ledgerbridge"]):
        # the whole path as its name, so a subcommand's usage line reads
        # `ledgerbridge config validate`, not `ledgerbridge validate`
        sub = click.Context(command, info_name=" ".join(path[1:]), parent=ctx)
        parts.append(_section(" ".join(path), command.get_help(sub)))
    return "\n".join(parts)


def _walk(
    group: click.Group, ctx: click.Context, path: list[str]
) -> list[tuple[list[str], click.Command]]:
    found: list[tuple[list[str], click.Command]] = []
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        found.append(([*path, name], command))
        if isinstance(command, click.Group):
            found += _walk(
                command, click.Context(command, info_name=name, parent=ctx), [*path, name]
            )
    return found


def _section(title: str, help_text: str) -> str:
    return f"## `{title}`\n\n```\n{help_text}\n```\n"


if __name__ == "__main__":
    print(render(), end="")
