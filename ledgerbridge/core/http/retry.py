"""When and how long to wait before trying a request again.

Vendors throttle (429) and have bad minutes (5xx, dropped connections).
Exponential backoff with jitter spreads the retries of many flows so they do
not hit the vendor in step; a `Retry-After` from the vendor always wins over
our own guess. All waiting goes through the injected clock, so tests assert
the exact delays without sleeping.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Literal

import httpx

from ledgerbridge.core.clock import Clock

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

# Errors raised before any byte of the request reached the server: always safe
# to retry, whatever the method.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Errors after which the server may or may not have processed the request.
_MAYBE_SENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class TransportFailure:
    """How the client should treat a network-level exception."""

    retryable: bool
    may_have_reached_server: bool


def classify_transport_error(exc: httpx.TransportError) -> TransportFailure:
    """Connect errors are retried for every method; read timeouts and dropped
    connections only for idempotent requests (the server may have acted)."""
    if isinstance(exc, _NEVER_SENT):
        return TransportFailure(retryable=True, may_have_reached_server=False)
    if isinstance(exc, _MAYBE_SENT):
        return TransportFailure(retryable=True, may_have_reached_server=True)
    # Proxy misconfiguration, unsupported scheme, local protocol bugs: retrying
    # cannot help.
    return TransportFailure(retryable=False, may_have_reached_server=False)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` value (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" zones parse as naive; HTTP dates are UTC
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


@dataclass
class RetryPolicy:
    """How often and how long to retry.

    max_attempts:    total tries of one request, the first included.
    base_delay:      the first backoff (seconds), doubled on each retry.
    max_delay:       cap on our own backoff.
    jitter:          "full" (uniform 0..backoff, the AWS recommendation for
                     many concurrent clients), "equal" (half fixed, half random)
                     or "none" (deterministic).
    rng:             random source for the jitter; seed it in tests.
    max_retry_after: a vendor asking us to wait longer than this ends the
                     retries instead of blocking the run (the record fails as
                     retryable and the next run picks it up).
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 60.0
    jitter: Literal["full", "equal", "none"] = "full"
    rng: random.Random = field(default_factory=random.Random)
    max_retry_after: float = 900.0
    retry_statuses: frozenset[int] = RETRY_STATUSES

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must not be negative")

    def should_retry_status(self, status: int) -> bool:
        return status in self.retry_statuses

    def backoff(self, retry_number: int) -> float:
        """Our own delay before retry `retry_number` (1 for the first retry)."""
        cap = min(self.max_delay, self.base_delay * 2.0 ** (retry_number - 1))
        if self.jitter == "full":
            return self.rng.uniform(0, cap)
        if self.jitter == "equal":
            return cap / 2 + self.rng.uniform(0, cap / 2)
        return cap

    def delay(
        self, retry_number: int, headers: Mapping[str, str] | None, clock: Clock
    ) -> float | None:
        """Seconds to wait before the retry, or None when the vendor asks for
        a longer pause than `max_retry_after`."""
        value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None)
        asked = parse_retry_after(value, clock.now())
        if asked is None:
            return self.backoff(retry_number)
        if asked > self.max_retry_after:
            return None
        return asked
