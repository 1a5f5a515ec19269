"""Fixed-window rate limits with vendor 429 bodies and X-RateLimit headers."""

from __future__ import annotations

import httpx
import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.sandbox import FixedWindowLimiter, Sandbox

from .conftest import NOTES, get_token


@pytest.fixture
def limited(clock: FakeClock) -> httpx.Client:
    box = Sandbox([NOTES], clock=clock, settings={"notes": {"rate_limit": 3}})
    client = box.client("notes")
    client.headers["Authorization"] = f"Bearer {get_token(client)}"
    return client


def test_headers_decrement_then_429_then_reset(limited: httpx.Client, clock: FakeClock) -> None:
    remaining = []
    for _ in range(3):
        response = limited.get("/v1/notes")
        assert response.status_code == 200
        remaining.append(response.headers["X-RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    assert response.headers["X-RateLimit-Limit"] == "3"
    assert response.headers["X-RateLimit-Reset"] == "60"
    assert response.headers["X-RateLimit-Policy"] == "4-fixed-window"
    clock.advance(15)
    refused = limited.get("/v1/notes")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "45"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.json()["ErrorCode"] == 4010
    assert "maximum admitted 3 per Minute" in refused.json()["DeveloperErrorMessage"]
    clock.advance(45)
    again = limited.get("/v1/notes")
    assert again.status_code == 200 and again.headers["X-RateLimit-Remaining"] == "2"
    limited.close()


def test_limit_is_per_endpoint(limited: httpx.Client) -> None:
    for _ in range(3):
        limited.get("/v1/notes")
    assert limited.get("/v1/notes").status_code == 429
    assert limited.get("/v2/notes").status_code == 200
    limited.close()


def test_windows_align_to_the_clock(clock: FakeClock) -> None:
    hourly = FixedWindowLimiter(clock, limit=2, window=3600)
    clock.advance(3000)
    assert hourly.hit("k").reset_after == 600
    assert hourly.hit("k").remaining == 0
    assert not hourly.hit("k").allowed
    assert hourly.peek("other").remaining == 2
    clock.advance(600)
    assert hourly.hit("k").allowed
    hourly.reset()
    assert hourly.peek("k").remaining == 2
    with pytest.raises(ValueError):
        FixedWindowLimiter(clock, limit=0, window=1)
