"""What every rate budget does, whatever the vendor's rule: count, wait, stop.

A `SharedBudget` keeps its counts in a `BudgetStore` (the state database, so
every thread, run and process using the connection shares them) and asks its
rule (`ratelimit.py`) whether a request may go now. Three promises:

- **Requests in flight count.** A request holds a *slot* from `acquire()`
  until `release()` hands back its answer, and the rule subtracts held slots
  from what the vendor last said was left: an answer never makes the
  requests still on their way look free.
- **Nobody sleeps holding a lock.** A decision is one short transaction; the
  waiting happens after it. Threads that must wait for the same thing queue
  behind one sleeper (so a fake clock advances once, not once per thread),
  while answers keep being counted.
- **A document is sent whole or not at all.** `reserve(n)` takes the n calls
  of one document (an invoice and its attachment) together, before the first
  is sent; inside it nothing stops. When the window is spent, a budget set to
  `when_spent="stop"` raises `BudgetExhausted` at that boundary (or before a
  lone request), never between two calls of one document; one set to
  `"wait"` (the default) waits for the window.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.errors import BudgetExhausted
from ledgerbridge.core.state.budgets import Budgets, BudgetStore, BudgetTx

log = logging.getLogger("ledgerbridge.http")

WhenSpent = Literal["wait", "stop"]
WHEN_SPENT: tuple[WhenSpent, ...] = ("wait", "stop")
STOP_AFTER = 60.0
"""In "stop" mode, a wait up to this long (a short pause, a sliding window) is still taken."""
ANSWER_POLL = 0.05
"""Real seconds between looks for answers to other processes' requests."""
ANSWER_PATIENCE = 120.0
"""Real seconds to wait for held slots to be answered before treating the window as spent."""
MIN_WAIT = 0.01


@dataclass(frozen=True)
class Ticket:
    """One counted request: the slot it holds and when it was sent."""

    slot: int
    taken_at: float


@runtime_checkable
class RateBudget(Protocol):
    """What the client calls around every request."""

    def acquire(self) -> Ticket | None:
        """Count one request, waiting first if the budget is spent; returns the
        ticket to hand back to `release` (None: nothing to hand back)."""

    def release(self, ticket: Ticket | None, headers: Mapping[str, str] | None = None) -> None:
        """The request is over: the headers of its answer, or None when no answer came."""

    def pause(self, seconds: float) -> None:
        """The vendor throttled us (429): hold every user of this budget back."""


@dataclass(frozen=True)
class Decision:
    """A rule's answer: go now, wait `wait` seconds, or wait for answers in flight."""

    granted: bool
    wait: float = 0.0
    why: str = ""
    pending: bool = False

    @classmethod
    def wait_for(cls, seconds: float, why: str) -> Decision:
        return cls(False, max(MIN_WAIT, seconds), why)

    @classmethod
    def answers(cls, why: str) -> Decision:
        """Held slots may come back with room to spare: wait for them, not for time."""
        return cls(False, 0.0, why, pending=True)


GRANTED = Decision(True)


