"""What happens to one record, as data: decided on the engine's thread, the
remote part possibly done in a worker, committed back on the engine's thread
in source order.

Keeping commits in source order is what lets writes overlap without changing
the engine's promises: the cursor still only moves across a prefix of records
that are all recorded, so a crash never skips one.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from ledgerbridge.core.components import Candidate, WriteResult
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.plan import Plan
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.core.state.db import LinkWrite
from ledgerbridge.core.state.links import Link, Side


@dataclass(frozen=True)
class Linked:
    """What the links say about one record of a flow."""

    link: Link | None = None
    source: Side | None = None  # the record's own side, in S
    target: Side | None = None  # its side in T: the binding a target is given
    replaced: Side | None = None  # the side it takes over (Record.replaces)
    matched: Candidate | None = None  # paired at first sync in this run

    def binding(self, key: str) -> Binding | None:
        return Binding.of(key, self.target) if self.target is not None else None


@dataclass(frozen=True)
class Succeeded:
    result: WriteResult
    action: str


@dataclass(frozen=True)
class Skipped:
    action: str
    reason: str | None = None
    clear_intent: bool = False  # linked and settled: a pending create is moot


@dataclass(frozen=True)
class Planned:
    verb: str
    plan: Plan | None = None  # the target's details: field changes, remote id, why


@dataclass(frozen=True)
class Failed:
    error: RecordError
    clear_intent: bool = False  # a definite rejection after an intent: nothing was written
    link: LinkWrite | None = None  # a document found to exist despite the failure
    action: str | None = None  # "conflict": reported, and the cursor is not held back


Outcome = Succeeded | Skipped | Planned | Failed


@dataclass
class Step:
    """One record in the window of records under way."""

    entity: str
    key: str
    record: Record | None
    work: Callable[[], Outcome] | None = None  # the remote part, if any
    linked: Linked = field(default_factory=Linked)  # what the links say about it
    source_hash: str | None = None  # the record's hash as the source yielded it
    partition: str | None = None  # whose cursor a failure holds back
    origin: str | None = None  # the source unit (file) a failure keeps unsettled
    outcome: Outcome | None = None
    future: Future[Outcome] | None = field(default=None, repr=False)

    def ready(self) -> bool:
        return self.outcome is not None or (self.future is not None and self.future.done())

    def result(self) -> Outcome:
        """The outcome, waiting for the worker if needed (re-raises what it raised)."""
        if self.outcome is None:
            if self.future is not None:
                self.outcome = self.future.result()
            elif self.work is not None:
                self.outcome = self.work()
        assert self.outcome is not None
        return self.outcome
