"""`ledgerbridge demo` for visma_net: a realistic invoice period exported to
the emulated Visma.net, with one invoice at the 6 % VAT rate (passenger
transport), which the config does not translate yet: it fails alone, with
the fix; the demo then adds the rate's code to vatCodes, as an operator
would, and replays the invoice to green."""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.components import DemoFix, DemoSetup
from ledgerbridge.plugins.visma_net.samplegen import PeriodSpec, write_period

# The emulator's built-in demo client (see emulator/seed_data.py).
DEMO_CLIENT_ID = "ledgerbridge-demo"
DEMO_CLIENT_SECRET = "demo-secret"
DEMO_TENANT_ID = "demo-tenant-0001"
UNTRANSLATED = "6%"
CODE = "03"  # the emulated company's VAT code of the 6 % rate (emulator/seed_data.py)


def demo_setup(kit: Any) -> DemoSetup:
    folder = kit.folder / "opter-export"
    write_period(
        folder / "period-2024-05.xml",
        PeriodSpec(period="2024-05", invoices=24, bad_vat_rate=UNTRANSLATED),
    )
    base = kit.base_url("visma_net")
    config = {
        "tenantId": {"secret": "visma_tenant_id"},
        "clientId": DEMO_CLIENT_ID,
        "clientSecret": {"secret": "visma_client_secret"},
        "officeCode": "12345-1",
        "exportFolder": str(folder),
        "includePdfCopy": True,
        "apiBaseUrl": base,
        "tokenUrl": f"{base}/connect/token",
        "startText": "overrideNumberSeries=true\ndontPrint=true\nperiodDateSource=AccountingDate",
        "vatCodes": {"25%": "01", "12%": "02", "0%": "05", "EU": "08"},
    }
    fixed = {**config, "vatCodes": {**config["vatCodes"], UNTRANSLATED: CODE}}
    return DemoSetup(
        config=config,
        secrets={"visma_tenant_id": DEMO_TENANT_ID, "visma_client_secret": DEMO_CLIENT_SECRET},
        describe=(
            "Exports invoice period 2024-05 (24 invoices and credit notes, 5 customers, PDF\n"
            "copies) from Opter-style export files to the emulated Visma.net. One invoice\n"
            "uses VAT rate 6%, which has no VAT code translation yet: it fails alone, with\n"
            "the fix; then the fix is made and the invoice replayed."
        ),
        fix=DemoFix(
            describe=(
                f"Visma.net's code for the 6 % rate is {CODE} (Tax rates in Visma.net), so\n"
                f'add "{UNTRANSLATED}": "{CODE}" under vatCodes in the config and save it.'
            ),
            config=fixed,
        ),
    )
