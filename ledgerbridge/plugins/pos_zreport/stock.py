"""Stock ("Lager"): each settlement's sales as an inventory issue in Visma.net.

"Lager: Aktiver funksjonen for at salg i DUELL utfører oppdatering av
lagerbeholdning i Visma." One issue per settlement and warehouse (the
department's), dated by the settlement date: an Issue line per article sold,
a Return line per article returned on balance, at DUELL's cost price; then
released, which is what moves Visma.net's stock (and posts its cost of goods,
which is why stockChange is refused together with stock: settings.py). Gift
cards are not goods. The external reference (the Z report) finds an issue
whose answer was lost; one saved but not yet released is released then.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledgerbridge.core.components import WriteResult
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.http import ApiError, iter_page_number, path_segment
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.plugins.pos_zreport.journal_lines import stock_items
from ledgerbridge.plugins.pos_zreport.saft.reader import money
from ledgerbridge.plugins.pos_zreport.settings import Settings
from ledgerbridge.plugins.pos_zreport.visma import Companies
from ledgerbridge.plugins.visma_net.target import SYSTEM, TITLE, raise_refusal


def v(value: Any) -> dict[str, Any]:
    return {"value": value}


@dataclass(frozen=True)
class StockIssue:
    department: str
    label: str
    reference: str
    date: str
    body: dict[str, Any]


class StockIssueMapper:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def map(self, record: Record) -> StockIssue:
        d = record.data
        dept = self.settings.departments[d["department"]]
        label = f"stock of Z-report {d['reportID']} of {dept.name}"
        lines = []
        for item in stock_items(d, self.settings.gift_card_groups):
            qty = money(item["qnt"])
            if qty == 0:
                continue
            unit = (money(item["cost"]) / qty).quantize(Decimal("0.01")) if qty else Decimal(0)
            lines.append(
                {
                    "operation": "Insert",
                    "inventoryNumber": v(item["artID"]),
                    "warehouseId": v(dept.warehouse),
                    "quantity": v(float(abs(qty))),
                    "unitCost": v(float(abs(unit))),
                    "tranType": v("Issue" if qty > 0 else "Return"),
                    "description": v(
                        (d.get("articleNames") or {}).get(item["artID"]) or item["artID"]
                    ),
                }
            )
        if not lines:  # the source yields only settlements that moved goods
            raise RecordError(f"{label}: no goods were sold or returned", rule="nothing to issue")
        date = str(d["settlementDate"])
        reference = f"DUELL Z {d['department']}/{d['registerID']}/{d['reportID']}"[:40]
        body = {
            "date": v(f"{date}T00:00:00"),
            "postPeriod": v(date[5:7] + date[:4]),
            "hold": v(False),
            "externalReference": v(reference),
            "description": v(f"DUELL {dept.name} Z {d['reportID']}"),
            "issueLines": lines,
        }
        if dept.branch:
            body["branchNumber"] = v(dept.branch)
        return StockIssue(dept.key, label, reference, date, body)


class StockIssueTarget:
    system = SYSTEM
    title = TITLE

    def __init__(self, companies: Companies) -> None:
        self.companies = companies

    def label(self, payload: StockIssue) -> str:
        return payload.label

    def write(self, payload: StockIssue, record: Record, binding: Binding | None) -> WriteResult:
        api = self.companies.api(payload.department)
        try:
            with api.document(2, "v1/inventoryissue"):
                number = api.create_document("v1/inventoryissue", payload.body)
                self._release(payload, number)
        except ApiError as exc:
            raise_refusal(exc, payload.label, "check the items and warehouse in Visma.net")
        return self._qualified(payload, WriteResult(number, "created"))

    def _qualified(self, payload: StockIssue, result: WriteResult) -> WriteResult:
        qualified = self.companies.qualified(payload.department, result)
        assert qualified is not None
        return qualified

    def lookup(self, payload: StockIssue, record: Record) -> WriteResult | None:
        api = self.companies.api(payload.department)
        params = {"date": payload.date}
        for doc in iter_page_number(api.client, "v1/inventoryissue", params=params):
            if doc.get("externalReference") == payload.reference:
                number = str(doc["referenceNumber"])
                if doc.get("status") == "Balanced":
                    self._release(payload, number)
                return self._qualified(payload, WriteResult(number, "unchanged"))
        return None

    def _release(self, payload: StockIssue, number: str) -> None:
        api = self.companies.api(payload.department)
        api.client.request("POST", f"v1/inventoryissue/{path_segment(number)}/action/release")
