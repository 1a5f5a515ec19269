"""Progress while a run goes.

On a terminal: one live bar per flow (tqdm), with the flow's own counts
(succeeded, failed, skipped, planned) and, where the number of records is
known beforehand (a replay of a run's failed records), the total, percent
done and time left. Each flow's bar stays as a line when the next flow starts.

Elsewhere (cron, a pipe, a log file): no bars and no control characters; a
plain line every minute of a long run, so a log shows the run is alive and
how far it got, and nothing for a short one (the summary lines say it all,
and the mail cron sends stays short).
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

import click
from tqdm import tqdm

STATUSES = ("succeeded", "failed", "skipped", "planned")
PLAIN_EVERY = 60.0  # seconds between plain progress lines off a terminal


class Progress:
    """The engine's Reporter for one tenant's connector run."""

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        totals: Mapping[str, int] | None = None,
        *,
        live: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        every: float = PLAIN_EVERY,
    ) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.label = label
        self.totals = dict(totals or {})
        self.counts: dict[str, dict[str, int]] = {}  # flow -> status -> n
        self._flow: str | None = None
        self._bar: Any = None
        self._clock = clock
        self._every = every
        self._last_line = clock()

    def record_done(self, flow: str, status: str, label: str) -> None:
        if flow != self._flow:
            self._start(flow)
        counts = self.counts[flow]
        counts[status] = counts.get(status, 0) + 1
        if self._bar is not None:
            self._bar.set_postfix_str(self.describe(flow), refresh=False)
            self._bar.update(1)
        elif not self.live and self._clock() - self._last_line >= self._every:
            self._last_line = self._clock()
            click.echo(self.plain_line(flow), file=self.stream)

    def describe(self, flow: str) -> str:
        """`3 succeeded, 1 failed`: the flow's own counts, none that are 0."""
        counts = self.counts.get(flow, {})
        order = [s for s in STATUSES if counts.get(s)] + sorted(
            s for s in counts if s not in STATUSES
        )
        return ", ".join(f"{counts[s]} {s}" for s in order)

    def plain_line(self, flow: str) -> str:
        done = sum(self.counts.get(flow, {}).values())
        total = self.totals.get(flow)
        of = f" of {total}" if total is not None else ""
        return f"{self.label} {flow}: {done}{of} records ({self.describe(flow)})"

    def _start(self, flow: str) -> None:
        self._close_bar()
        self._flow = flow
        self.counts.setdefault(flow, {})
        if self.live:
            # the size as shutil reads it: a terminal that reports 0 columns or
            # rows (some ptys) gets 100x24, where tqdm would hide the bar
            size = shutil.get_terminal_size((100, 24))
            self._bar = tqdm(
                total=self.totals.get(flow),
                desc=f"{self.label} {flow}",
                unit=" records",
                file=self.stream,
                ncols=size.columns,
                nrows=size.lines,
                leave=True,
                mininterval=0.2,
            )

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def close(self) -> None:
        self._close_bar()
