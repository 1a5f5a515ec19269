"""Progress while a run goes: a live counter on a terminal, nothing per record
otherwise (cron mail stays short; the summary lines say it all)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

import click


class Progress:
    def __init__(self, label: str, stream: TextIO | None = None, interval: float = 0.2) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.label = label
        self.interval = interval
        self.counts: dict[str, int] = {}
        self._last = 0.0
        self._flow = ""

    def record_done(self, flow: str, status: str, label: str) -> None:
        self._flow = flow
        self.counts[status] = self.counts.get(status, 0) + 1
        if self.live and (now := time.monotonic()) - self._last >= self.interval:
            self._last = now
            self._draw()

    def _draw(self) -> None:
        total = sum(self.counts.values())
        parts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts.items()))
        click.echo(
            f"\r{self.label} [{self._flow}] {total} records: {parts}\033[K",
            nl=False,
            file=self.stream,
        )

    def close(self) -> None:
        if self.live and self.counts:
            self._draw()
            click.echo("", file=self.stream)
