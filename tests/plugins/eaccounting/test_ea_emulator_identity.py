"""The eAccounting emulator's identity server and gatekeeping: authorization
code, single-use refresh tokens, scopes, the 600/min per endpoint limit."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from ea_support import EA_SCHEMAS, customer

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import testing as ea
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.identity import DEMO_CLIENT

REDIRECT = ea.REDIRECT_URI


def token_form(**form: str) -> dict[str, str]:
    return {"client_id": DEMO_CLIENT.client_id, "client_secret": DEMO_CLIENT.client_secret, **form}


def authorize_query(**extra: str) -> dict[str, str]:
    return {
        "client_id": DEMO_CLIENT.client_id,
        "redirect_uri": REDIRECT,
        "scope": "ea:api offline_access ea:sales",
        "state": "st4te",
        "response_type": "code",
        **extra,
    }


def test_authorize_redirects_with_a_code_that_is_exchanged_once() -> None:
    sandbox, _ = ea.make_sandbox()
    with sandbox.client("eaccounting") as client:
        answer = client.get("/connect/authorize", params=authorize_query())
        assert answer.status_code == 302
        location = urlsplit(answer.headers["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
        query = {k: v[0] for k, v in parse_qs(location.query).items()}
        assert query["state"] == "st4te"
        form = token_form(
            grant_type="authorization_code", code=query["code"], redirect_uri=REDIRECT
        )
        first = client.post("/connect/token", data=form)
        again = client.post("/connect/token", data=form)
    assert first.status_code == 200
    assert {"access_token", "refresh_token", "expires_in"} <= first.json().keys()
    assert first.json()["expires_in"] == 3600
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_a_denied_consent_and_a_missing_ea_api_scope_redirect_with_the_error() -> None:
    sandbox, _ = ea.make_sandbox(settings={"consent": "deny"})
    with sandbox.client("eaccounting") as client:
        denied = client.get("/connect/authorize", params=authorize_query())
    assert parse_qs(urlsplit(denied.headers["Location"]).query)["error"] == ["access_denied"]
    sandbox, _ = ea.make_sandbox()
    with sandbox.client("eaccounting") as client:
        no_api = client.get("/connect/authorize", params=authorize_query(scope="ea:sales"))
        unknown = client.get("/connect/authorize", params=authorize_query(client_id="nobody"))
    assert parse_qs(urlsplit(no_api.headers["Location"]).query)["error"] == ["invalid_scope"]
    assert unknown.status_code == 400 and "Location" not in unknown.headers  # never redirected


def test_refresh_tokens_are_single_use() -> None:
    sandbox, _ = ea.make_sandbox()
    tokens = ea.authorize(sandbox)
    with sandbox.client("eaccounting") as client:
        form = token_form(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
        first = client.post("/connect/token", data=form)
        second = client.post("/connect/token", data=form)
        rotated = client.post(
            "/connect/token",
            data=token_form(
                grant_type="refresh_token", refresh_token=first.json()["refresh_token"]
            ),
        )
    assert first.status_code == 200
    assert first.json()["refresh_token"] != tokens["refresh_token"]
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    assert rotated.status_code == 200


def test_refresh_tokens_only_with_offline_access_and_forms_only() -> None:
    sandbox, _ = ea.make_sandbox()
    assert "refresh_token" not in ea.authorize(sandbox, scope="ea:api ea:sales")
    with sandbox.client("eaccounting") as client:
        as_json = client.post("/connect/token", json=token_form(grant_type="refresh_token"))
    assert as_json.status_code == 400
    assert "x-www-form-urlencoded" in as_json.json()["error_description"]


def test_api_calls_need_a_live_token_with_a_scope_of_the_operation() -> None:
    clock = FakeClock()
    sandbox, _ = ea.make_sandbox(clock=clock)
    with sandbox.client("eaccounting") as anonymous:
        missing = anonymous.get("/v2/customers")
    assert missing.status_code == 401
    assert missing.json()["ErrorCode"] == 401 and missing.json()["ErrorId"]
    with ea.api_client(sandbox, ea.authorize(sandbox, scope="ea:api ea:purchase_readonly")) as api:
        assert api.get("/v2/supplierinvoices").status_code == 200
        refused = api.get("/v2/customers")
        assert refused.status_code == 403
        assert "ea:sales, ea:sales_readonly" in refused.json()["DeveloperErrorMessage"]
    with ea.api_client(sandbox, ea.authorize(sandbox, scope="ea:api ea:sales_readonly")) as api:
        assert api.get("/v2/customers").status_code == 200
        assert api.post("/v2/customers", json=customer()).status_code == 403
        clock.advance(3601)
        expired = api.get("/v2/customers")
    assert expired.status_code == 401
    assert "expired" in expired.headers["WWW-Authenticate"]


def test_600_requests_a_minute_per_client_and_endpoint() -> None:
    clock = FakeClock(start=1_767_225_600.0)  # on a minute boundary
    sandbox, _ = ea.make_sandbox(clock=clock)
    with ea.api_client(sandbox) as api:
        answers = [api.get("/v2/units").status_code for _ in range(601)]
        assert answers[:600] == [200] * 600
        throttled = api.get("/v2/units/" + ea.unit_id())  # the same endpoint
        other = api.get("/v2/articles")  # another endpoint has its own budget
        clock.advance(60)
        again = api.get("/v2/units")
    assert answers[600] == 429
    assert throttled.status_code == 429
    body: dict[str, Any] = throttled.json()
    assert body["ErrorCode"] == 4010
    assert (
        body["DeveloperErrorMessage"]
        == "API calls quota exceeded! maximum admitted 600 per Minute."
    )
    assert int(throttled.headers["Retry-After"]) >= 1
    assert EA_SCHEMAS.validate("CommonExtendedBadRequest", body) == []
    assert other.status_code == 200 and again.status_code == 200


@pytest.mark.parametrize("status", [500, 503])
def test_injected_faults_answer_in_the_vendor_error_shape(status: int) -> None:
    sandbox, _ = ea.make_sandbox()
    sandbox.faults.add(f"GET /v2/customers: {status} x1")
    with ea.api_client(sandbox) as api:
        failed = api.get("/v2/customers")
        ok = api.get("/v2/customers")
    assert failed.status_code == status
    assert EA_SCHEMAS.validate("CommonExtendedBadRequest", failed.json()) == []
    assert failed.json()["ErrorCode"] == status
    assert ok.status_code == 200


def test_issued_tokens_never_reach_the_journal() -> None:
    sandbox, _ = ea.make_sandbox()
    tokens = ea.authorize(sandbox)
    with ea.api_client(sandbox, tokens) as api:
        api.get("/v2/customers")
    text = repr([e.to_dict() for e in sandbox.journal.entries()])
    assert tokens["access_token"] not in text and tokens["refresh_token"] not in text
    assert DEMO_CLIENT.client_secret not in text


def test_a_benchmark_can_shrink_the_window() -> None:
    """rate_window scales the limit in time: 600 per 6 s is 600 a minute, ten times faster."""
    clock = FakeClock(start=1_767_225_600.0)
    sandbox, _ = ea.make_sandbox(clock=clock, settings={"rate_limit": 3, "rate_window": 6})
    with ea.api_client(sandbox) as api:
        answers = [api.get("/v2/units").status_code for _ in range(4)]
        clock.advance(6)
        again = api.get("/v2/units").status_code
    assert answers == [200, 200, 200, 429] and again == 200
