"""The error classifier: consulted before any retry, pluggable per vendor,
and by default exactly the rules the client always had."""

from __future__ import annotations

import httpx
import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http import (
    AUTH,
    NOT_SENT,
    REFUSAL,
    THROTTLED,
    TRANSIENT,
    ApiAuthError,
    ApiError,
    Failure,
    FixedWindowBudget,
    HeaderAuth,
    Outcome,
    TransientApiError,
    VendorError,
    Verdict,
    chain_classifiers,
    default_verdict,
    throttled,
)

REQUEST = httpx.Request("GET", "https://api.example.test/v1/customer")


def failure_for(status: int) -> Failure:
    return Failure(REQUEST, 1, response=httpx.Response(status, request=REQUEST))


@pytest.mark.parametrize(
    "status, verdict",
    [
        (400, REFUSAL),
        (403, REFUSAL),
        (404, REFUSAL),
        (409, REFUSAL),
        (422, REFUSAL),
        (401, AUTH),
        (429, THROTTLED),
        (500, TRANSIENT),
        (502, TRANSIENT),
        (503, TRANSIENT),
        (504, TRANSIENT),
        (408, Verdict(Outcome.REFUSAL, definite=False)),
        (501, REFUSAL),
        (200, REFUSAL),  # a 2xx that a detect_error found an error in
    ],
)
def test_default_verdicts(status: int, verdict: Verdict) -> None:
    assert default_verdict(failure_for(status)) == verdict


@pytest.mark.parametrize(
    "exc, verdict",
    [
        (httpx.ConnectError, NOT_SENT),
        (httpx.ConnectTimeout, NOT_SENT),
        (httpx.ReadTimeout, TRANSIENT),
        (httpx.RemoteProtocolError, TRANSIENT),
        (httpx.UnsupportedProtocol, REFUSAL),
    ],
)
def test_default_verdicts_for_network_errors(exc: type[httpx.TransportError], verdict) -> None:
    failure = Failure(REQUEST, 1, exception=exc("x", request=REQUEST))
    assert default_verdict(failure) == verdict


def test_a_policy_without_a_status_makes_it_a_non_definite_refusal() -> None:
    verdict = default_verdict(failure_for(503), retry_statuses=frozenset({429}))
    assert verdict == Verdict(Outcome.REFUSAL, definite=False)


def test_chain_takes_the_first_opinion_and_skips_none() -> None:
    calls: list[str] = []

    def silent(f: Failure) -> Verdict | None:
        calls.append("silent")
        return None

    def firm(f: Failure) -> Verdict | None:
        calls.append("firm")
        return REFUSAL

    chained = chain_classifiers(None, silent, firm, lambda f: TRANSIENT)
    assert chained(failure_for(503)) is REFUSAL
    assert calls == ["silent", "firm"]
    assert chain_classifiers()(failure_for(503)) is None


# ---------------------------------------------------------------- in the client


def vendor_codes(f: Failure) -> Verdict | None:
    """A vendor whose error code says more than its HTTP status."""
    code = f.vendor_code
    if code == "LOCKED_TRY_LATER":
        return TRANSIENT
    if code == "PERMANENT":
        return REFUSAL
    if code == "SLOW_DOWN":
        return throttled(retry_after=12)
    if code == "BAD_KEY":
        return AUTH
    return None


def coded(status: int, code: str) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": f"vendor says {code}"})


def test_a_plugin_turns_a_4xx_into_a_transient_failure(make_client, clock: FakeClock) -> None:
    client, script = make_client(
        coded(409, "LOCKED_TRY_LATER"), httpx.Response(200, json={}), classifier=vendor_codes
    )
    assert client.get_json("customer") == {}
    assert len(script.requests) == 2 and clock.sleeps == [0.5]


def test_a_plugin_turns_a_5xx_into_a_definite_refusal(make_client, clock: FakeClock) -> None:
    client, script = make_client(coded(503, "PERMANENT"), classifier=vendor_codes)
    with pytest.raises(ApiError) as info:
        client.get_json("customer")
    assert type(info.value) is ApiError and info.value.definite is True
    assert info.value.to_record_error().retryable is False
    assert len(script.requests) == 1 and clock.sleeps == []


def test_throttled_pauses_the_budget_and_retries_a_post(make_client, clock: FakeClock) -> None:
    budget = FixedWindowBudget(100, 60, clock)
    client, script = make_client(
        coded(400, "SLOW_DOWN"),
        httpx.Response(201, json={"id": 1}),
        classifier=vendor_codes,
        rate_budget=budget,
    )
    assert client.post_json("customer", {"name": "Acme"}) == {"id": 1}
    assert [r.method for r in script.requests] == ["POST", "POST"]
    assert clock.sleeps == [12.0]


