"""Nothing secret in logs, exception messages, reprs or error bodies."""

from __future__ import annotations

import logging
import traceback

import httpx
import pytest

from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http import (
    ApiClient,
    ApiError,
    AuthorizationCode,
    ClientCredentials,
    MemoryTokenStore,
    RetryPolicy,
    TokenSet,
)
from ledgerbridge.core.http.redaction import redact_body, redact_url
from ledgerbridge.core.redact import MASK, Redactor

TOKEN_URL = "https://connect.example.test/connect/token"
CLIENT_SECRET = "cs-Very-Secret-123"
TENANT_ID = "tenant-7f3a9c"
ACCESS = "eyJaccess.token.value"
REFRESH = "refresh-token-value-42"
SECRETS = (CLIENT_SECRET, TENANT_ID, ACCESS, REFRESH)


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked"


def full_text(exc: BaseException) -> str:
    """Everything an operator could see of an exception and its shown causes
    (source lines of tracebacks left out: they quote this test's literals)."""
    parts: list[str] = []
    current: BaseException | None = exc
    while current is not None:
        parts += [str(current), repr(current), str(getattr(current, "body", ""))]
        parts += traceback.format_exception_only(current)
        shown = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        current = shown
    return "\n".join(parts)


def token_answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        json={"access_token": ACCESS, "refresh_token": REFRESH, "expires_in": 3600},
    )


def make(handler, clock, redactor, auth=None) -> ApiClient:
    auth = auth or ClientCredentials(
        TOKEN_URL,
        "client-id",
        CLIENT_SECRET,
        "scope:read",
        {"tenant_id": TENANT_ID},
        name="Visma.net",
    )
    return ApiClient(
        "https://api.example.test/v1/",
        name="visma_net",
        auth=auth,
        transport=httpx.MockTransport(handler),
        clock=clock,
        redactor=redactor,
        retry=RetryPolicy(jitter="none", max_attempts=2),
    )


def router(api_answer):
    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            return token_answer(request)
        return api_answer(request)

    return handler


def test_debug_logs_mask_credentials_forms_and_tokens(clock, redactor, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="ledgerbridge.http")
    client = make(router(lambda r: httpx.Response(200, json={"ok": 1})), clock, redactor)
    client.get_json("customer", params={"name": "Acme"})
    text = caplog.text
    assert_clean(text)
    assert "POST https://connect.example.test/connect/token" in text
    assert f"client_secret={MASK}" in text and f"tenant_id={MASK}" in text
    assert "grant_type=client_credentials" in text  # the rest stays readable
    assert f'"access_token": "{MASK}"' in text
    assert "GET https://api.example.test/v1/customer?name=Acme" in text
    assert f"'authorization': '{MASK}'" in text
    assert "<- 200 GET" in text


def test_refresh_token_form_is_masked(clock, redactor, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="ledgerbridge.http")
    store = MemoryTokenStore(TokenSet("old-access-token", expires_at=0, refresh_token=REFRESH))
    auth = AuthorizationCode(
        "https://id.example.test/authorize",
        TOKEN_URL,
        "client-id",
        CLIENT_SECRET,
        "http://127.0.0.1:9/cb",
        ["ea:api"],
        store,
        tenant="acme",
        connector="eaccounting",
    )
    client = make(router(lambda r: httpx.Response(200, json={})), clock, redactor, auth)
    client.get_json("customers")
    assert_clean(caplog.text)
    assert f"refresh_token={MASK}" in caplog.text


def test_error_body_echoing_secrets_is_redacted(clock, redactor, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="ledgerbridge.http")
    body = {"message": f"Token {ACCESS} is not valid for tenant {TENANT_ID}"}
    client = make(router(lambda r: httpx.Response(400, json=body)), clock, redactor)
    with pytest.raises(ApiError) as info:
        client.get_json("customer")
    err = info.value
    assert_clean(full_text(err))
    assert_clean(err.body or "")
    assert_clean(caplog.text)
    assert err.message == f"Token {MASK} is not valid for tenant {MASK}"
    assert_clean(str(err.to_record_error().to_json()))


def test_network_error_text_is_redacted(clock, redactor) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            return token_answer(request)
        raise httpx.ConnectError(f"proxy said: bad auth Bearer {ACCESS}", request=request)

    client = make(handler, clock, redactor)
    with pytest.raises(ApiError) as info:
        client.get_json("customer")
    assert_clean(full_text(info.value))
    assert "ConnectError" in str(info.value)


def test_secret_query_parameters_are_masked_in_errors(clock, redactor) -> None:
    client = make(router(lambda r: httpx.Response(404)), clock, redactor)
    with pytest.raises(ApiError) as info:
        client.get_json("callback", params={"code": "one-time-code-1", "page": "2"})
    assert "one-time-code-1" not in full_text(info.value)
    assert f"code={MASK}&page=2" in info.value.url


def test_refused_token_message_and_cause_are_redacted(clock, redactor) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"error": "invalid_client", "error_description": f"unknown tenant {TENANT_ID}"}
        return httpx.Response(400, json=body)

    client = make(handler, clock, redactor)
    with pytest.raises(AuthError) as info:
        client.get_json("customer")
    assert_clean(full_text(info.value))
    assert f"unknown tenant {MASK}" in str(info.value)
    assert isinstance(info.value.__cause__, ApiError)


def test_longest_secret_is_masked_whole() -> None:
    redactor = Redactor(["abcd1234", "abcd1234efgh"])
    assert redactor.redact("x abcd1234efgh y abcd1234") == f"x {MASK} y {MASK}"


def test_redact_url_and_body_helpers() -> None:
    redactor = Redactor([TENANT_ID])
    url = f"https://user:pw@api.example.test/x?client_secret=abc&tenant={TENANT_ID}&q=1"
    assert redact_url(url, redactor) == (
        f"https://user:{MASK}@api.example.test/x?client_secret={MASK}&tenant={MASK}&q=1"
    )
    form = b"grant_type=refresh_token&refresh_token=rt&code=c"
    assert redact_body(form, "application/x-www-form-urlencoded", redactor) == (
        f"grant_type=refresh_token&refresh_token={MASK}&code={MASK}"
    )
    # in JSON a "code" is a VAT, unit or currency code: shown; a token is not
    body = b'{"vatCode": {"code": "MP1"}, "code": "SEK", "token": "t0k3n-value"}'
    assert redact_body(body, "application/json", redactor) == (
        f'{{"vatCode": {{"code": "MP1"}}, "code": "SEK", "token": "{MASK}"}}'
    )
    assert redactor.redact_obj({"code": "SEK"}) == {"code": "SEK"}
    assert redact_url("https://x.test/cb?code=one-time-123&state=s", redactor) == (
        f"https://x.test/cb?code={MASK}&state=s"
    )
    assert redact_body(b"%PDF-1.7 ...", "application/pdf", redactor) == "<12 bytes application/pdf>"
    long = redact_body(b"x" * 5000, "text/plain", redactor)
    assert long.startswith("x" * 2000) and long.endswith("(3000 more characters)")


def test_client_repr_has_no_secrets(clock, redactor) -> None:
    client = make(router(lambda r: httpx.Response(200, json={})), clock, redactor)
    client.get_json("x")
    assert_clean(repr(client))
