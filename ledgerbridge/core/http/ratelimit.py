"""Rate budgets: go as fast as the vendor allows, and no faster.

Vendors count requests per tenant (company) and API client, sometimes per
endpoint, across everything we send: every flow of a run, every connector of
the tenant that talks to the system, every process. So a budget belongs to a
*connection* (`Connection.rate_budget()`), lives in the state database, and
is shared by all of them; `RateBudgets` hands one object per budget to the
flows of a run. The machinery (slots, waiting, reserving a document, stopping)
is in `budget.py`; this module holds the two ways vendors count:

- `FixedWindowBudget`: a limit per window that the vendor does not report
  (eAccounting: 600 requests a minute per client and endpoint). We count
  every request ourselves and keep at most `limit` in any `window` seconds,
  so the vendor's window, wherever it starts, never sees more.
- `HeaderBudget`: a limit the vendor reports on every answer (Visma.net:
  `X-RateLimit-Limit`, `-Remaining`, `-Reset` = seconds until the window
  resets). What is left is the vendor's latest count minus the requests still
  in flight, which it may not have counted yet.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, Literal

import httpx

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.http.budget import (
    GRANTED,
    Decision,
    RateBudget,
    SharedBudget,
    Ticket,
    WhenSpent,
)
from ledgerbridge.core.state.budgets import BudgetRow, Budgets, BudgetTx

__all__ = [
    "FixedWindowBudget",
    "HeaderBudget",
    "RateBudget",
    "RateBudgets",
    "Ticket",
    "endpoint_key",
    "endpoint_under",
]


class FixedWindowBudget(SharedBudget):
    """At most `limit` requests in any `window` seconds (eAccounting: 600/60 s
    per client and endpoint; Visma PM/Severa: 10/1 s)."""

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Clock,
        name: str = "rate budget",
        *,
        store: Budgets | None = None,
        key: str | None = None,
        when_spent: WhenSpent = "wait",
        max_wait: float | None = None,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        extra = {} if max_wait is None else {"max_wait": max_wait}
        super().__init__(clock, name, store=store, key=key, when_spent=when_spent, **extra)
        self.limit = limit
        self.window = window
        self._granted = 0

    def _rule(self, tx: BudgetTx, now: float, count: int) -> Decision:
        tx.row.mode, tx.row.limit = "window", self.limit
        since = now - self.window
        used = tx.taken_since(since)
        need = min(count, self.limit)
        if used + need <= self.limit:
            self._granted += 1
            if self._granted % 256 == 0:
                tx.drop_older(since)  # keep the table to about one window of requests
            return GRANTED
        tx.drop_older(since)  # requests that left the window no longer count
        return Decision.wait_for(
            self._room_at(tx, since, used, need) - now,
            f"{self.limit} requests in {self.window:g} s used",
        )

    def _room_at(self, tx: BudgetTx, since: float, used: int, need: int) -> float:
        """When enough of the oldest requests have left the window."""
        return tx.nth_oldest(used + need - self.limit, since) + self.window

    def _settle(
        self, tx: BudgetTx, now: float, ticket: Ticket, headers: Mapping[str, str] | None
    ) -> None:
        """Nothing to learn: the request counts until it leaves the window."""

    def _spent_wait(self, tx: BudgetTx, now: float) -> float:
        since = now - self.window
        return self._room_at(tx, since, tx.taken_since(since), 1) - now


_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)")


def _number(value: str | None) -> float | None:
    match = _NUMBER.match(value or "")
    return float(match.group(1)) if match else None


class HeaderBudget(SharedBudget):
    """A budget the vendor reports in response headers (Visma.net:
    `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`).

    Until the vendor's first answer nothing is known, so one request goes at a
    time; a vendor that answers without these headers is not limited here.
    When the window's end passes, the full limit is assumed until the next
    answer says otherwise. Answers from an earlier window that arrive late
    (a slow request) are recognised by their reset time and ignored.
    """

    def __init__(
        self,
        clock: Clock,
        name: str = "rate budget",
        *,
        limit_header: str = "X-RateLimit-Limit",
        remaining_header: str = "X-RateLimit-Remaining",
        reset_header: str = "X-RateLimit-Reset",
        reset_style: Literal["seconds", "epoch"] = "seconds",
        fallback_wait: float = 60.0,
        lease: float = 600.0,
        store: Budgets | None = None,
        key: str | None = None,
        when_spent: WhenSpent = "wait",
        max_wait: float | None = None,
    ) -> None:
        extra = {} if max_wait is None else {"max_wait": max_wait}
        super().__init__(clock, name, store=store, key=key, when_spent=when_spent, **extra)
        self._headers = (limit_header.lower(), remaining_header.lower(), reset_header.lower())
        self._reset_style = reset_style
        self._fallback_wait = fallback_wait
        self._lease = lease  # a slot held longer belongs to a request that will not answer

    def _rule(self, tx: BudgetTx, now: float, count: int) -> Decision:
        row = tx.row
        if row.window_end is not None and now >= row.window_end:
            row.window_end, row.remaining = None, row.limit  # the vendor's window has reset
        if row.mode == "headerless":
            return GRANTED
        held = tx.held()
        if held and not self._fits(row, held, count):
            tx.drop_older(now - self._lease)  # a slot held this long will not be answered
            held = tx.held()
        if self._fits(row, held, count):
            return GRANTED
        if row.remaining is None:
            return Decision.answers("waiting for the vendor's first answer")
        if held > 0:
            return Decision.answers("the window is nearly used; waiting for answers in flight")
        return Decision.wait_for(self._spent_wait(tx, now), f"{_limit(row)} of the window used")

    @staticmethod
    def _fits(row: BudgetRow, held: int, count: int) -> bool:
        if row.remaining is None:  # nothing known: probe with one request at a time
            return held == 0
        need = min(count, row.limit) if row.limit else count
        return row.remaining - held >= need

    def _spent_wait(self, tx: BudgetTx, now: float) -> float:
        if tx.row.window_end is None:
            tx.row.window_end = now + self._fallback_wait
        return tx.row.window_end - now

    def _settle(
        self, tx: BudgetTx, now: float, ticket: Ticket, headers: Mapping[str, str] | None
    ) -> None:
        tx.drop([ticket.slot])
        row = tx.row
        limit, remaining, reset = self._read(headers)
        if remaining is None:
            if headers is not None and row.mode == "unknown":
                row.mode = "headerless"
            elif row.remaining is not None:
                row.remaining -= 1  # no count in the answer (or no answer): assume it counted
            return
        row.mode = "headers"
        if limit is not None:
            row.limit = int(limit)
        end = self._window_end(row, now, reset)
        if end is None or row.window_end is None:
            if row.window_end is None or row.remaining is None:
                row.remaining = int(remaining)
            else:
                row.remaining = min(row.remaining, int(remaining))
            row.window_end = end if end is not None else row.window_end
            return
        tolerance = max(2.0, 0.25 * (row.window_span or 0.0))
        if end > row.window_end + tolerance:  # the first answer of a new window
            row.remaining, row.window_end = int(remaining), end
        elif end >= row.window_end - tolerance:  # the same window: counts only go down
            row.remaining = (
                int(remaining) if row.remaining is None else min(row.remaining, int(remaining))
            )
            row.window_end = min(row.window_end, end)
        # else: an answer from an earlier window, overtaken: it says nothing of this one

    def _window_end(self, row: BudgetRow, now: float, reset: float | None) -> float | None:
        """When the answer's window ends, taken from when the answer arrived:
        never earlier than the vendor's (its reset is rounded up)."""
        if reset is None:
            return None
        seconds = max(0.0, reset - now) if self._reset_style == "epoch" else reset
        row.window_span = max(row.window_span or 0.0, seconds)
        return now + seconds

    def _read(self, headers: Mapping[str, str] | None) -> tuple[float | None, ...]:
        if headers is None:
            return None, None, None
        lower = {k.lower(): v for k, v in headers.items()}
        return tuple(_number(lower.get(h)) for h in self._headers)