def test_a_throttle_longer_than_the_policy_allows_ends_the_retries(make_client) -> None:
    def long_wait(f: Failure) -> Verdict:
        return throttled(retry_after=3600)

    client, script = make_client(httpx.Response(400), classifier=long_wait)
    with pytest.raises(TransientApiError, match="asked to wait longer than 900 s"):
        client.get_json("customer")
    assert len(script.requests) == 1


def test_an_auth_fault_is_never_retried_and_raises_the_auth_message(
    make_client, clock: FakeClock
) -> None:
    key = HeaderAuth({"X-Api-Key": "k-123456"}, "The API key was refused: renew it.")
    client, script = make_client(coded(403, "BAD_KEY"), classifier=vendor_codes, auth=key)
    with pytest.raises(AuthError, match=r"The API key was refused: renew it\.") as info:
        client.get_json("customer")
    assert isinstance(info.value.__cause__, ApiError)
    assert len(script.requests) == 1 and clock.sleeps == []


def test_an_auth_fault_without_an_auth_is_both_api_and_auth_error(make_client) -> None:
    client, script = make_client(httpx.Response(401, json={"message": "bad token"}))
    with pytest.raises(ApiAuthError) as info:
        client.get_json("customer")
    assert isinstance(info.value, ApiError) and isinstance(info.value, AuthError)
    assert info.value.status == 401 and "bad token" in str(info.value)
    assert len(script.requests) == 1


def test_transient_verdict_on_a_post_is_not_resent(make_client, clock: FakeClock) -> None:
    client, script = make_client(coded(409, "LOCKED_TRY_LATER"), classifier=vendor_codes)
    with pytest.raises(TransientApiError) as info:
        client.post_json("customer", {"name": "Acme"})
    assert info.value.may_have_reached_server is True
    assert len(script.requests) == 1 and clock.sleeps == []


def test_the_classifier_sees_network_errors(make_client, clock: FakeClock) -> None:
    seen: list[Failure] = []

    def record(f: Failure) -> Verdict | None:
        seen.append(f)
        return NOT_SENT if isinstance(f.exception, httpx.ReadTimeout) else None

    client, script = make_client(httpx.ReadTimeout, httpx.Response(201, json={}), classifier=record)
    # A vendor known to drop reads only before processing: the POST is resent.
    assert client.post_json("customer", {}) == {}
    assert seen[0].response is None and seen[0].status is None
    assert seen[0].attempt == 1 and len(script.requests) == 2


def test_the_body_is_parsed_once_per_failure(make_client) -> None:
    parsed: list[int] = []

    def parser(response: httpx.Response) -> VendorError | None:
        parsed.append(response.status_code)
        return VendorError(message="nope", code="X1")

    seen: list[str | None] = []

    def record(f: Failure) -> Verdict | None:
        seen.append(f.vendor_code)
        return None

    client, _ = make_client(
        httpx.Response(503), httpx.Response(400), error_parser=parser, classifier=record
    )
    with pytest.raises(ApiError) as info:
        client.get_json("customer")
    assert parsed == [503, 400] and seen == ["X1", "X1"]
    assert info.value.vendor_code == "X1" and info.value.attempts == 2


def test_detect_error_makes_a_2xx_a_classified_failure(make_client, clock: FakeClock) -> None:
    def detect(response: httpx.Response) -> VendorError | None:
        body = response.json()
        return None if body.get("ok") else VendorError(message=body["why"], code="BUSY")

    def busy(f: Failure) -> Verdict | None:
        return TRANSIENT if f.vendor_code == "BUSY" else None

    client, script = make_client(
        httpx.Response(200, json={"ok": False, "why": "queue full"}),
        httpx.Response(200, json={"ok": True}),
        httpx.Response(200, json={"ok": False, "why": "no such thing"}),
        classifier=busy,
    )
    assert client.request("GET", "x", detect_error=detect).json() == {"ok": True}
    assert clock.sleeps == [0.5]
    with pytest.raises(ApiError, match="answered 200 OK: no such thing"):
        client.request("GET", "x", detect_error=lambda r: VendorError(message=r.json()["why"]))
    assert len(script.requests) == 3


def test_the_retry_log_names_the_vendor_code(make_client, caplog) -> None:
    client, _ = make_client(coded(503, "E42"), httpx.Response(200, json={}))
    with caplog.at_level("INFO", logger="ledgerbridge.http"):
        client.get_json("customer")
    assert "visma_net: answered 503 [E42]; retry 1 of 4 in 0.50 s" in caplog.text
