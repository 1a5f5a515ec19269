"""Vendor-style rate limiting on the emulator's clock.

Both emulated vendors use fixed windows: eAccounting allows 600 requests a
minute per client and endpoint and answers a 429 with its own error body;
Visma.net allows N requests an hour per company and client and reports the
budget in X-RateLimit-Limit/-Remaining/-Reset(/-Policy) on every response,
with Retry-After on a 429. Windows are aligned to the clock (a one-hour window
resets on the hour), so a FakeClock makes them exact in tests.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.sandbox.messages import Request, Response, json_response

_PRUNE_AT = 10_000  # keys kept before windows that ended are forgotten


@dataclass(frozen=True)
class RateState:
    """The budget of one key after a request was counted (or refused)."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: int  # whole seconds until the window resets


class FixedWindowLimiter:
    """`limit` requests per `window` seconds per key."""

    def __init__(
        self, clock: Clock, *, limit: int, window: float, policy: str | None = None
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")
        self.clock = clock
        self.limit = limit
        self.window = window
        self.policy = policy
        self._counts: dict[Hashable, tuple[int, int]] = {}  # key -> (window index, count)
        self._lock = threading.Lock()

    def hit(self, key: Hashable) -> RateState:
        """Count one request for `key`; refused requests are not counted."""
        now = self.clock.now()
        index = int(now // self.window)
        with self._lock:
            seen_index, count = self._counts.get(key, (index, 0))
            if seen_index != index:
                count = 0
            allowed = count < self.limit
            if allowed:
                count += 1
            self._counts[key] = (index, count)
            if len(self._counts) > _PRUNE_AT:
                self._prune(index)
        return RateState(allowed, self.limit, self.limit - count, self._reset_after(now, index))

    def peek(self, key: Hashable) -> RateState:
        """The budget without counting a request."""
        now = self.clock.now()
        index = int(now // self.window)
        with self._lock:
            seen_index, count = self._counts.get(key, (index, 0))
        used = count if seen_index == index else 0
        return RateState(
            used < self.limit, self.limit, self.limit - used, self._reset_after(now, index)
        )

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def _reset_after(self, now: float, index: int) -> int:
        return max(1, math.ceil((index + 1) * self.window - now))

    def _prune(self, index: int) -> None:
        for key in [k for k, (i, _) in self._counts.items() if i != index]:
            del self._counts[key]


def rate_limit_headers(state: RateState, policy: str | None = None) -> list[tuple[str, str]]:
    """Visma.net's informational headers, sent on every response."""
    headers = [
        ("X-RateLimit-Limit", str(state.limit)),
        ("X-RateLimit-Remaining", str(state.remaining)),
        ("X-RateLimit-Reset", str(state.reset_after)),
    ]
    if policy:
        headers.append(("X-RateLimit-Policy", policy))
    return headers


def default_too_many(request: Request, state: RateState) -> Response:
    return json_response({"message": "Rate limit exceeded"}, 429)


def rate_limit(
    limiter: FixedWindowLimiter,
    *,
    key: Callable[[Request], Hashable],
    too_many: Callable[[Request, RateState], Response] | None = None,
    headers: bool = False,
) -> Callable[[Request, Callable[[Request], Response]], Response]:
    """Middleware enforcing `limiter` per `key(request)`.

    `too_many` builds the vendor's 429 body (Retry-After is added); `headers`
    adds the X-RateLimit-* headers to every response, refused or not.
    """
    refuse = too_many or default_too_many

    def limited(request: Request, call_next: Callable[[Request], Response]) -> Response:
        state = limiter.hit(key(request))
        if state.allowed:
            response = call_next(request)
        else:
            response = refuse(request, state)
            response.status = 429
            response.set_header("Retry-After", str(state.reset_after))
        if headers:
            for name, value in rate_limit_headers(state, limiter.policy):
                response.set_header(name, value)
        return response

    return limited
