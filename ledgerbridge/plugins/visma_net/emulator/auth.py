"""Visma Connect (the token endpoint) and the API's gatekeeping.

Visma Connect issues client-credentials tokens for one company: the request
names it with `tenant_id`, and every API call with that token acts in that
company. Like the real identity server (IdentityServer), an unknown client
id or a bad secret is a 400 `{"error": "invalid_client"}` (nothing more: it
does not say which), a missing tenant_id a 400 `invalid_request`, and a
tenant the client may not act for a 400 `invalid_grant`. A client's
`customer_tenants` are the customer (contract) tenant ids of its companies:
Visma Connect issues tokens for them, and the API refuses every call made
with one (401), as Visma's "Fix 401 Unauthorized errors despite valid token"
page describes. Tokens live an hour on the emulator's clock.

API calls need a bearer token carrying the scope of the operation
(`vismanet_erp_service_api:read` for GET, `:create` for POST, `:update` for
PUT, `:delete` for DELETE); a missing or expired token is a 401. The rate
limit is counted per company and client in one-hour fixed windows, and every
API answer carries the budget in X-RateLimit-* headers (policy
"4-fixed-window", Visma's standard one); an exhausted budget is a 429 with
Retry-After.

Clients come from `settings["clients"]`:

    [{"client_id": "...", "client_secret": "...", "tenants": ["..."],
      "customer_tenants": ["..."],                        # optional
      "scopes": ["vismanet_erp_service_api:read", ...]}]   # scopes optional

By default there is one demo client (see DEMO_CLIENT).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledgerbridge.core.sandbox import (
    EmulatorOptions,
    FixedWindowLimiter,
    HTTPError,
    RateState,
    Request,
    Response,
    TokenIssuer,
    json_response,
    rate_limit,
)

TOKEN_PATH = "/connect/token"
SCOPE_PREFIX = "vismanet_erp_service_api:"
ALL_SCOPES = tuple(f"{SCOPE_PREFIX}{s}" for s in ("create", "read", "update", "delete"))
METHOD_SCOPES = {
    "GET": f"{SCOPE_PREFIX}read",
    "HEAD": f"{SCOPE_PREFIX}read",
    "POST": f"{SCOPE_PREFIX}create",
    "PUT": f"{SCOPE_PREFIX}update",
    "PATCH": f"{SCOPE_PREFIX}update",
    "DELETE": f"{SCOPE_PREFIX}delete",
}
DEFAULT_RATE_LIMIT = 15_000  # production clients, per company and hour
WINDOW = 3600.0
POLICY = "4-fixed-window"
NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]

Middleware = Callable[[Request, Callable[[Request], Response]], Response]


@dataclass(frozen=True)
class ConnectClient:
    client_id: str
    client_secret: str
    tenants: frozenset[str]
    scopes: tuple[str, ...] = ALL_SCOPES
    customer_tenants: frozenset[str] = frozenset()


DEMO_CLIENT = ConnectClient("ledgerbridge-demo", "demo-secret", frozenset({"demo-tenant-0001"}))


def clients_from(settings: Mapping[str, Any]) -> list[ConnectClient]:
    """The API clients the emulated Visma Connect knows."""
    configured: Sequence[Mapping[str, Any]] | None = settings.get("clients")
    if not configured:
        return [DEMO_CLIENT]
    out = []
    for entry in configured:
        tenants = entry.get("tenants") or [entry["tenant_id"]]
        out.append(
            ConnectClient(
                str(entry["client_id"]),
                str(entry["client_secret"]),
                frozenset(str(t) for t in tenants),
                tuple(entry.get("scopes") or ALL_SCOPES),
                frozenset(str(t) for t in entry.get("customer_tenants") or ()),
            )
        )
    return out


class VismaConnect:
    """The token endpoint plus the auth and rate-limit middleware of the API."""

    def __init__(self, options: EmulatorOptions) -> None:
        self.clients = {c.client_id: c for c in clients_from(options.settings)}
        self.issuer = TokenIssuer(
            options.clock, seed=options.seed, redactor=options.redactor, prefix="vn_"
        )
        for client in self.clients.values():
            self.issuer.add_client(client.client_id, client.client_secret, scopes=client.scopes)
            for tenant in client.tenants | client.customer_tenants:
                options.redactor.add(tenant)  # tenant ids are secrets to the connector
        limit = int(options.settings.get("rate_limit", DEFAULT_RATE_LIMIT))
        window = float(options.settings.get("rate_window", WINDOW))  # shorter: benchmarks
        self.limiter = FixedWindowLimiter(options.clock, limit=limit, window=window, policy=POLICY)

    # -- the token endpoint ---------------------------------------------------------

    def token(self, request: Request) -> Response:
        """POST /connect/token: check what Visma Connect checks, then issue."""
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        return self.issuer.token_endpoint(request)

    def _refusal(self, request: Request) -> Response | None:
        form = request.form()
        basic = request.basic_auth
        client_id, secret = basic if basic else (form.get("client_id"), form.get("client_secret"))
        client = self.clients.get(client_id or "")
        if client is None or secret != client.client_secret:
            return _oauth_error("invalid_client", None)
        if form.get("grant_type") == "client_credentials":
            tenant = form.get("tenant_id")
            if not tenant:
                return _oauth_error("invalid_request", "tenant_id is missing")
            if tenant not in client.tenants | client.customer_tenants:
                return _oauth_error(
                    "invalid_grant", "The client has no access to the tenant (tenant_id)"
                )
        return None

    # -- protecting the API ---------------------------------------------------------

    def require_token(self, request: Request, call_next: Callable[[Request], Response]) -> Response:
        """Every path but the token endpoint needs a token with the method's scope."""
        if request.path.lower().rstrip("/") == TOKEN_PATH:
            return call_next(request)
        token = self.issuer.verify(request)
        client = self.clients.get(token.client_id)
        if client is not None and token.extra.get("tenant_id") in client.customer_tenants:
            raise HTTPError(401, "Authorization has been denied for this request.")
        scope = METHOD_SCOPES.get(request.method)
        if scope is not None and scope not in token.scopes:
            challenge = f'Bearer error="insufficient_scope", scope="{scope}"'
            raise HTTPError(
                403,
                f"The access token does not have the scope '{scope}'.",
                headers=[("WWW-Authenticate", challenge)],
            )
        return call_next(request)

    def rate_limit(self) -> Middleware:
        """Per company+client budget on API calls (the token endpoint is not counted)."""
        limited = rate_limit(
            self.limiter, key=_company_and_client, too_many=_too_many, headers=True
        )

        def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
            if request.path.lower().rstrip("/") == TOKEN_PATH:
                return call_next(request)
            return limited(request, call_next)

        return middleware


def _company_and_client(request: Request) -> Hashable:
    token = request.context.get("token")
    if token is None:
        return ("-", "-")
    return (token.extra.get("tenant_id", "-"), token.client_id)


def _too_many(request: Request, state: RateState) -> Response:
    message = f"Rate limit is exceeded. Try again in {state.reset_after} seconds."
    return json_response({"statusCode": 429, "message": message}, 429)


def _oauth_error(error: str, description: str | None) -> Response:
    body = {"error": error}
    if description:
        body["error_description"] = description
    return json_response(body, 400, NO_STORE)
