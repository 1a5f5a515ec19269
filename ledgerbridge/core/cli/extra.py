"""Commands that belong to feature packages: sandbox, auth, demo."""

from __future__ import annotations

import click


def commands() -> list[click.Command]:
    found: list[click.Command] = []
    try:
        from ledgerbridge.core.sandbox.cli import sandbox

        found.append(sandbox)
    except ImportError:
        pass
    try:
        from ledgerbridge.core.cli.demo import demo

        found.append(demo)
    except ImportError:
        pass
    return found