class _Waker:
    """Wakes threads waiting for answers when one arrives (in this process)."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.generation = 0

    def wake(self) -> None:
        with self.cond:
            self.generation += 1
            self.cond.notify_all()

    def wait(self, seen: int, timeout: float) -> None:
        with self.cond:
            if self.generation == seen:
                self.cond.wait(timeout)


_wakers: dict[tuple[str, str], _Waker] = {}
_wakers_lock = threading.Lock()


def _waker(store: str, key: str) -> _Waker:
    """One per budget and database in the process, so budget objects sharing
    a database wake each other."""
    with _wakers_lock:
        return _wakers.setdefault((store, key), _Waker())


class SharedBudget:
    """A budget kept in a store; subclasses give the vendor's rule (`_rule`,
    `_settle`). `name` appears in logs and messages; `key` names the budget in
    the store (a connection: "acme/visma")."""

    def __init__(
        self,
        clock: Clock,
        name: str,
        *,
        store: Budgets | None = None,
        key: str | None = None,
        when_spent: WhenSpent = "wait",
        max_wait: float = STOP_AFTER,
    ) -> None:
        if when_spent not in WHEN_SPENT:
            raise ValueError(f"when_spent must be one of {WHEN_SPENT}, not {when_spent!r}")
        self._clock = clock
        self.name = name
        self._store: Budgets = store if store is not None else BudgetStore(None)
        self.key = key or name
        self.when_spent: WhenSpent = when_spent
        self.max_wait = max_wait
        self.waited = 0.0  # total seconds this budget made requests wait
        self._sleeping = threading.Lock()
        self._local = threading.local()
        self._waker = _waker(self._store.identity, self.key)

    # -- what the client calls -------------------------------------------------

    def acquire(self) -> Ticket:
        reserved = next((slots for slots in reversed(self._documents()) if slots), None)
        if reserved is not None:  # a call of a document reserved as a whole
            slot = reserved.pop(0)
            with self._store.transaction(self.key) as tx:
                now = self._clock.now()
                kept = tx.retime(slot, now)
            if kept:
                return Ticket(slot, now)
        (ticket,) = self._take(1, may_stop=not self._documents())
        return ticket

    def release(self, ticket: Ticket | None, headers: Mapping[str, str] | None = None) -> None:
        if ticket is None:
            return
        with self._store.transaction(self.key) as tx:
            self._settle(tx, self._clock.now(), ticket, headers)
        self._waker.wake()

    def pause(self, seconds: float) -> None:
        with self._store.transaction(self.key) as tx:
            until = self._clock.now() + max(0.0, seconds)
            tx.row.blocked_until = max(tx.row.blocked_until, until)

    @contextmanager
    def reserve(self, calls: int) -> Iterator[None]:
        """Take the `calls` requests of one document before its first is sent.

        Inside, `acquire` uses them (and never stops the run: a document is
        not left half sent); what is left unused is given back on exit. This
        is the only place besides a lone request where "stop" stops.
        """
        documents = self._documents()
        if calls < 1:
            yield
            return
        slots = [t.slot for t in self._take(calls, may_stop=not documents)]
        documents.append(slots)
        try:
            yield
        finally:
            documents.pop()
            if slots:
                with self._store.transaction(self.key) as tx:
                    tx.drop(slots)
                self._waker.wake()

    def status(self) -> dict[str, Any]:
        """What the store knows, for operators (`ledgerbridge connection show`)."""
        return budget_status(self._store, self.key)

    # -- the loop ----------------------------------------------------------------

    def _documents(self) -> list[list[int]]:
        documents: list[list[int]] | None = getattr(self._local, "documents", None)
        if documents is None:
            documents = self._local.documents = []
        return documents

    def _take(self, count: int, may_stop: bool) -> list[Ticket]:
        patience = time.monotonic() + ANSWER_PATIENCE
        while True:
            seen = self._waker.generation
            with self._store.transaction(self.key) as tx:
                now = self._clock.now()
                decision = self._decide(tx, now, count, time.monotonic() > patience)
                if decision.pending and tx.drop_dead_holders():
                    decision = self._decide(tx, now, count, False)
                if decision.granted:
                    return [Ticket(slot, now) for slot in tx.take(count, now)]
            if decision.pending:
                self._waker.wait(seen, ANSWER_POLL)
                continue
            if may_stop and self.when_spent == "stop" and decision.wait > self.max_wait:
                raise BudgetExhausted(self.name, now + decision.wait, decision.why)
            self._sleep_until(now + decision.wait, decision.why)
            patience = time.monotonic() + ANSWER_PATIENCE

    def _decide(self, tx: BudgetTx, now: float, count: int, impatient: bool) -> Decision:
        if tx.row.blocked_until > now:
            return Decision.wait_for(tx.row.blocked_until - now, "throttled by the vendor (429)")
        decision = self._rule(tx, now, count)
        if decision.pending and impatient:  # held slots nobody answers: count them as spent
            return Decision.wait_for(self._spent_wait(tx, now), decision.why)
        return decision

    def _sleep_until(self, until: float, why: str) -> None:
        # Outside any transaction: answers keep being counted while we wait.
        # One sleeper per budget object; the others queue here and find the
        # time already passed.
        with self._sleeping:
            left = until - self._clock.now()
            if left > 0:
                log.info("%s: %s; waiting %.1f s", self.name, why, left)
                self.waited += left
                self._clock.sleep(left)

    # -- the vendor's rule ---------------------------------------------------------

    def _rule(self, tx: BudgetTx, now: float, count: int) -> Decision:
        """May `count` requests go now? Take nothing: the caller takes the slots."""
        raise NotImplementedError

    def _settle(
        self, tx: BudgetTx, now: float, ticket: Ticket, headers: Mapping[str, str] | None
    ) -> None:
        """A counted request is over; learn from its answer's headers."""
        raise NotImplementedError

    def _spent_wait(self, tx: BudgetTx, now: float) -> float:
        """How long until the window has room again, ignoring held slots."""
        raise NotImplementedError


def budget_status(store: Budgets, key: str) -> dict[str, Any]:
    found = store.snapshot(key)
    if found is None:
        return {"key": key, "used": False}
    row, held = found
    return {
        "key": key,
        "used": True,
        "mode": row.mode,
        "limit": row.limit,
        "remaining": row.remaining,
        "held": held,
        "window_end": row.window_end,
        "blocked_until": row.blocked_until or None,
    }
