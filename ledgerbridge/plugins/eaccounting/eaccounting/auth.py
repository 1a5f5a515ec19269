"""Signing in to Visma eAccounting: OAuth2 authorization code, single-use
refresh tokens kept in the tenant's secret store.

A person grants access once (`ledgerbridge auth TENANT eaccounting`, which
runs `systems.authorization(ctx)`: the flow of the connector's eAccounting
connection, its tokens the connection's, `Connection.token_store()`); from
then on every token request
returns a new refresh token and the one just used is dead [EA-ID]. The
core's `AuthorizationCode` saves each new token set to the `TokenStore`
*before* the new access token is handed out, so no API call is ever made
with tokens that are not on disk: a crash right after a refresh cannot lose
the only live refresh token. Refreshes are serialized by its lock, and they
are never retried once they may have reached the server (a lost answer
spent the old token; re-authorize then).

Connection settings (a mapping the connector's config carries):

    clientId        the app's client id
    clientSecret    {"secret": NAME}
    redirectUri     registered with Visma (e.g. http://127.0.0.1:8765/callback)
    apiBaseUrl      default https://eaccountingapi.vismaonline.com/v2/
    authorizeUrl, tokenUrl   default Visma's identity server
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.http import AuthorizationCode, TokenStore
from ledgerbridge.core.redact import Redactor
from ledgerbridge.core.tokenstore import SecretTokenStore
from ledgerbridge.core.workspace import Workspace

CONNECTOR = "eaccounting"
NAME = "Visma eAccounting"
DEFAULT_API = "https://eaccountingapi.vismaonline.com/v2/"
SANDBOX_API = "https://eaccountingapi-sandbox.test.vismaonline.com/v2/"
DEFAULT_AUTHORIZE = "https://identity.vismaonline.com/connect/authorize"
DEFAULT_TOKEN = "https://identity.vismaonline.com/connect/token"
# ea:api and offline_access are mandatory [EA-AUTH]; the rest is what the
# connector reads and writes: sales (customers, articles, drafts, invoices),
# purchase read (supplier invoices), accounting read (VAT codes, cost centers).
SCOPES = ("ea:api", "offline_access", "ea:sales", "ea:purchase_readonly", "ea:accounting_readonly")


def token_store(ctx: RunContext) -> SecretTokenStore:
    """Where the tenant's eAccounting tokens lived before they were the
    connection's (`<connector>.oauth_tokens`); only `authorization(ctx,
    settings)` (settings without a connection) still keeps them here, and the
    connection reads them from here while it has none (systems.ea_flow)."""
    return SecretTokenStore(Workspace(ctx.workspace).secrets, ctx.tenant, CONNECTOR)


def authorization(
    ctx: RunContext, settings: Mapping[str, Any], store: TokenStore | None = None
) -> AuthorizationCode:
    """The authorization-code flow for this tenant (also the API client's auth)."""
    return code_flow(
        settings,
        ctx.secrets.resolve(settings["clientSecret"]),
        store if store is not None else token_store(ctx),
        tenant=ctx.tenant,
        transport=ctx.transport,
        clock=ctx.clock,
        redactor=ctx.redactor,
    )


def code_flow(
    settings: Mapping[str, Any],
    client_secret: str,
    store: TokenStore,
    *,
    tenant: str,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
    redactor: Redactor | None = None,
) -> AuthorizationCode:
    """`authorization` without a run context: the secret and store given."""
    return AuthorizationCode(
        str(settings.get("authorizeUrl") or DEFAULT_AUTHORIZE),
        str(settings.get("tokenUrl") or DEFAULT_TOKEN),
        str(settings["clientId"]),
        client_secret,
        str(settings["redirectUri"]),
        list(settings.get("scopes") or SCOPES),
        store,
        tenant=tenant,
        connector=CONNECTOR,
        name=NAME,
        # [PWIT] and Visma's identity server take the client as HTTP Basic
        client_auth="basic",
        transport=transport,
        clock=clock,
        redactor=redactor,
    )
