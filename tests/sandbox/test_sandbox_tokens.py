"""The OAuth2 token issuer: grants, expiry on the clock, rotation, errors."""

from __future__ import annotations

import httpx
import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.sandbox import App, Request, Response, TokenIssuer, json_response
from ledgerbridge.core.sandbox.tokens import OAuthError

from .conftest import CLIENT_ID, CLIENT_SECRET, get_token

APP_ID, APP_SECRET = "web-app", "web-secret-xyz"
REDIRECT = "https://app.example/callback"


@pytest.fixture
def issuer(clock: FakeClock) -> TokenIssuer:
    issuer = TokenIssuer(clock, access_lifetime=3600, refresh_lifetime=86400, seed=1)
    issuer.add_client(APP_ID, APP_SECRET, redirect_uris=[REDIRECT])
    return issuer


@pytest.fixture
def idp(issuer: TokenIssuer) -> httpx.Client:
    app = App("idp")
    app.use(issuer.middleware(exempt=["/connect/token"], scope="ea:api"))

    @app.post("/connect/token")
    def token(request: Request) -> Response:
        return issuer.token_endpoint(request)

    @app.get("/api/me")
    def me(request: Request) -> Response:
        return json_response({"sub": request.context["token"].subject})

    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://idp")


def code_grant(idp: httpx.Client, issuer: TokenIssuer, **extra: str) -> httpx.Response:
    code = issuer.authorize(
        APP_ID, scope="ea:api offline_access", redirect_uri=REDIRECT, subject="anna"
    )
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra}
    return idp.post("/connect/token", data=form, auth=(APP_ID, APP_SECRET))


def refresh(idp: httpx.Client, token: str) -> httpx.Response:
    return idp.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=(APP_ID, APP_SECRET),
    )


def test_client_credentials_token_opens_the_api(client: httpx.Client) -> None:
    token = get_token(client)
    assert client.get("/v1/notes", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_token_response_shape(client: httpx.Client) -> None:
    response = client.post(
        "/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "tenant_id": "t-1",
        },
    )
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "notes:read notes:write"
    assert response.headers["Cache-Control"] == "no-store"


def test_missing_unknown_and_expired_bearer(client: httpx.Client, clock: FakeClock) -> None:
    missing = client.get("/v1/notes")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    assert missing.json()["DeveloperErrorMessage"] == (
        "Authorization has been denied for this request."
    )
    unknown = client.get("/v1/notes", headers={"Authorization": "Bearer nope"})
    assert 'error="invalid_token"' in unknown.headers["WWW-Authenticate"]
    token = get_token(client)
    auth = {"Authorization": f"Bearer {token}"}
    clock.advance(3599)
    assert client.get("/v1/notes", headers=auth).status_code == 200
    clock.advance(1)
    expired = client.get("/v1/notes", headers=auth)
    assert expired.status_code == 401
    assert "The access token expired" in expired.headers["WWW-Authenticate"]


def test_bad_client_and_grant_errors(client: httpx.Client) -> None:
    def post(form: dict[str, str], **kw: object) -> httpx.Response:
        return client.post("/connect/token", data=form, **kw)  # type: ignore[arg-type]

    wrong = post(
        {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "wrong"}
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    assert "WWW-Authenticate" not in wrong.headers
    basic = post({"grant_type": "client_credentials"}, auth=(CLIENT_ID, "wrong"))
    assert basic.status_code == 401 and basic.headers["WWW-Authenticate"].startswith("Basic")
    creds = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert post(creds).json()["error"] == "invalid_request"
    assert post({**creds, "grant_type": "password"}).json()["error"] == "unsupported_grant_type"
    scope = post({**creds, "grant_type": "client_credentials", "scope": "admin"})
    assert (scope.status_code, scope.json()["error"]) == (400, "invalid_scope")
    bad_rt = post({**creds, "grant_type": "refresh_token", "refresh_token": "nope"})
    assert (bad_rt.status_code, bad_rt.json()["error"]) == (400, "invalid_grant")


def test_authorization_code_then_refresh_rotates(idp: httpx.Client, issuer: TokenIssuer) -> None:
    first = code_grant(idp, issuer).json()
    assert first["scope"] == "ea:api offline_access"
    me = idp.get("/api/me", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert me.json() == {"sub": "anna"}
    second = refresh(idp, first["refresh_token"])
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    reused = refresh(idp, first["refresh_token"])
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    assert refresh(idp, second.json()["refresh_token"]).status_code == 200


def test_code_is_single_use_and_checks_redirect(idp: httpx.Client, issuer: TokenIssuer) -> None:
    code = issuer.authorize(APP_ID, redirect_uri=REDIRECT)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": "https://evil"}
    bad = idp.post("/connect/token", data=form, auth=(APP_ID, APP_SECRET))
    assert bad.json()["error"] == "invalid_grant"
    form["redirect_uri"] = REDIRECT
    again = idp.post("/connect/token", data=form, auth=(APP_ID, APP_SECRET))
    assert again.json()["error"] == "invalid_grant"
    with pytest.raises(OAuthError, match="invalid_request"):
        issuer.authorize(APP_ID, redirect_uri="https://elsewhere")


def test_refresh_and_code_expire_on_clock(
    idp: httpx.Client, issuer: TokenIssuer, clock: FakeClock
) -> None:
    tokens = code_grant(idp, issuer).json()
    clock.advance(86400)
    assert refresh(idp, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    code = issuer.authorize(APP_ID, redirect_uri=REDIRECT)
    clock.advance(301)
    late = idp.post(
        "/connect/token",
        auth=(APP_ID, APP_SECRET),
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
    )
    assert late.json()["error"] == "invalid_grant"


def test_scope_is_enforced_and_revocation(idp: httpx.Client, issuer: TokenIssuer) -> None:
    code = issuer.authorize(APP_ID, scope="offline_access", redirect_uri=REDIRECT)
    tokens = idp.post(
        "/connect/token",
        auth=(APP_ID, APP_SECRET),
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
    ).json()
    denied = idp.get("/api/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert denied.status_code == 403
    assert 'error="insufficient_scope"' in denied.headers["WWW-Authenticate"]
    assert issuer.revoke_refresh_tokens(APP_ID) == 1
    assert refresh(idp, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_expire_and_deterministic_tokens(clock: FakeClock) -> None:
    def issue(seed: int) -> str:
        issuer = TokenIssuer(clock, seed=seed)
        issuer.add_client("c", "secret-1")
        app = App()
        app.post("/t")(issuer.token_endpoint)
        with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://x") as c:
            response = c.post(
                "/t", data={"grant_type": "client_credentials"}, auth=("c", "secret-1")
            )
        token: str = response.json()["access_token"]
        issuer.expire(token)
        found = issuer.lookup(token)
        assert found is not None and found.expires_at == clock.now()
        return token

    assert issue(3) == issue(3) != issue(4)