def _limit(row: BudgetRow) -> str:
    return f"{row.limit} requests" if row.limit else "all requests"


BudgetKey = tuple[str, str, str | None]
_STATE_KEY = "ledgerbridge.http.rate_budgets"
_VERSION = re.compile(r"^v\d+(\.\d+)*$", re.IGNORECASE)


def endpoint_key(path: str) -> str:
    """The endpoint a vendor counts a request against: the first path segment
    that is not an API version (`/v2/customers/42` -> `customers`)."""
    if "://" in path:
        path = httpx.URL(path).path
    for part in path.split("?", 1)[0].split("/"):
        if part and not _VERSION.match(part):
            return part.lower()
    return ""


def endpoint_under(base_url: str) -> Callable[[str], str]:
    """The endpoint of a request path below an API's base URL
    (`/eaccounting/v2/customers/1` under `.../eaccounting/v2/` -> `customers`),
    so an API mounted under a prefix (the sandbox's) counts its endpoints as
    it does at the vendor's own base, not all as one `eaccounting`."""
    base_path = httpx.URL(base_url).path.rstrip("/") if base_url else ""

    def endpoint_of(path: str) -> str:
        if "://" in path:
            path = httpx.URL(path).path
        if base_path and (path == base_path or path.startswith(base_path + "/")):
            path = path[len(base_path) :]
        return endpoint_key(path)

    return endpoint_of


class RateBudgets:
    """The run's budget objects, one per tenant+API(+endpoint), created on first use.

    The counts live in the budget's store; sharing the object within a run
    also shares its waiting (one sleeper) and the documents reserved by each
    thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._budgets: dict[BudgetKey, RateBudget] = {}

    @classmethod
    def of(cls, state: MutableMapping[str, Any]) -> RateBudgets:
        """The registry kept in a run's shared state (`RunContext.state`)."""
        registry = state.setdefault(_STATE_KEY, cls())
        if not isinstance(registry, RateBudgets):
            raise TypeError(f"{_STATE_KEY} in the run state is not a RateBudgets")
        return registry

    def get(
        self,
        tenant: str,
        api: str,
        factory: Callable[[], RateBudget],
        endpoint: str | None = None,
    ) -> RateBudget:
        """The budget for this key; `factory` builds it the first time only."""
        key = (tenant, api, endpoint)
        with self._lock:
            budget = self._budgets.get(key)
            if budget is None:
                budget = self._budgets[key] = factory()
            return budget

    def per_endpoint(
        self,
        tenant: str,
        api: str,
        factory: Callable[[], RateBudget],
        endpoint_of: Callable[[str], str] = endpoint_key,
    ) -> Callable[[str], RateBudget]:
        """A selector for `ApiClient(rate_budget=...)` when the vendor counts
        each endpoint separately."""
        return lambda path: self.get(tenant, api, factory, endpoint_of(path))
