"""Commands that live in their feature packages: sandbox, auth, demo."""

from __future__ import annotations

import click

from ledgerbridge.core.cli.auth import auth
from ledgerbridge.core.cli.demo import demo
from ledgerbridge.core.sandbox.cli import sandbox


def commands() -> list[click.Command]:
    return [sandbox, auth, demo]
