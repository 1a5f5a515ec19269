"""A ready Severa sandbox for tests.

    sandbox, state = make_sandbox(settings={...})   # FakeClock unless a clock is given
    with api_client(sandbox) as api:                # holds a token and the client_id header
        api.get("/rest-api/v1/customers")
    state.invoices.all()                            # what PM holds

`connection(sandbox)` gives the base URL and demo client that point a Severa
API client at the emulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ledgerbridge.core.clock import Clock, FakeClock
from ledgerbridge.core.sandbox import Sandbox
from ledgerbridge.plugins.eaccounting.pm.emulator import EMULATOR
from ledgerbridge.plugins.eaccounting.pm.emulator.app import SeveraApp, state_of
from ledgerbridge.plugins.eaccounting.pm.emulator.auth import DEMO_CLIENT, TOKEN_PATH
from ledgerbridge.plugins.eaccounting.pm.emulator.seed_data import invoice_status
from ledgerbridge.plugins.eaccounting.pm.emulator.state import SeveraState
from ledgerbridge.plugins.eaccounting.stamps import stable_guid

NAME = EMULATOR.name
TO_TRANSFER = "Skicka till eEkonomi"
TRANSFERRED = "Överförd eEkonomi"


def make_sandbox(
    seed: int = 0, clock: Clock | None = None, settings: Mapping[str, Any] | None = None
) -> tuple[Sandbox, SeveraState]:
    sandbox = Sandbox(
        [EMULATOR], seed=seed, clock=clock or FakeClock(), settings={NAME: dict(settings or {})}
    )
    return sandbox, state_of(sandbox.apps[NAME])


def app_of(sandbox: Sandbox) -> SeveraApp:
    app = sandbox.apps[NAME]
    assert isinstance(app, SeveraApp)
    return app


def get_token(sandbox: Sandbox, scope: str | None = None) -> str:
    body = {"client_id": DEMO_CLIENT.client_id, "client_secret": DEMO_CLIENT.client_secret}
    if scope is not None:
        body["scope"] = scope
    with sandbox.client(NAME) as plain:
        response = plain.post(TOKEN_PATH, json=body)
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def api_client(sandbox: Sandbox, scope: str | None = None) -> httpx.Client:
    """An in-process client holding a bearer token and the client_id header."""
    headers = {
        "Authorization": f"Bearer {get_token(sandbox, scope)}",
        "client_id": DEMO_CLIENT.client_id,
    }
    return sandbox.client(NAME, headers=headers)


def connection(sandbox: Sandbox) -> dict[str, str]:
    return {
        "apiBaseUrl": sandbox.base_url(NAME) + "/rest-api/",
        "clientId": DEMO_CLIENT.client_id,
        "clientSecret": DEMO_CLIENT.client_secret,
    }


def seed_statuses() -> list[dict[str, Any]]:
    """The two statuses the seed tells the user to add (no invoice number)."""
    return [
        {"name": TO_TRANSFER, "hasInvoiceNumber": False, "sortOrder": 10},
        {"name": TRANSFERRED, "hasInvoiceNumber": False, "sortOrder": 11},
    ]


def status_guid(name: str) -> str:
    """The guid of one of the organization's built-in statuses (seed_data)."""
    return str(invoice_status(name)["guid"])


def country_guid(code2: str) -> str:
    return stable_guid("severa-country", code2)
