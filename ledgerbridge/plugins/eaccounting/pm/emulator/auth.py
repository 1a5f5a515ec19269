"""Severa's token endpoint and the API's gatekeeping.

`POST /rest-api/v1/token` takes JSON `ClientCredentials {client_id,
client_secret, scope}` and answers `PublicAuthenticationOutputModel
{access_token, access_token_type, access_token_expires_in,
access_token_expires_utc, refresh_token, refresh_token_expires_in,
refresh_token_expires_utc, scope}`; `POST /rest-api/v1/refreshtoken` takes
the refresh token as a JSON string [SEV]. Scopes may be joined by commas
[SEV] or spaces [SEV-MCP]; no scope asks for all the client may have.

Every API call sends `Authorization: Bearer` *and* a `client_id` header
[SEV index.ts]; a scope `<area>:<read|write|delete>` is needed per
operation, the area being the operation's tag (Customers, Settings,
Projects, Invoices, Fees: INFERENCE, facts §2.2). 10 requests per second
per client; beyond, a 429 with the text "API calls quota exceeded! maximum
admitted 10 per 1s." and Retry-After [SEV README].

Clients come from `settings["clients"]`:
    [{"client_id": "...", "client_secret": "...", "scopes": ["customers:read", ...]}]
By default there is one demo client with every scope the connector needs.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledgerbridge.core.sandbox import (
    EmulatorOptions,
    FixedWindowLimiter,
    RateState,
    Request,
    Response,
    json_response,
    rate_limit,
    text_response,
)
from ledgerbridge.plugins.eaccounting.pm.emulator.errors import (
    AUTHENTICATION_REQUIRED,
    INSUFFICIENT_SCOPE,
    Detail,
    fail,
)
from ledgerbridge.plugins.eaccounting.pm.emulator.validation import BodyValidator
from ledgerbridge.plugins.eaccounting.stamps import iso_ms

TOKEN_PATH = "/rest-api/v1/token"
REFRESH_PATH = "/rest-api/v1/refreshtoken"
ACCESS_LIFETIME = 3600
REFRESH_LIFETIME = 86400
DEFAULT_RATE_LIMIT = 10
AREAS = ("customers", "settings", "projects", "invoices", "fees")
ALL_SCOPES = tuple(f"{a}:{m}" for a in AREAS for m in ("read", "write", "delete"))
METHOD_SCOPE = {
    "GET": "read",
    "HEAD": "read",
    "POST": "write",
    "PATCH": "write",
    "DELETE": "delete",
}

Middleware = Callable[[Request, Callable[[Request], Response]], Response]


@dataclass(frozen=True)
class SeveraClient:
    client_id: str
    client_secret: str
    scopes: tuple[str, ...] = ALL_SCOPES


@dataclass
class Grant:
    client_id: str
    scopes: frozenset[str]
    expires_at: float


DEMO_CLIENT = SeveraClient("ledgerbridge-pm-demo", "pm-demo-secret")


def clients_from(settings: Mapping[str, Any]) -> list[SeveraClient]:
    configured: Sequence[Mapping[str, Any]] | None = settings.get("clients")
    if not configured:
        return [DEMO_CLIENT]
    return [
        SeveraClient(
            str(c["client_id"]), str(c["client_secret"]), tuple(c.get("scopes") or ALL_SCOPES)
        )
        for c in configured
    ]


class SeveraAuth:
    """Issues and checks Severa tokens; `area_of` maps a path to its scope area."""

    def __init__(self, options: EmulatorOptions, validator: BodyValidator) -> None:
        self.clock = options.clock
        self.redactor = options.redactor
        self.validator = validator
        self.clients = {c.client_id: c for c in clients_from(options.settings)}
        for client in self.clients.values():
            self.redactor.add(client.client_secret)
        self._rng = random.Random(f"severa-tokens-{options.seed}")
        self._lock = threading.Lock()
        self._access: dict[str, Grant] = {}
        self._refresh: dict[str, Grant] = {}
        self.limit = int(options.settings.get("rate_limit", DEFAULT_RATE_LIMIT))
        window = float(options.settings.get("rate_window", 1.0))  # a benchmark shrinks it
        self.limiter = FixedWindowLimiter(options.clock, limit=self.limit, window=window)
        self.areas: list[tuple[str, str]] = []  # (path prefix, area), longest first

    # -- the token endpoints --------------------------------------------------------

    def token(self, request: Request) -> Response:
        body = self.validator.body(request, "ClientCredentials")
        client = self.clients.get(body["client_id"])
        if client is None or client.client_secret != body["client_secret"]:
            fail(401, AUTHENTICATION_REQUIRED, Detail("The client credentials are not valid."))
        requested = _scopes(body.get("scope"))
        if not requested <= set(client.scopes):
            extra = ", ".join(sorted(requested - set(client.scopes)))
            fail(403, INSUFFICIENT_SCOPE, Detail(f"The client may not request the scopes: {extra}"))
        return json_response(self._issue(client.client_id, frozenset(requested or client.scopes)))

    def refresh(self, request: Request) -> Response:
        token = request.json()
        with self._lock:
            grant = self._refresh.pop(token, None) if isinstance(token, str) else None
        if grant is None or grant.expires_at <= self.clock.now():
            fail(401, AUTHENTICATION_REQUIRED, Detail("The refresh token is not valid."))
        return json_response(self._issue(grant.client_id, grant.scopes))

    def _issue(self, client_id: str, scopes: frozenset[str]) -> dict[str, Any]:
        now = self.clock.now()
        access, refresh = self._new("at"), self._new("rt")
        with self._lock:
            self._access[access] = Grant(client_id, scopes, now + ACCESS_LIFETIME)
            self._refresh[refresh] = Grant(client_id, scopes, now + REFRESH_LIFETIME)
        return {
            "access_token": access,
            "scope": " ".join(sorted(scopes)),
            "refresh_token": refresh,
            "refresh_token_expires_in": REFRESH_LIFETIME,
            "refresh_token_expires_utc": iso_ms(now + REFRESH_LIFETIME),
            "access_token_type": "Bearer",
            "access_token_expires_in": ACCESS_LIFETIME,
            "access_token_expires_utc": iso_ms(now + ACCESS_LIFETIME),
        }

    def _new(self, kind: str) -> str:
        with self._lock:
            value = f"sev_{kind}_{self._rng.getrandbits(192):048x}"
        self.redactor.add(value)
        return value

    def expire(self) -> None:
        """Expire every access token now (tests: the next call gets a 401)."""
        with self._lock:
            for grant in self._access.values():
                grant.expires_at = min(grant.expires_at, self.clock.now())

    # -- protecting the API -------------------------------------------------------------

    def require_token(self, request: Request, call_next: Callable[[Request], Response]) -> Response:
        if request.path.lower().rstrip("/") in (TOKEN_PATH, REFRESH_PATH):
            return call_next(request)
        grant = self._verify(request)
        area = next(
            (a for prefix, a in self.areas if request.path.lower().startswith(prefix)), None
        )
        needed = f"{area}:{METHOD_SCOPE.get(request.method, 'read')}" if area else None
        if needed is not None and needed not in grant.scopes:
            fail(403, INSUFFICIENT_SCOPE, Detail(f"The access token lacks the scope '{needed}'."))
        request.context["client_id"] = grant.client_id
        return call_next(request)

    def _verify(self, request: Request) -> Grant:
        token = request.bearer_token
        with self._lock:
            grant = self._access.get(token or "")
        if grant is None or grant.expires_at <= self.clock.now():
            why = "is missing" if token is None else "is not valid or has expired"
            fail(401, AUTHENTICATION_REQUIRED, Detail(f"The access token {why}."))
        # WSGI spells header names with '-' (HTTP_CLIENT_ID), whatever the client sent
        header = request.headers.get("client_id") or request.headers.get("client-id")
        if header != grant.client_id:
            fail(
                401,
                AUTHENTICATION_REQUIRED,
                Detail(
                    "The client_id header must name the token's client.",
                    "RequestHeader",
                    "client_id",
                ),
            )
        return grant

    def rate_limit(self) -> Middleware:
        limited = rate_limit(self.limiter, key=_client, too_many=self._too_many)

        def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
            if request.path.lower().rstrip("/") in (TOKEN_PATH, REFRESH_PATH):
                return call_next(request)
            return limited(request, call_next)

        return middleware

    def _too_many(self, request: Request, state: RateState) -> Response:
        return text_response(
            f"API calls quota exceeded! maximum admitted {self.limit} per 1s.", 429
        )


def _scopes(text: Any) -> set[str]:
    if not isinstance(text, str):
        return set()
    return {s for s in text.replace(",", " ").split() if s}


def _client(request: Request) -> Hashable:
    return str(request.context.get("client_id", "-"))
