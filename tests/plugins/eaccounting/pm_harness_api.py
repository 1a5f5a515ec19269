"""A Severa API client on a sandbox, for reading PM as the connector does."""

from __future__ import annotations

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.redact import Redactor
from ledgerbridge.core.sandbox import Sandbox
from ledgerbridge.plugins.eaccounting.pm import api as severa
from ledgerbridge.plugins.eaccounting.pm.auth import SeveraCredentials
from ledgerbridge.plugins.eaccounting.pm.emulator import testing as pm


def pm_api(sandbox: Sandbox) -> severa.SeveraApi:
    conn = pm.connection(sandbox)
    auth = SeveraCredentials(
        conn["apiBaseUrl"] + "v1/token",
        conn["clientId"],
        conn["clientSecret"],
        None,
        error_parser=severa.parse_severa_error,
        transport=sandbox.transport(),
    )
    clock = sandbox.clock if isinstance(sandbox.clock, FakeClock) else FakeClock()
    client = severa.build_client(
        conn["apiBaseUrl"],
        auth,
        conn["clientId"],
        tenant="test",
        clock=clock,
        redactor=Redactor(),
        transport=sandbox.transport(),
    )
    return severa.SeveraApi(client)
