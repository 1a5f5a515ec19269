"""Retries: what is retried, how long the client waits, and when it gives up."""

from __future__ import annotations

import random

import httpx
import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.http import ApiError, RetryPolicy, TransientApiError, parse_retry_after


def ok(body: object = None) -> httpx.Response:
    return httpx.Response(200, json=body if body is not None else {"ok": True})


def test_429_with_retry_after_seconds_waits_that_long(make_client, clock: FakeClock) -> None:
    client, script = make_client(httpx.Response(429, headers={"Retry-After": "7"}), ok())
    assert client.get_json("customer") == {"ok": True}
    assert clock.sleeps == [7.0]
    assert len(script.requests) == 2


def test_429_with_retry_after_http_date_uses_the_clock(make_client, clock: FakeClock) -> None:
    # FakeClock starts at 2026-01-01T00:00:00Z, a Thursday.
    retry_at = "Thu, 01 Jan 2026 00:00:30 GMT"
    client, _ = make_client(httpx.Response(429, headers={"Retry-After": retry_at}), ok())
    client.get_json("customer")
    assert clock.sleeps == [30.0]


def test_post_is_retried_on_429(make_client, clock: FakeClock) -> None:
    client, script = make_client(httpx.Response(429, headers={"Retry-After": "2"}), ok())
    client.post_json("customer", {"name": {"value": "Acme"}})
    assert [r.method for r in script.requests] == ["POST", "POST"]
    assert script.requests[1].content == script.requests[0].content
    assert clock.sleeps == [2.0]


def test_5xx_then_success_backs_off_exponentially(make_client, clock: FakeClock) -> None:
    client, script = make_client(
        httpx.Response(503), httpx.Response(502), httpx.Response(500), ok({"n": 1})
    )
    assert client.get_json("customer") == {"n": 1}
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert len(script.requests) == 4


def test_exhausted_retries_say_how_many_attempts_and_the_last_failure(
    make_client, clock: FakeClock
) -> None:
    steps = [httpx.Response(503)] * 4 + [
        httpx.Response(504, json={"message": "Gateway timed out upstream"})
    ]
    client, script = make_client(*steps)
    with pytest.raises(TransientApiError) as info:
        client.get_json("customer")
    err = info.value
    assert len(script.requests) == 5
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0]
    assert err.attempts == 5
    assert err.status == 504
    assert err.retryable is True
    assert str(err) == (
        "visma_net: GET https://api.example.test/v1/customer failed after 5 attempts; "
        "last failure: answered 504 Gateway Timeout: Gateway timed out upstream"
    )


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_other_4xx_are_never_retried(make_client, clock: FakeClock, status: int) -> None:
    client, script = make_client(httpx.Response(status, json={"message": "no"}))
    with pytest.raises(ApiError) as info:
        client.put_json("customer/1", {"x": 1})
    assert not isinstance(info.value, TransientApiError)
    assert info.value.status == status
    assert len(script.requests) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize("failure", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError])
def test_post_not_retried_when_it_may_have_reached_the_server(
    make_client, clock: FakeClock, failure: type[httpx.TransportError]
) -> None:
    client, script = make_client(failure, ok())
    with pytest.raises(TransientApiError) as info:
        client.post_json("customerinvoice", {"x": 1})
    assert len(script.requests) == 1
    assert clock.sleeps == []
    assert info.value.may_have_reached_server is True
    assert "not retried because the request is not idempotent" in str(info.value)
    assert failure.__name__ in str(info.value)


def test_post_not_retried_after_5xx(make_client) -> None:
    client, script = make_client(httpx.Response(500), ok())
    with pytest.raises(TransientApiError) as info:
        client.post_json("customerinvoice", {"x": 1})
    assert len(script.requests) == 1
    assert info.value.status == 500
    assert info.value.may_have_reached_server is True


def test_post_retried_after_read_timeout_when_declared_idempotent(
    make_client, clock: FakeClock
) -> None:
    client, script = make_client(httpx.ReadTimeout, httpx.Response(500), ok({"id": 7}))
    assert client.post_json("customerinvoice", {"x": 1}, idempotent=True) == {"id": 7}
    assert len(script.requests) == 3
    assert clock.sleeps == [0.5, 1.0]


def test_get_retried_after_read_timeout(make_client, clock: FakeClock) -> None:
    client, script = make_client(httpx.ReadTimeout, ok())
    client.get_json("customer")
    assert len(script.requests) == 2


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ConnectTimeout])
def test_connect_errors_are_retried_even_for_post(
    make_client, clock: FakeClock, failure: type[httpx.TransportError]
) -> None:
    client, script = make_client(failure, failure, httpx.Response(201, json={"id": 1}))
    assert client.post_json("customer", {"x": 1}) == {"id": 1}
    assert len(script.requests) == 3
    assert clock.sleeps == [0.5, 1.0]


def test_connect_errors_exhausted(make_client) -> None:
    client, script = make_client(*[httpx.ConnectError] * 5)
    with pytest.raises(TransientApiError) as info:
        client.get_json("customer")
    assert len(script.requests) == 5
    assert "failed after 5 attempts; last failure: ConnectError: simulated network failure" in str(
        info.value
    )
    assert info.value.status is None


def test_unsupported_protocol_is_not_retried(make_client) -> None:
    client, script = make_client(httpx.UnsupportedProtocol)
    with pytest.raises(ApiError) as info:
        client.get_json("customer")
    assert not isinstance(info.value, TransientApiError)
    assert len(script.requests) == 1


def test_retry_after_longer_than_allowed_gives_up(make_client, clock: FakeClock) -> None:
    policy = RetryPolicy(jitter="none", max_retry_after=120)
    client, script = make_client(httpx.Response(429, headers={"Retry-After": "3600"}), retry=policy)
    with pytest.raises(TransientApiError) as info:
        client.get_json("customer")
    assert clock.sleeps == []
    assert "asked to wait longer than 120 s" in str(info.value)
    assert len(script.requests) == 1


def test_full_jitter_stays_below_the_exponential_cap() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=10, jitter="full", rng=random.Random(42))
    delays = [policy.backoff(n) for n in (1, 2, 3, 4, 5, 6)]
    caps = [1, 2, 4, 8, 10, 10]
    assert all(0 <= d <= c for d, c in zip(delays, caps, strict=True))
    again = RetryPolicy(base_delay=1, max_delay=10, jitter="full", rng=random.Random(42))
    assert [again.backoff(n) for n in (1, 2, 3, 4, 5, 6)] == delays  # seeded: reproducible


def test_equal_jitter_keeps_half_of_the_backoff() -> None:
    policy = RetryPolicy(base_delay=2, max_delay=60, jitter="equal", rng=random.Random(1))
    for n in range(1, 6):
        cap = min(60, 2 * 2 ** (n - 1))
        assert cap / 2 <= policy.backoff(n) <= cap


def test_parse_retry_after_forms() -> None:
    now = 1_767_225_600.0
    assert parse_retry_after("12", now) == 12.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", now) == 60.0
    assert parse_retry_after("Wed, 31 Dec 2025 23:00:00 GMT", now) == 0.0  # in the past
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_503_with_retry_after_is_honoured(make_client, clock: FakeClock) -> None:
    client, _ = make_client(httpx.Response(503, headers={"Retry-After": "15"}), ok())
    client.get_json("customer")
    assert clock.sleeps == [15.0]


def test_retry_after_header_lookup_ignores_case(clock: FakeClock) -> None:
    policy = RetryPolicy(jitter="none")
    assert policy.delay(1, {"Retry-After": "3"}, clock) == 3.0
    assert policy.delay(1, {}, clock) == 0.5
