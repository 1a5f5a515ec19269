"""Change stamps, ids and time parsing shared by both emulators and clients.

Both vendors stamp every write (eAccounting `ChangedUtc`/`ModifiedUtc`,
Severa `lastUpdatedDateTime`) and both filter lists on those stamps, so the
emulators must move a stamp on *every* write, even when a test's FakeClock
stands still: `Stamps.next()` never returns the same instant twice. Ids are
GUIDs drawn from a seeded generator, so a run with the same requests gets the
same ids.
"""

from __future__ import annotations

import random
import threading
import uuid
from datetime import UTC, datetime

from ledgerbridge.core.clock import Clock

_STEP = 0.001  # stamps carry milliseconds


class Stamps:
    """Strictly increasing UTC stamps (`2026-01-01T00:00:00.000Z`) on a clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._last = 0.0
        self._lock = threading.Lock()

    def next(self) -> str:
        """The stamp of a write happening now (later than every earlier one)."""
        with self._lock:
            now = round(self.clock.now(), 3)
            self._last = now if now > self._last else round(self._last + _STEP, 3)
            return iso_ms(self._last)

    def now(self) -> str:
        """The current time, for `ServerTimeUtc` and reads (no write implied)."""
        with self._lock:
            return iso_ms(max(round(self.clock.now(), 3), self._last))

    def today(self) -> str:
        """Today at midnight, as both APIs write dates: `2026-01-01T00:00:00`."""
        return datetime.fromtimestamp(self.clock.now(), UTC).strftime("%Y-%m-%dT00:00:00")


class Guids:
    """GUIDs from a seeded generator: the same seed gives the same ids."""

    def __init__(self, seed: int | str) -> None:
        self._rng = random.Random(f"guids-{seed}")
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            bits = self._rng.getrandbits(128)
        return str(uuid.UUID(int=bits, version=4))


def stable_guid(kind: str, name: str) -> str:
    """The id of seeded reference data (units, codings, ...): the same in every
    run and every seed, so tests and demos can name them."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ledgerbridge:{kind}:{name}"))


def iso_ms(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime; None if not one.

    Values without an offset are UTC (both APIs write UTC stamps without one).
    """
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
