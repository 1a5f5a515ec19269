"""Commits in groups: intents before their writes, outcomes after them.

Committing every record alone cost two SQLite transactions per record, the
larger part of the engine's time. Here:

- the intents of a batch of staged records are committed in one transaction
  before any of their writes is sent (`IntentGroup`), so a crash still finds
  an intent for every write that may have happened;
- outcomes are kept in memory, in source order, and committed together
  (`OutcomeGroup`) every `size` records, after `seconds`, whenever the
  engine needs to read what they wrote (a key yielded again, a record that
  replaces another's link), and at the end of the flow, also when it fails.

A kill before a group commits loses only outcomes whose intents are still
kept: the next run looks those documents up and links what it finds, so
nothing is sent twice and nothing is lost (the kill tests run against it).
No transaction is ever held open while waiting: the budget store and other
threads write on their own connections meanwhile. Observer hooks
(`record_written`, `record_failed`) run after their group committed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.core.state.db import StateDB

DEFAULT_GROUP = 256
INTENT_BATCH = 64  # records staged ahead of their writes, intents in one transaction
GROUP_SECONDS = 0.5  # real time; an operator watching `runs` sees progress this often


@dataclass
class OutcomeGroup:
    state: StateDB
    size: int = DEFAULT_GROUP
    seconds: float = GROUP_SECONDS
    _outcomes: list[Mapping[str, Any]] = field(default_factory=list)
    _after: list[Callable[[], None]] = field(default_factory=list)
    _keys: set[str] = field(default_factory=set)
    _since: float = 0.0

    def holds(self, key: str) -> bool:
        """Is an outcome of this key kept, not yet committed?"""
        return key in self._keys

    def add(self, outcome: Mapping[str, Any], after: Callable[[], None] | None = None) -> None:
        """Keep one record's outcome; `after` runs once it is committed."""
        if not self._outcomes:
            self._since = time.monotonic()
        self._outcomes.append(outcome)
        self._keys.add(str(outcome["key"]))
        if after is not None:
            self._after.append(after)
        if len(self._outcomes) >= self.size or time.monotonic() - self._since >= self.seconds:
            self.flush()

    def flush(self) -> None:
        """Commit what is kept, then run the hooks waiting for it."""
        if self._outcomes:
            outcomes, self._outcomes = self._outcomes, []
            self._keys.clear()
            self.state.record_outcomes(outcomes)
        after, self._after = self._after, []
        for call in after:
            call()

    def __len__(self) -> int:
        return len(self._outcomes)


@dataclass
class IntentGroup:
    state: StateDB
    _intents: list[Mapping[str, Any]] = field(default_factory=list)

    def add(self, intent: Mapping[str, Any]) -> None:
        self._intents.append(intent)

    def flush(self) -> None:
        """Commit the kept intents: called before any of their writes starts."""
        if self._intents:
            intents, self._intents = self._intents, []
            self.state.add_outboxes(intents)
