"""`ledgerbridge demo` for nmbrs_journals: the emulated Nmbrs environment's
payroll of January to March 2024 (a normal run each month, the March run
correcting January and February) sent to the emulated Visma.net company,
on cost center and cost unit dimensions, then run again to show nothing is
sent twice."""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.components import DemoSetup
from ledgerbridge.plugins.nmbrs_journals.formats import EXAMPLE_BAS, EXAMPLE_PNL
from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator.state import DEMO_USER
from ledgerbridge.plugins.visma_net.demo import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_TENANT_ID,
)


def demo_setup(kit: Any) -> DemoSetup:
    visma = kit.base_url("visma_net")
    config = {
        "clientId": DEMO_CLIENT_ID,
        "clientSecret": {"secret": "visma_client_secret"},
        "tenantId": {"secret": "visma_tenant_id"},
        "apiBaseUrl": visma,
        "tokenUrl": f"{visma}/connect/token",
        "username": DEMO_USER["username"],
        "token": {"secret": "nmbrs_token"},
        "domain": DEMO_USER["domain"],
        "soapBaseUrl": kit.base_url("nmbrs") + "/soap/v3/",
        "fromYear": 2024,
        "formatBas": EXAMPLE_BAS,
        "formatPnl": EXAMPLE_PNL,
        "administrations": [
            {
                "nmbrsCompanyId": 12,
                "branch": "1",
                "dimensions": {"costCenter": "Avdelning", "costUnit": "Projekt"},
            }
        ],
    }
    return DemoSetup(
        config=config,
        secrets={
            "visma_client_secret": DEMO_CLIENT_SECRET,
            "visma_tenant_id": DEMO_TENANT_ID,
            "nmbrs_token": DEMO_USER["token"],
        },
        describe=(
            "Sends the payroll journals of Nmbrs company 12 (Nordic Haulage Payroll AB) for\n"
            "January to March 2024 to the emulated Visma.net: one normal run a month, and\n"
            "the March run's corrections of January and February booked in those periods\n"
            "with the March run's reference. Salary accounts (Format PNL) go on the\n"
            "cost center and cost unit dimensions, balance accounts (Format BAS) do not."
        ),
    )
