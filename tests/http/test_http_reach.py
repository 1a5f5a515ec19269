"""Telling the run's problems from a record's: which credential was refused
(`Refusal`), and a URL setting that cannot be right (`WrongUrl`)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ledgerbridge.core.errors import AuthError, ConfigError
from ledgerbridge.core.http import (
    ApiClient,
    ClientCredentials,
    Refusal,
    RetryPolicy,
    TransientApiError,
    UrlSetting,
    WrongUrl,
)

TOKEN_URL = "https://connect.example.test/connect/token"
API = "https://api.example.test/v1/"
API_SETTING = UrlSetting("apiBaseUrl", "the config of acme/visma_net", "https://api.example.test")
TOKEN_SETTING = UrlSetting("tokenUrl", "the config of acme/visma_net", TOKEN_URL)


def token_ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"access_token": "access-1", "expires_in": 3600})


def auth(seen: list[Refusal] | None = None) -> ClientCredentials:
    def explain(refusal: Refusal) -> str:
        if seen is not None:
            seen.append(refusal)
        return f"refused at {refusal.at}: {refusal.reason}"

    return ClientCredentials(
        TOKEN_URL,
        "client-abc",
        "s3cr3t-client-value",
        "read",
        {"tenant_id": "tenant-secret-42"},
        name="Visma.net",
        rejected_message=explain,
        token_url_setting=TOKEN_SETTING,
    )


@pytest.fixture
def client(make_client: Any) -> Any:
    """`client(*steps, seen=...)`: an ApiClient with named URL settings."""

    def make(*steps: Any, seen: list[Refusal] | None = None) -> tuple[ApiClient, Any]:
        return make_client(
            *steps, auth=auth(seen), url_setting=API_SETTING, retry=RetryPolicy(jitter="none")
        )

    return make


@pytest.mark.parametrize(
    ("status", "body", "at", "bad_client"),
    [
        (400, {"error": "invalid_client"}, "token", True),
        (400, {"error": "invalid_grant", "error_description": "no tenant"}, "token", False),
        (400, {"error": "unauthorized_client"}, "token", False),
    ],
)
def test_each_token_refusal_reaches_the_connector_with_its_code(
    client, status, body, at, bad_client
) -> None:
    seen: list[Refusal] = []
    api, _ = client(httpx.Response(status, json=body), seen=seen)
    with pytest.raises(AuthError) as info:
        api.get_json("customer")
    (refusal,) = seen
    assert (refusal.at, refusal.code, refusal.bad_client) == (at, body["error"], bad_client)
    assert str(info.value) == f"refused at token: {refusal.reason}"
    assert refusal.reason is not None and refusal.reason.startswith(body["error"])


def test_a_token_the_api_refuses_twice_is_an_api_refusal(client: Any) -> None:
    seen: list[Refusal] = []
    denied = httpx.Response(401, json={"message": "Authorization has been denied"})
    api, _ = client(token_ok, denied, token_ok, denied, seen=seen)
    with pytest.raises(AuthError):
        api.get_json("customer")
    assert [(r.at, r.bad_client) for r in seen] == [("api", False)]


def test_a_token_url_that_answers_404_is_a_wrong_setting(client: Any) -> None:
    api, script = client(httpx.Response(404, text="Not Found"))
    with pytest.raises(WrongUrl) as info:
        api.get_json("customer")
    assert isinstance(info.value, ConfigError)  # the engine's run-level error
    text = str(info.value)
    assert text.startswith(f"tokenUrl is wrong: {TOKEN_URL} answered 404 Not Found")
    assert "Fix: check tokenUrl in the config of acme/visma_net" in text
    assert len(script.requests) == 1  # a 404 is not retried


def test_an_unreachable_token_url_is_a_wrong_setting_after_the_retries(client: Any) -> None:
    api, script = client(*[httpx.ConnectError] * 5)
    with pytest.raises(WrongUrl) as info:
        api.get_json("customer")
    text = str(info.value)
    assert text.startswith(f"tokenUrl is wrong, or its host is down: {TOKEN_URL} could not")
    assert "ConnectError" in text and "s3cr3t" not in text
    assert len(script.requests) == 5  # retried as any connect error first


def test_an_unreachable_api_on_the_first_request_names_the_setting(client: Any) -> None:
    api, _ = client(token_ok, *[httpx.ConnectError] * 5)
    with pytest.raises(WrongUrl) as info:
        api.get_json("customer")
    assert str(info.value).startswith(
        f"apiBaseUrl is wrong, or its host is down: {API}customer could not be reached"
    )
    assert "(usually https://api.example.test)" in str(info.value)


def test_after_the_api_answered_a_network_failure_stays_transient(client: Any) -> None:
    ok = httpx.Response(200, json=[])
    api, _ = client(token_ok, ok, *[httpx.ConnectError] * 5)
    api.get_json("customer")
    with pytest.raises(TransientApiError) as info:
        api.get_json("customer")
    assert not isinstance(info.value, ConfigError)  # one record's failure, retried next run


def test_without_a_url_setting_nothing_changes(make_client: Any) -> None:
    plain, _ = make_client(*[httpx.ConnectError] * 5)
    with pytest.raises(TransientApiError):
        plain.get_json("customer")
