"""The two systems this plugin connects to, and API clients built on a connection.

`register_systems` declares "eaccounting" (Visma eAccounting API v2) and
"severa" (Visma PM = Visma Severa REST API): a tenant configures each once
(`ledgerbridge connection add acme ea --system eaccounting --config ea.json`)
and the connector's config names them (`"connections": {"eaccounting": "ea",
"severa": "pm"}`). The clients take the connection's shared rate budget, so
every connector and process of the tenant counts against one vendor limit.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.clock import utc_iso
from ledgerbridge.core.connections import Connection
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http import ApiClient, AuthorizationCode, RetryPolicy
from ledgerbridge.core.systems import RateLimit, System
from ledgerbridge.plugins.eaccounting.company import check_company
from ledgerbridge.plugins.eaccounting.eaccounting import auth as ea_auth
from ledgerbridge.plugins.eaccounting.eaccounting.api import EAccountingApi
from ledgerbridge.plugins.eaccounting.eaccounting.errors import parse_eaccounting_error
from ledgerbridge.plugins.eaccounting.pm import api as pm_api
from ledgerbridge.plugins.eaccounting.pm.auth import SeveraCredentials

EACCOUNTING = "eaccounting"
SEVERA = "severa"
PM_STATE = "eaccounting.connector.pm"
EA_STATE = "eaccounting.connector.ea"

_SECRET: dict[str, Any] = {
    "type": "object",
    "x-secret": True,
    "required": ["secret"],
    "properties": {"secret": {"type": "string"}},
    "additionalProperties": False,
    "description": 'A secret reference {"secret": "NAME"}.',
}
_URL: dict[str, Any] = {"type": "string", "minLength": 1}
_SCOPES: dict[str, Any] = {"type": "array", "items": {"type": "string"}}

EA_SETTINGS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["clientId", "clientSecret", "redirectUri"],
    "properties": {
        "clientId": {"type": "string", "minLength": 1, "description": "The app's client id."},
        "clientSecret": _SECRET,
        "redirectUri": {**_URL, "description": "The redirect URI registered with Visma."},
        "apiBaseUrl": {**_URL, "description": f"Default {ea_auth.DEFAULT_API}"},
        "authorizeUrl": {**_URL, "description": f"Default {ea_auth.DEFAULT_AUTHORIZE}"},
        "tokenUrl": {**_URL, "description": f"Default {ea_auth.DEFAULT_TOKEN}"},
        "scopes": _SCOPES,
    },
}

SEVERA_SETTINGS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["clientId", "clientSecret"],
    "properties": {
        "clientId": {"type": "string", "minLength": 1, "description": "REST API client id."},
        "clientSecret": _SECRET,
        "apiBaseUrl": {**_URL, "description": f"Default {pm_api.DEFAULT_API}"},
        "scopes": _SCOPES,
    },
}


def ea_flow(conn: Connection) -> AuthorizationCode:
    """The authorization-code flow of the connection, its tokens the
    connection's in the tenant's secret store (single-use refresh tokens,
    saved before use). Tokens `ledgerbridge auth` stored for the connector
    before tokens were per connection are read, and moved on the next save."""
    return ea_auth.code_flow(
        conn.settings,
        conn.secret("clientSecret"),
        conn.token_store(legacy_connector=ea_auth.CONNECTOR),
        tenant=conn.tenant,
        transport=conn.transport,
        clock=conn.clock,
        redactor=conn.redactor,
    )


def authorization(ctx: RunContext) -> AuthorizationCode:
    """What `ledgerbridge auth TENANT eaccounting` runs: the sign-in to the
    connector's eAccounting connection."""
    return ea_flow(ctx.connection(EACCOUNTING))


def ea_client(conn: Connection, flow: AuthorizationCode | None = None) -> EAccountingApi:
    """An eAccounting client on the connection; tokens from the connection's
    store (`ledgerbridge auth` put them there), refreshed and saved before use."""
    base = str(conn.settings.get("apiBaseUrl") or ea_auth.DEFAULT_API).rstrip("/") + "/"
    client = ApiClient(
        base,
        name=EACCOUNTING,
        auth=flow or ea_flow(conn),
        transport=conn.transport,
        clock=conn.clock,
        redactor=conn.redactor,
        retry=RetryPolicy(max_attempts=5),
        rate_budget=conn.rate_budget(base),
        error_parser=parse_eaccounting_error,
    )
    return EAccountingApi(client)


