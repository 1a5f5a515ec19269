"""Rate budgets: go as fast as the vendor allows, and no faster.

Vendors count requests per tenant (company) and API client, sometimes per
endpoint, across everything we send. Several flows of one run talk to the same
API, so the budget is one shared object per tenant+API(+endpoint), handed out
by a `RateBudgets` registry kept for the whole run. A budget only ever waits
when it is used up; waiting goes through the injected clock.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, Literal, Protocol, runtime_checkable

import httpx

from ledgerbridge.core.clock import Clock

log = logging.getLogger("ledgerbridge.http")


@runtime_checkable
class RateBudget(Protocol):
    """What the client calls around every request."""

    def acquire(self) -> None:
        """Take one request from the budget, waiting first if it is used up."""

    def update_from_headers(self, headers: Mapping[str, str]) -> None:
        """Learn the vendor's view of the budget from a response."""

    def pause(self, seconds: float) -> None:
        """The vendor throttled us (429): hold every user of this budget back."""


class _BudgetBase:
    """Shared locking and the 'hold back after a 429' rule."""

    def __init__(self, clock: Clock, name: str) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._blocked_until = 0.0
        self.name = name
        self.waited = 0.0  # total seconds this budget made requests wait

    def pause(self, seconds: float) -> None:
        with self._lock:
            until = self._clock.monotonic() + max(0.0, seconds)
            self._blocked_until = max(self._blocked_until, until)

    def _wait(self, seconds: float, why: str) -> None:
        # Called with the lock held: others queue behind the waiter, which is
        # what they would do anyway, and the order of requests is kept.
        if seconds <= 0:
            return
        log.info("%s: %s; waiting %.1f s", self.name, why, seconds)
        self.waited += seconds
        self._clock.sleep(seconds)

    def _wait_for_pause(self) -> None:
        self._wait(self._blocked_until - self._clock.monotonic(), "throttled by the vendor")


class FixedWindowBudget(_BudgetBase):
    """At most `limit` requests per `window` seconds (eAccounting: 600/60 s
    per client and endpoint)."""

    def __init__(self, limit: int, window: float, clock: Clock, name: str = "rate budget") -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        super().__init__(clock, name)
        self.limit = limit
        self.window = window
        self._start: float | None = None
        self._used = 0

    def acquire(self) -> None:
        with self._lock:
            self._wait_for_pause()
            now = self._clock.monotonic()
            if self._start is None or now >= self._start + self.window:
                self._start, self._used = now, 0
            if self._used >= self.limit:
                self._wait(self._start + self.window - now, f"{self.limit} requests used")
                self._start, self._used = self._clock.monotonic(), 0
            self._used += 1

    def update_from_headers(self, headers: Mapping[str, str]) -> None:
        """The window is known in advance; headers add nothing."""


_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)")


def _number(value: str | None) -> float | None:
    match = _NUMBER.match(value or "")
    return float(match.group(1)) if match else None


class HeaderBudget(_BudgetBase):
    """A budget the vendor reports in response headers (Visma.net:
    `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` =
    seconds until the window resets).

    Between responses the remaining count is decremented locally, so
    concurrent flows do not all spend the last request. Until the first
    response nothing is known and nothing waits.
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
    ) -> None:
        super().__init__(clock, name)
        self._headers = (limit_header.lower(), remaining_header.lower(), reset_header.lower())
        self._reset_style = reset_style
        self._fallback_wait = fallback_wait
        self.limit: int | None = None
        self.remaining: int | None = None
        self._reset_at: float | None = None  # monotonic

    def acquire(self) -> None:
        with self._lock:
            self._wait_for_pause()
            now = self._clock.monotonic()
            if self._reset_at is not None and now >= self._reset_at:
                self._new_window()
            if self.remaining is not None and self.remaining <= 0:
                wait = self._reset_at - now if self._reset_at is not None else self._fallback_wait
                self._wait(wait, f"{self.limit or 'all'} requests of the window used")
                self._new_window()
            if self.remaining is not None:
                self.remaining -= 1

    def _new_window(self) -> None:
        self.remaining = self.limit
        self._reset_at = None

    def update_from_headers(self, headers: Mapping[str, str]) -> None:
        lower = {k.lower(): v for k, v in headers.items()}
        limit_h, remaining_h, reset_h = self._headers
        limit, remaining, reset = (
            _number(lower.get(limit_h)),
            _number(lower.get(remaining_h)),
            _number(lower.get(reset_h)),
        )
        with self._lock:
            if limit is not None:
                self.limit = int(limit)
            if remaining is not None:
                self.remaining = int(remaining)
            if reset is not None:
                if self._reset_style == "epoch":
                    reset = max(0.0, reset - self._clock.now())
                self._reset_at = self._clock.monotonic() + reset


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


class RateBudgets:
    """The run's budgets, one per tenant+API(+endpoint), created on first use."""

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
