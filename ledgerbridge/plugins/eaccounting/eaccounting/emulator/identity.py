"""Visma's identity server for eAccounting, and the API's gatekeeping.

OAuth2 authorization code [EA-AUTH, EA-ID]: `GET /connect/authorize` (the
emulated consent screen answers at once with a redirect carrying the code;
`settings["consent"] = "deny"` makes it refuse) and `POST /connect/token`,
which takes form-encoded bodies only. Scopes must include `ea:api`; only a
grant with `offline_access` gets a refresh token. Refresh tokens are
single-use: every refresh returns a new one, and the same refresh token
cannot be used more than once (`invalid_grant`) [EA-ID]. Access tokens live
60 minutes [FACTS] on the emulator's clock.

API calls need a bearer token holding one of the scopes the operation's
description in the spec requires (shipped as `x-scopes`); otherwise 403.
The rate limit is 600 requests a minute per client *and endpoint* (the first
path segment after /v2), a 429 with ErrorCode 4010 beyond [FACTS].

Clients come from `settings["clients"]`:
    [{"client_id": "...", "client_secret": "...", "redirect_uris": ["..."]}]
(no redirect_uris: any is accepted). By default there is one demo client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ledgerbridge.core.sandbox import (
    EmulatorOptions,
    FixedWindowLimiter,
    HTTPError,
    OAuthError,
    RateState,
    Request,
    Response,
    TokenIssuer,
    json_response,
    rate_limit,
    text_response,
)
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.errors import (
    QUOTA_EXCEEDED,
    ErrorFactory,
)
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.validation import operation_scopes

AUTHORIZE_PATH = "/connect/authorize"
TOKEN_PATH = "/connect/token"
API_PREFIX = "/v2"
ACCESS_LIFETIME = 3600
DEFAULT_RATE_LIMIT = 600
WINDOW = 60.0

Middleware = Callable[[Request, Callable[[Request], Response]], Response]


@dataclass(frozen=True)
class IdentityClient:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...] = ()


DEMO_CLIENT = IdentityClient("ledgerbridge-demo", "demo-secret")
ALL_SCOPES = (
    "ea:api offline_access ea:sales ea:purchase ea:accounting"
    " ea:sales_readonly ea:purchase_readonly ea:accounting_readonly"
)


def clients_from(settings: Mapping[str, Any]) -> list[IdentityClient]:
    configured: Sequence[Mapping[str, Any]] | None = settings.get("clients")
    if not configured:
        return [DEMO_CLIENT]
    return [
        IdentityClient(
            str(c["client_id"]),
            str(c["client_secret"]),
            tuple(str(u) for u in c.get("redirect_uris") or ()),
        )
        for c in configured
    ]


class Identity:
    """The identity server plus the API's token, scope and rate-limit checks."""

    def __init__(self, options: EmulatorOptions, errors: ErrorFactory) -> None:
        self.errors = errors
        self.issuer = TokenIssuer(
            options.clock,
            access_lifetime=ACCESS_LIFETIME,
            seed=options.seed,
            redactor=options.redactor,
            prefix="ea_",
        )
        for client in clients_from(options.settings):
            self.issuer.add_client(
                client.client_id, client.client_secret, redirect_uris=client.redirect_uris
            )
        self.consent = str(options.settings.get("consent", "allow"))
        self.limit = int(options.settings.get("rate_limit", DEFAULT_RATE_LIMIT))
        window = float(options.settings.get("rate_window", WINDOW))  # a benchmark shrinks it
        self.limiter = FixedWindowLimiter(options.clock, limit=self.limit, window=window)
        self._operations = [
            (key.split(" ", 1)[0], _pattern(key.split(" ", 1)[1]), frozenset(scopes))
            for key, scopes in operation_scopes().items()
        ]

    # -- the identity server ------------------------------------------------------

    def grant(
        self, client_id: str, scope: str = ALL_SCOPES, redirect_uri: str | None = None
    ) -> str:
        """An authorization code, as if the user clicked "Yes, allow"."""
        if "ea:api" not in scope.split():
            raise OAuthError("invalid_scope", "The scope ea:api is required")
        return self.issuer.authorize(client_id, scope=scope, redirect_uri=redirect_uri)

    def authorize(self, request: Request) -> Response:
        """GET /connect/authorize: consent at once, redirect with a code."""
        q = request.query
        client_id, redirect_uri = q.get("client_id", ""), q.get("redirect_uri", "")
        if not redirect_uri:
            return text_response("invalid_request: redirect_uri is missing", 400)
        params: dict[str, str] = {}
        try:
            if q.get("response_type") != "code":
                raise OAuthError("unsupported_response_type", "Only response_type=code")
            if self.consent == "deny":
                raise OAuthError("access_denied", "The user did not allow access")
            params["code"] = self.grant(client_id, q.get("scope", ""), redirect_uri)
        except OAuthError as exc:
            if exc.error in ("invalid_client", "invalid_request"):
                return text_response(f"{exc.error}: {exc.description}", 400)  # never redirect
            params = {"error": exc.error, "error_description": exc.description}
        if q.get("state"):
            params["state"] = q["state"]
        sep = "&" if "?" in redirect_uri else "?"
        return Response(302, [("Location", f"{redirect_uri}{sep}{urlencode(params)}")])

    def token(self, request: Request) -> Response:
        """POST /connect/token: form-encoded only; no refresh token without offline_access."""
        if request.content_type != "application/x-www-form-urlencoded":
            body = {
                "error": "invalid_request",
                "error_description": "Token requests must be application/x-www-form-urlencoded",
            }
            return json_response(body, 400, [("Cache-Control", "no-store")])
        response = self.issuer.token_endpoint(request)
        if response.status == 200:
            body = json.loads(response.body)
            if "offline_access" not in str(body.get("scope", "")).split():
                body.pop("refresh_token", None)
                response.body = json.dumps(body).encode("utf-8")
        return response

    # -- protecting the API ---------------------------------------------------------

    def require_token(self, request: Request, call_next: Callable[[Request], Response]) -> Response:
        if not _is_api(request):
            return call_next(request)
        token = self.issuer.verify(request)
        needed = self._scopes_for(request)
        if needed and not needed & token.scopes:
            message = (
                "The access token has none of the scopes this operation requires: "
                + ", ".join(sorted(needed))
            )
            raise HTTPError(
                403, message, headers=[("WWW-Authenticate", 'Bearer error="insufficient_scope"')]
            )
        return call_next(request)

    def rate_limit(self) -> Middleware:
        limited = rate_limit(self.limiter, key=_client_and_endpoint, too_many=self._too_many)

        def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
            return limited(request, call_next) if _is_api(request) else call_next(request)

        return middleware

    def _too_many(self, request: Request, state: RateState) -> Response:
        message = f"API calls quota exceeded! maximum admitted {self.limit} per Minute."
        return json_response(self.errors.body(QUOTA_EXCEEDED, message), 429)

    def _scopes_for(self, request: Request) -> frozenset[str]:
        for method, pattern, scopes in self._operations:
            if method == request.method and pattern.fullmatch(request.path):
                return scopes
        return frozenset()


def _pattern(spec_path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", API_PREFIX + spec_path)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(regex + "/?", re.IGNORECASE)


def _is_api(request: Request) -> bool:
    path = request.path.lower()
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def _client_and_endpoint(request: Request) -> Hashable:
    token = request.context.get("token")
    segments = [s for s in request.path.lower().split("/") if s]
    endpoint = segments[1] if len(segments) > 1 else ""
    return (token.client_id if token else "-", endpoint)
