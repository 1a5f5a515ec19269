"""Points in time on the command line: `--since 24h`, `--older-than 90d`.

A duration counts back from now (90m, 24h, 7d, 2w); an ISO date or time
(2026-01-31, 2026-01-31T08:00, with or without an offset; UTC when none) is
taken as it is. Both become state's timestamp format, which compares as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from ledgerbridge.core.clock import utc_iso

_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_SECONDS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
F = TypeVar("F", bound=Callable[..., Any])
EXAMPLES = "a duration (90m, 24h, 7d, 2w) or an ISO date (2026-01-31, 2026-01-31T08:00)"


def point_in_time(text: str, now: float, option: str) -> str:
    """`text` as a state timestamp; a click usage error (exit 2) naming the
    option when it is neither a duration nor a date."""
    match = _DURATION.match(text)
    if match:
        return utc_iso(now - int(match.group(1)) * _SECONDS[match.group(2).lower()])
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} is not {EXAMPLES}.", param_hint=option) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return utc_iso(parsed.timestamp())


def since_option(help_text: str) -> Callable[[F], F]:
    """`--since WHEN`, for the listing commands."""
    return click.option("--since", metavar="WHEN", help=f"{help_text} WHEN is {EXAMPLES}.")
