"""`ledgerbridge demo` for pos_zreport: a week of two DUELL departments
settled into the emulated Visma.net. One day Storgata sold cinema tickets at
12 % VAT, a rate the config has no Avgiftsnr for yet: that settlement fails
alone, with the fix; the demo then maps 12 % to Visma.net's VAT 33, as an
operator would, and replays it to green."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from ledgerbridge.core.components import DemoFix, DemoSetup
from ledgerbridge.plugins.pos_zreport.saft.generator import Line, Receipt, Shop, write_saft
from ledgerbridge.plugins.pos_zreport.saft.sample import CATALOGUE, random_days

DAYS = [f"2024-03-{d:02d}" for d in range(11, 18)]
SHOPS = {
    "sentrum": Shop(location="Butikk Sentrum", register="1"),
    "storgata": Shop(location="Storgata", register="7"),
}
ORDINARY = [row for row in CATALOGUE if row[4] != "12.00"]


def demo_setup(kit: Any) -> DemoSetup:
    folder = kit.folder / "saft"
    rng = random.Random(11)
    for n, (dept, shop) in enumerate(SHOPS.items()):
        (folder / dept).mkdir(parents=True, exist_ok=True)
        days = random_days(
            rng, DAYS, first_report=300 + 100 * n, receipts=(20, 35), catalogue=ORDINARY
        )
        if dept == "storgata":
            ticket = Line("4001", Decimal(2), Decimal("135.00"), "12.00", Decimal("90.00"), "400")
            days[4].receipts.append(Receipt([ticket], "VIPPS", "19:30:00"))
        for day in days:
            write_saft(folder / dept / f"{day.date}.xml", shop, [day])
    base = kit.base_url("visma_net")
    vat = {"25": {"vatId": "3"}, "15": {"vatId": "31"}, "0": {"vatId": "5"}}
    config = {
        "saftFolder": str(folder),
        "apiBaseUrl": base,
        "tokenUrl": f"{base}/connect/token",
        "clientId": "ledgerbridge-demo",
        "clientSecret": {"secret": "visma_client_secret"},
        "tenantId": {"secret": "visma_tenant_id"},
        "departments": {
            "sentrum": {
                "name": "Butikk Sentrum",
                "branch": "1",
                "costBearer": {"segmentId": 1, "segmentValue": "100"},
            },
            "storgata": {
                "name": "Storgata",
                "branch": "2",
                "costBearer": {"segmentId": 1, "segmentValue": "200"},
            },
        },
        "vatMap": vat,
        "accounts": {
            "payments": {
                "CASH": "1900",
                "BANKAXEPT": "1920",
                "VISA": "2380",
                "MASTERCARD": "2380",
                "VIPPS": "1921",
            },
            "revenue": {"25": "3000", "15": "3020", "12": "3030", "0": "3100"},
            "rounding": "7740",
            "tips": "2960",
            "cashDifference": "7790",
        },
    }
    fixed = {**config, "vatMap": {**vat, "12": {"vatId": "33"}}}
    return DemoSetup(
        config=config,
        secrets={"visma_tenant_id": "demo-tenant-0001", "visma_client_secret": "demo-secret"},
        describe=(
            "Settles a week (11-17 March 2024) of two DUELL departments, Butikk Sentrum and\n"
            "Storgata, from their SAF-T Cash Register files into open journal batches in the\n"
            "emulated Visma.net. On the 15th Storgata sold cinema tickets at 12 % VAT, which\n"
            "has no Avgiftsnr in the config yet: that settlement fails alone, with the fix."
        ),
        fix=DemoFix(
            describe=(
                "Visma.net's Avgiftsnr for 12 % is 33 (Avgiftskoder), so add\n"
                '"12": {"vatId": "33"} under vatMap in the config and save it.'
            ),
            config=fixed,
        ),
    )
