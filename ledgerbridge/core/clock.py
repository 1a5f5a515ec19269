"""An injectable clock, so retries, token expiry and rate budgets are testable
without sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (wall clock, for timestamps and token expiry)."""

    def monotonic(self) -> float:
        """Seconds on a monotonic clock (for durations and rate windows)."""

    def sleep(self, seconds: float) -> None:
        """Wait; a fake clock advances instead."""


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock for tests: sleeping advances time and is recorded."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start
        self._mono = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._mono += seconds


def utc_iso(ts: float) -> str:
    """ISO 8601 UTC with seconds, the format state and output use. The
    engine stamps every record twice; within one second the text is reused."""
    global _LAST_ISO
    second = int(ts // 1)
    cached = _LAST_ISO  # one tuple, replaced whole: threads never see half of one
    if cached[0] == second:
        return cached[1]
    text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _LAST_ISO = (second, text)
    return text


_LAST_ISO: tuple[int | None, str] = (None, "")


def parse_stamp(text: str) -> datetime | None:
    """A change time as vendors write it ("2024-05-20T10:00:00", "...Z",
    "...+02:00", with or without fractions), to the second; None when it is
    not a time (a row version). A time without a zone stays without one."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(microsecond=0)


def later(a: str, b: str) -> bool:
    """Is change time `a` later than `b`? Both with a zone: compared as
    instants; otherwise as wall-clock times to the second (what a vendor
    that writes no zone means); not times at all: as text."""
    pa, pb = parse_stamp(a), parse_stamp(b)
    if pa is None or pb is None:
        return a > b
    if pa.tzinfo is None or pb.tzinfo is None:
        return pa.replace(tzinfo=None) > pb.replace(tzinfo=None)
    return pa > pb
