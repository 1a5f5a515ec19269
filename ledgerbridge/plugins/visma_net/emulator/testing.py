"""A ready Visma.net sandbox for tests.

    sandbox, state = make_sandbox(seed=0, clock=FakeClock(), settings={...})
    with api_client(sandbox) as api:            # holds a demo bearer token
        api.get("/v1/vat", params={"pageNumber": 1, "pageSize": 100})
    state.invoices.get("100001")["received"]   # what Visma.net got

`connection(sandbox)` gives the connector settings (apiBaseUrl, tokenUrl,
client id, secret and tenant) that point a visma_net config at the emulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ledgerbridge.core.clock import Clock, FakeClock
from ledgerbridge.core.sandbox import Sandbox
from ledgerbridge.plugins.visma_net.emulator import EMULATOR
from ledgerbridge.plugins.visma_net.emulator.app import state_of
from ledgerbridge.plugins.visma_net.emulator.auth import ALL_SCOPES, DEMO_CLIENT, TOKEN_PATH
from ledgerbridge.plugins.visma_net.emulator.state import VismaState

NAME = EMULATOR.name
DEMO_TENANT = next(iter(DEMO_CLIENT.tenants))


def make_sandbox(
    seed: int = 0, clock: Clock | None = None, settings: Mapping[str, Any] | None = None
) -> tuple[Sandbox, VismaState]:
    """A sandbox serving only this emulator (FakeClock unless a clock is given)."""
    sandbox = Sandbox(
        [EMULATOR], seed=seed, clock=clock or FakeClock(), settings={NAME: dict(settings or {})}
    )
    return sandbox, state_of(sandbox.apps[NAME])


def token_form(
    client_id: str = DEMO_CLIENT.client_id,
    client_secret: str = DEMO_CLIENT.client_secret,
    tenant_id: str = DEMO_TENANT,
    scope: str = " ".join(ALL_SCOPES),
) -> dict[str, str]:
    """The form the connector posts to Visma Connect."""
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
        "scope": scope,
        "tenant_id": tenant_id,
    }


def get_token(client: httpx.Client, **form: str) -> str:
    response = client.post(TOKEN_PATH, data=token_form(**form))
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def api_client(sandbox: Sandbox, **form: str) -> httpx.Client:
    """An in-process client for the emulator, already holding a bearer token."""
    with sandbox.client(NAME) as plain:
        token = get_token(plain, **form)
    return sandbox.client(NAME, headers={"Authorization": f"Bearer {token}"})


def connection(sandbox: Sandbox) -> dict[str, str]:
    """visma_net config values that reach this sandbox's emulator (demo client)."""
    base = sandbox.base_url(NAME)
    return {
        "apiBaseUrl": base,
        "tokenUrl": base + TOKEN_PATH,
        "clientId": DEMO_CLIENT.client_id,
        "clientSecret": DEMO_CLIENT.client_secret,
        "tenantId": DEMO_TENANT,
    }