def pm_client(conn: Connection) -> pm_api.SeveraApi:
    """A Severa client on the connection: its token, the client_id header."""
    settings = conn.settings
    base = str(settings.get("apiBaseUrl") or pm_api.DEFAULT_API).rstrip("/") + "/"
    client_id = str(settings["clientId"])
    auth = SeveraCredentials(
        base + "v1/token",
        client_id,
        conn.secret("clientSecret"),
        list(settings.get("scopes") or pm_api.SCOPES),
        error_parser=pm_api.parse_severa_error,
        transport=conn.transport,
        clock=conn.clock,
        redactor=conn.redactor,
    )
    client = ApiClient(
        base,
        name=SEVERA,
        auth=auth,
        transport=conn.transport,
        clock=conn.clock,
        redactor=conn.redactor,
        retry=RetryPolicy(max_attempts=5),
        rate_budget=conn.rate_budget(),
        error_parser=pm_api.parse_severa_error,
        headers={"client_id": client_id},
    )
    return pm_api.SeveraApi(client)


def apis(ctx: RunContext) -> tuple[pm_api.SeveraApi, EAccountingApi]:
    """The run's two clients, built once and shared by its flows."""
    if PM_STATE not in ctx.state:
        ctx.state[PM_STATE] = pm_client(ctx.connection(SEVERA))
    if EA_STATE not in ctx.state:
        ctx.state[EA_STATE] = ea_client(ctx.connection(EACCOUNTING))
    return ctx.state[PM_STATE], ctx.state[EA_STATE]


def check_severa(conn: Connection) -> str:
    """`ledgerbridge connection test`: a token for the client and one cheap read."""
    api = pm_client(conn)
    with api.client:
        currencies = api.currencies(active=True)
    codes = ", ".join(sorted(str(c.get("code")) for c in currencies)) or "none"
    return (
        f"Visma PM issued a token for client {conn.get('clientId')}; GET v1/currencies "
        f"answered (active currencies: {codes})"
    )


def check_eaccounting(conn: Connection) -> str:
    """`ledgerbridge connection test`: the stored sign-in refreshed (the new,
    single-use refresh token saved before use), then the company settings,
    refusing a Norwegian company as a run does."""
    flow = ea_flow(conn)
    api = ea_client(conn, flow)
    try:
        with api.client:
            tokens = flow.refresh()
            company = check_company(api)
    except AuthError as exc:
        if ea_auth.CONNECTOR in conn.used_by:
            raise
        raise AuthError(
            f"{exc} (`ledgerbridge auth` signs in the connection the {ea_auth.CONNECTOR} "
            f'connector\'s config names: name this one there first, "connections": '
            f'{{"eaccounting": "{conn.name}"}})'
        ) from exc
    expires = f", valid until {utc_iso(tokens.expires_at)}" if tokens.expires_at else ""
    centers = "uses cost centers" if company.get("UsesCostCenter") else "no cost centers"
    return (
        f"Visma eAccounting renewed the stored sign-in (new tokens saved{expires}); "
        f"GET companysettings answered: {company.get('Name') or 'unnamed company'} "
        f"(organization number {company.get('CorporateIdentityNumber') or '?'}, country "
        f"{company.get('CountryCode') or '?'}, currency {company.get('CurrencyCode') or '?'}, "
        f"{centers})"
    )


SYSTEMS = (
    System(
        EACCOUNTING,
        "Visma eAccounting",
        EA_SETTINGS,
        test=check_eaccounting,
        rate_limit=RateLimit(
            "600 requests a minute per client and endpoint",
            kind="window",
            limit=600,
            window=60,
            per_endpoint=True,
        ),
        description="One eAccounting company, signed in once with OAuth2 authorization "
        "code (ledgerbridge auth TENANT eaccounting); refresh tokens are single-use.",
        docs="docs/connectors/eaccounting.md",
    ),
    System(
        SEVERA,
        "Visma PM (Severa)",
        SEVERA_SETTINGS,
        test=check_severa,
        rate_limit=RateLimit("10 requests a second", kind="window", limit=10, window=1),
        description="One Visma PM (Severa) organization, through REST API client credentials.",
        docs="docs/connectors/eaccounting.md",
    ),
)
