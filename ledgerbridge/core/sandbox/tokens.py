"""An OAuth2 token issuer for emulated identity servers.

It answers a token endpoint the way RFC 6749 servers do (client_credentials,
authorization_code and refresh_token grants; `invalid_client`, `invalid_grant`
and friends as JSON with `Cache-Control: no-store`) and checks
`Authorization: Bearer` on API calls (RFC 6750 401s with `WWW-Authenticate`).
Expiry runs on the emulator's clock, so a test moves a FakeClock past the
lifetime instead of waiting an hour. Refresh tokens rotate: using one retires
it, and a retired one is `invalid_grant`, as at Visma's identity servers.

Tokens are opaque and drawn from a seeded generator (reproducible runs); every
issued secret is registered with the redactor so no journal shows it.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.redact import Redactor
from ledgerbridge.core.sandbox.messages import (
    HTTPError,
    MultiDict,
    Request,
    Response,
    json_response,
)

NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    secret: str
    scopes: frozenset[str] | None = None  # None: any scope may be requested
    redirect_uris: frozenset[str] = frozenset()


@dataclass
class AccessToken:
    """What the issuer knows about an access token; handlers read it from
    `request.context["token"]` after `verify` or the middleware."""

    token: str
    client_id: str
    scopes: frozenset[str]
    expires_at: float
    subject: str | None = None
    extra: dict[str, str] = field(default_factory=dict)  # e.g. tenant_id sent at issue


@dataclass
class _Grant:
    """An authorization code or a refresh token."""

    client_id: str
    scopes: frozenset[str]
    expires_at: float | None
    subject: str | None
    extra: dict[str, str]
    redirect_uri: str | None = None


class OAuthError(Exception):
    """A token-endpoint error, rendered as `{"error", "error_description"}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


class TokenIssuer:
    """Issues and checks tokens for one emulated identity server."""

    def __init__(
        self,
        clock: Clock,
        *,
        access_lifetime: float = 3600,
        refresh_lifetime: float | None = None,
        code_lifetime: float = 300,
        seed: int = 0,
        redactor: Redactor | None = None,
        prefix: str = "",
    ) -> None:
        self.clock = clock
        self.access_lifetime = access_lifetime
        self.refresh_lifetime = refresh_lifetime
        self.code_lifetime = code_lifetime
        self.redactor = redactor
        self.prefix = prefix
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._clients: dict[str, OAuthClient] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, _Grant] = {}
        self._codes: dict[str, _Grant] = {}

    # -- set-up -------------------------------------------------------------------

    def add_client(
        self,
        client_id: str,
        secret: str,
        *,
        scopes: Iterable[str] | None = None,
        redirect_uris: Iterable[str] = (),
    ) -> OAuthClient:
        client = OAuthClient(
            client_id,
            secret,
            frozenset(scopes) if scopes is not None else None,
            frozenset(redirect_uris),
        )
        self._secret(secret)
        with self._lock:
            self._clients[client_id] = client
        return client

    def authorize(
        self,
        client_id: str,
        *,
        scope: str = "",
        redirect_uri: str | None = None,
        subject: str | None = None,
    ) -> str:
        """Issue an authorization code, as an emulated consent screen would."""
        client = self._clients.get(client_id)
        if client is None:
            raise OAuthError("invalid_client", f"Unknown client '{client_id}'", 401)
        if client.redirect_uris and redirect_uri not in client.redirect_uris:
            raise OAuthError("invalid_request", "redirect_uri is not registered for the client")
        scopes = _allowed(client, scope)
        code = self._new_token("code")
        grant = _Grant(
            client_id, scopes, self.clock.now() + self.code_lifetime, subject, {}, redirect_uri
        )
        with self._lock:
            self._codes[code] = grant
        return code

    # -- the token endpoint ----------------------------------------------------------

    def token_endpoint(self, request: Request) -> Response:
        """Handle `POST /token` (form-encoded), answering like an OAuth2 server."""
        try:
            body = self._grant(request)
        except OAuthError as exc:
            headers = list(NO_STORE)
            if exc.status == 401 and request.basic_auth is not None:
                headers.append(("WWW-Authenticate", 'Basic realm="token"'))
            error = {"error": exc.error, "error_description": exc.description}
            return json_response(error, exc.status, headers)
        return json_response(body, 200, NO_STORE)

    def _grant(self, request: Request) -> dict[str, object]:
        form = request.form()
        client = self._client(request, form)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "The grant_type parameter is missing")
        if grant_type == "client_credentials":
            scopes = _allowed(client, form.get("scope", ""))
            return self._issue(client.client_id, scopes, None, _extra(form), refresh=False)
        if grant_type == "authorization_code":
            return self._exchange_code(client, form)
        if grant_type == "refresh_token":
            return self._refresh_grant(client, form)
        raise OAuthError("unsupported_grant_type", f"Grant type '{grant_type}' is not supported")

    def _client(self, request: Request, form: MultiDict) -> OAuthClient:
        basic = request.basic_auth
        client_id, secret = basic if basic else (form.get("client_id"), form.get("client_secret"))
        if not client_id:
            raise OAuthError("invalid_client", "Client authentication failed", 401)
        client = self._clients.get(client_id)
        if client is None or secret != client.secret:
            raise OAuthError("invalid_client", "Client authentication failed", 401)
        return client

    def _exchange_code(self, client: OAuthClient, form: MultiDict) -> dict[str, object]:
        code = form.get("code")
        if not code:
            raise OAuthError("invalid_request", "The code parameter is missing")
        with self._lock:
            grant = self._codes.pop(code, None)  # single use, even when it fails
        if grant is None or grant.client_id != client.client_id or self._expired(grant):
            raise OAuthError("invalid_grant", "The authorization code is invalid or expired")
        if grant.redirect_uri is not None and form.get("redirect_uri") != grant.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization")
        return self._issue(client.client_id, grant.scopes, grant.subject, grant.extra, refresh=True)

    def _refresh_grant(self, client: OAuthClient, form: MultiDict) -> dict[str, object]:
        token = form.get("refresh_token")
        if not token:
            raise OAuthError("invalid_request", "The refresh_token parameter is missing")
        with self._lock:
            grant = self._refresh.get(token)
            if grant is not None and grant.client_id == client.client_id:
                del self._refresh[token]  # rotation: a refresh token works once
        if grant is None or grant.client_id != client.client_id or self._expired(grant):
            raise OAuthError("invalid_grant", "The refresh token is invalid or expired")
        scopes = grant.scopes
        if form.get("scope"):
            scopes = _parse_scope(form["scope"])
            if not scopes <= grant.scopes:
                raise OAuthError("invalid_scope", "A refresh cannot widen the scope")
        return self._issue(client.client_id, scopes, grant.subject, grant.extra, refresh=True)

    def _issue(
        self,
        client_id: str,
        scopes: frozenset[str],
        subject: str | None,
        extra: dict[str, str],
        *,
        refresh: bool,
    ) -> dict[str, object]:
        now = self.clock.now()
        access = AccessToken(
            self._new_token("at"),
            client_id,
            scopes,
            now + self.access_lifetime,
            subject,
            dict(extra),
        )
        body: dict[str, object] = {
            "access_token": access.token,
            "token_type": "Bearer",
            "expires_in": int(self.access_lifetime),
            "scope": " ".join(sorted(scopes)),
        }
        with self._lock:
            self._access[access.token] = access
        if refresh:
            rt = self._new_token("rt")
            expires = now + self.refresh_lifetime if self.refresh_lifetime else None
            with self._lock:
                self._refresh[rt] = _Grant(client_id, scopes, expires, subject, dict(extra))
            body["refresh_token"] = rt
        return body

    # -- protecting the API ------------------------------------------------------------

    def verify(self, request: Request, scope: str | None = None) -> AccessToken:
        """The caller's valid token, or HTTPError 401 (403 for a missing scope)."""
        token = request.bearer_token
        if token is None:
            raise HTTPError(
                401,
                "Authorization has been denied for this request.",
                headers=[("WWW-Authenticate", "Bearer")],
            )
        with self._lock:
            access = self._access.get(token)
        if access is None:
            raise _invalid_token("The access token is invalid")
        if access.expires_at <= self.clock.now():
            raise _invalid_token("The access token expired")
        if scope is not None and scope not in access.scopes:
            challenge = f'Bearer error="insufficient_scope", scope="{scope}"'
            raise HTTPError(
                403,
                f"The access token lacks the scope '{scope}'",
                headers=[("WWW-Authenticate", challenge)],
            )
        request.context["token"] = access
        return access

    def middleware(
        self, *, exempt: Iterable[str] = (), scope: str | None = None
    ) -> Callable[[Request, Callable[[Request], Response]], Response]:
        """`app.use(issuer.middleware(exempt=["/connect/token"]))`: every other
        path needs a valid bearer token."""
        open_paths = frozenset(p.lower() for p in exempt)

        def require_token(request: Request, call_next: Callable[[Request], Response]) -> Response:
            if request.path.lower().rstrip("/") not in open_paths:
                self.verify(request, scope)
            return call_next(request)

        return require_token

    def lookup(self, token: str) -> AccessToken | None:
        with self._lock:
            return self._access.get(token)

    def expire(self, token: str | None = None) -> None:
        """Expire one access token now, or all of them (e.g. a key rotation)."""
        now = self.clock.now()
        with self._lock:
            if token is None:
                targets = list(self._access.values())
            else:
                targets = [self._access[token]] if token in self._access else []
            for access in targets:
                access.expires_at = min(access.expires_at, now)

    def revoke_refresh_tokens(self, client_id: str | None = None) -> int:
        """Drop refresh tokens, as a password change does at eAccounting."""
        with self._lock:
            doomed = [t for t, g in self._refresh.items() if client_id in (None, g.client_id)]
            for t in doomed:
                del self._refresh[t]
        return len(doomed)

    # -- helpers ---------------------------------------------------------------------------

    def _new_token(self, kind: str) -> str:
        with self._lock:
            value = f"{self.prefix}{kind}_{self._rng.getrandbits(192):048x}"
        self._secret(value)
        return value

    def _secret(self, value: str) -> None:
        if self.redactor is not None:
            self.redactor.add(value)

    def _expired(self, grant: _Grant) -> bool:
        return grant.expires_at is not None and grant.expires_at <= self.clock.now()


def _invalid_token(description: str) -> HTTPError:
    challenge = f'Bearer error="invalid_token", error_description="{description}"'
    return HTTPError(401, description, headers=[("WWW-Authenticate", challenge)])


def _parse_scope(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _allowed(client: OAuthClient, scope: str) -> frozenset[str]:
    requested = _parse_scope(scope)
    if client.scopes is None:
        return requested
    if not requested:
        return client.scopes
    if not requested <= client.scopes:
        extra = " ".join(sorted(requested - client.scopes))
        raise OAuthError("invalid_scope", f"The client may not request: {extra}")
    return requested


_STANDARD_FORM = frozenset(
    {"grant_type", "scope", "client_id", "client_secret", "code", "redirect_uri", "refresh_token"}
)


def _extra(form: MultiDict) -> dict[str, str]:
    """Vendor-specific token request fields, e.g. Visma Connect's tenant_id."""
    return {k: form[k] for k in form if k.lower() not in _STANDARD_FORM}
