"""A ready eAccounting sandbox for tests.

    sandbox, state = make_sandbox(settings={...})       # FakeClock unless a clock is given
    tokens = authorize(sandbox)                         # consent + code exchange
    with api_client(sandbox, tokens) as api:            # holds the bearer token
        api.get("/v2/customers")
    state.customers.all()                               # what eAccounting holds

`connection(sandbox)` gives the URLs and demo client that point an
eAccounting API client at the emulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ledgerbridge.core.clock import Clock, FakeClock
from ledgerbridge.core.sandbox import Sandbox
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import EMULATOR
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.app import EAccountingApp, state_of
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.identity import (
    ALL_SCOPES,
    AUTHORIZE_PATH,
    DEMO_CLIENT,
    TOKEN_PATH,
)
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.state import EAccountingState
from ledgerbridge.plugins.eaccounting.stamps import stable_guid

NAME = EMULATOR.name
REDIRECT_URI = "http://127.0.0.1:8765/callback"


def make_sandbox(
    seed: int = 0, clock: Clock | None = None, settings: Mapping[str, Any] | None = None
) -> tuple[Sandbox, EAccountingState]:
    """A sandbox serving only this emulator."""
    sandbox = Sandbox(
        [EMULATOR], seed=seed, clock=clock or FakeClock(), settings={NAME: dict(settings or {})}
    )
    return sandbox, state_of(sandbox.apps[NAME])


def app_of(sandbox: Sandbox) -> EAccountingApp:
    app = sandbox.apps[NAME]
    assert isinstance(app, EAccountingApp)
    return app


def authorize(sandbox: Sandbox, scope: str = ALL_SCOPES) -> dict[str, Any]:
    """Tokens for the demo client: the consent a user gives, then the code exchange."""
    code = app_of(sandbox).identity.grant(DEMO_CLIENT.client_id, scope, REDIRECT_URI)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": DEMO_CLIENT.client_id,
        "client_secret": DEMO_CLIENT.client_secret,
    }
    with sandbox.client(NAME) as plain:
        response = plain.post(TOKEN_PATH, data=form)
    response.raise_for_status()
    tokens: dict[str, Any] = response.json()
    return tokens


def api_client(sandbox: Sandbox, tokens: Mapping[str, Any] | None = None) -> httpx.Client:
    """An in-process client for the emulator, already holding a bearer token."""
    access = (tokens or authorize(sandbox))["access_token"]
    return sandbox.client(NAME, headers={"Authorization": f"Bearer {access}"})


def connection(sandbox: Sandbox) -> dict[str, str]:
    """URLs and demo credentials reaching this sandbox's emulator."""
    base = sandbox.base_url(NAME)
    return {
        "apiBaseUrl": base + "/v2/",
        "authorizeUrl": base + AUTHORIZE_PATH,
        "tokenUrl": base + TOKEN_PATH,
        "clientId": DEMO_CLIENT.client_id,
        "clientSecret": DEMO_CLIENT.client_secret,
        "redirectUri": REDIRECT_URI,
    }


def cost_center_id(number: int) -> str:
    """The Id of seeded cost center `number` (1..3)."""
    return stable_guid("costcenter", str(number))


def terms_id(name: str = "30 dagar") -> str:
    return stable_guid("termsofpayment", name)


def unit_id(name: str = "Styck") -> str:
    return stable_guid("unit", name)


def coding_id(name: str = "Tjänster 25% moms") -> str:
    return stable_guid("articleaccountcoding", name)
