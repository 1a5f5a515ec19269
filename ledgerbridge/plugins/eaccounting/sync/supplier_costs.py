"""Supplier invoices in eAccounting -> project costs (project fees) in Visma PM.

The seed ("Leverantörsfakturor"): the project a cost goes to is set on the
supplier invoice's rows in eAccounting; each such row becomes a fee on that
PM project, billable or not per the setting, with quantity 1, unit cost and
unit price = the row's amount, the description "invoice date + voucher
number + supplier name", the date of the cost = the invoice date, and the
VAT rate the PM organization has as default. The invoices read are those
whose invoice date is in the configured window (this week, this month, a
date range), and the same supplier invoice is never transferred twice: each
row is linked to its fee (create-only), so runs in the same week add only
what is new, and a lost answer is found again among the project's fees.

A row's project: a cost center item on the row whose short name is a PM
project number (projects are transferred as cost center items, short name
= project number), else the row's eAccounting project with that number.
Rows with neither are not project costs and are not read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from ledgerbridge.core.components import WriteResult
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.core.state.links import LinkView
from ledgerbridge.plugins.eaccounting.eaccounting.api import EAccountingApi
from ledgerbridge.plugins.eaccounting.pm.api import SeveraApi
from ledgerbridge.plugins.eaccounting.sync.invoice_setup import InvoiceSetup

ENTITY = "supplier_cost"
BOOKED = 1  # SupplierInvoiceApi.Status: 0 Draft, 1 Normal, 2 Deleted


def window(setting: Any, today: date) -> tuple[date, date]:
    """The invoice dates transferred: this week (Monday to Sunday, the
    default), this month, or a {"from", "to"} range."""
    if isinstance(setting, Mapping):
        return date.fromisoformat(str(setting["from"])), date.fromisoformat(str(setting["to"]))
    if setting == "this-month":
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1)
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


class SupplierCostSource:
    """The project rows of booked supplier invoices dated in the window."""

    system = "eaccounting"
    title = "Visma eAccounting"

    def __init__(
        self, ea: EAccountingApi, pm: SeveraApi, setup: InvoiceSetup, dates: tuple[date, date]
    ) -> None:
        self.ea, self.pm, self.setup, self.dates = ea, pm, setup, dates
        self._projects: dict[str, dict[str, Any] | None] = {}
        self._ea_projects: dict[str, str | None] = {}

    def read(self, since: str | None) -> Iterator[Record]:
        first, last = (f"{d.isoformat()}T00:00:00" for d in self.dates)
        for doc in self.ea.supplier_invoices(first, last):
            if doc.get("Status", BOOKED) != BOOKED:
                continue
            for row in doc.get("Rows") or []:
                project = self._project(row)
                if project is None:
                    continue
                yield Record(ENTITY, f"{doc['Id']}/{row['Id']}", _cost(doc, row, project))

    def _project(self, row: Mapping[str, Any]) -> dict[str, Any] | None:
        for n in (1, 2, 3):  # the row's item in each cost center; projects are in one
            if self.setup.project_center not in (None, n):
                continue
            item_id = row.get(f"CostCenterItemId{n}")
            found = self.setup.item_by_id(str(item_id)) if item_id else None
            if found is not None:
                project = self._pm_project(str(found[1].get("ShortName") or ""))
                if project is not None:
                    return project
        if row.get("ProjectId"):
            number = self._ea_project_number(str(row["ProjectId"]))
            return self._pm_project(number) if number else None
        return None

    def _pm_project(self, number: str) -> dict[str, Any] | None:
        if not number.isdigit():
            return None
        if number not in self._projects:
            found = self.pm.projects_numbered(int(number))
            self._projects[number] = (
                {k: found[0].get(k) for k in ("guid", "number", "name")} if found else None
            )
        return self._projects[number]

    def _ea_project_number(self, project_id: str) -> str | None:
        if project_id not in self._ea_projects:
            doc = self.ea.get_project(project_id) or {}
            self._ea_projects[project_id] = str(doc.get("Number") or "") or None
        return self._ea_projects[project_id]


def _cost(
    doc: Mapping[str, Any], row: Mapping[str, Any], project: dict[str, Any]
) -> dict[str, Any]:
    amount = float(row.get("DebetAmount") or 0) - float(row.get("CreditAmount") or 0)
    return {
        "invoiceDate": str(doc.get("InvoiceDate") or "")[:10],
        "voucherNumber": doc.get("VoucherNumber"),
        "supplierName": doc.get("SupplierName"),
        "invoiceNumber": doc.get("InvoiceNumber"),
        "currency": doc.get("CurrencyCode"),
        "amount": round(amount, 2),
        "project": project,
    }


def description(data: Mapping[str, Any]) -> str:
    """The seed's description: invoice date + voucher number + supplier name."""
    parts = (data.get("invoiceDate"), data.get("voucherNumber"), data.get("supplierName"))
    return " ".join(str(p) for p in parts if p)


class ProjectFeeMapper:
    """A supplier cost as a `ProjectFeeInputModel`."""

    def __init__(self, pm: SeveraApi, billable: bool) -> None:
        self.pm, self.billable = pm, billable
        self._vat: float | None = None
        self._currencies: set[str] | None = None

    def map(self, record: Record) -> dict[str, Any]:
        data = record.data
        text = description(data)
        currency = self._currency(str(data.get("currency") or ""), text)
        money = {"amount": data["amount"], "currencyCode": currency}
        return {
            "project": {"guid": data["project"]["guid"]},
            "name": text,
            "description": text,
            "eventDate": data["invoiceDate"],
            "quantity": 1,
            "unitCost": money,
            "unitPrice": dict(money),
            "vatRate": self._default_vat(),
            "isBillable": self.billable,
        }

    def _default_vat(self) -> float:
        if self._vat is None:
            rates = self.pm.vat_rates()
            default = next((r for r in rates if r.get("isDefault")), None)
            if default is None:
                raise RecordError(
                    "Visma PM has no default VAT rate, which supplier costs are given",
                    rule="a supplier cost gets the organization's default VAT rate",
                    fix="mark a VAT rate as default in Visma PM's settings and run again",
                )
            self._vat = float(default.get("percentage") or 0)
        return self._vat

    def _currency(self, code: str, text: str) -> str:
        if self._currencies is None:
            self._currencies = {
                str(c.get("code")).upper()
                for c in self.pm.currencies()
                if c.get("isActive") or c.get("isOrganizationCurrency")
            }
        if code.upper() not in self._currencies:
            raise RecordError(
                f"Supplier invoice {text} is in {code}, and Visma PM has no active currency "
                f"{code}: currencies other than the organization's need PM's Currencies "
                "add-on (Valutor)",
                field="CurrencyCode",
                value=code,
                rule="a supplier cost's currency is active in Visma PM",
                fix=f"activate the Currencies add-on (Valutor) and {code} in Visma PM",
            )
        return code.upper()


class ProjectFeeTarget:
    """Creates the project fee; a lost answer is found among the project's
    fees by description, date and amount (one linked to no other row)."""

    system = "pm"
    title = "Visma PM"

    def __init__(self, api: SeveraApi, links: LinkView) -> None:
        self.api, self.links = api, links

    def label(self, payload: Mapping[str, Any]) -> str:
        return f"supplier cost {payload.get('description')}"

    def write(
        self, payload: dict[str, Any], record: Record, binding: Binding | None
    ) -> WriteResult:
        if binding is not None:  # create-only: the engine never updates a linked cost
            return WriteResult(binding.remote_id, "unchanged")
        doc = self.api.create_project_fee(payload)
        return WriteResult(str(doc["guid"]), "created", doc.get("lastUpdatedDateTime"))

    def lookup(self, payload: dict[str, Any], record: Record) -> WriteResult | None:
        for fee in self.api.fees_of_project(str(payload["project"]["guid"])):
            if self.links.find(self.system, ENTITY, str(fee["guid"])) is not None:
                continue
            cost = (fee.get("unitCost") or {}).get("amount")
            same = (
                fee.get("description") == payload["description"]
                and str(fee.get("eventDate") or "")[:10] == payload["eventDate"]
                and cost is not None
                and abs(float(cost) - float(payload["unitCost"]["amount"])) < 0.005
            )
            if same:
                return WriteResult(str(fee["guid"]), "unchanged", fee.get("lastUpdatedDateTime"))
        return None


def today_in_sweden(now: float) -> date:
    """The seed's weeks and months are the user's (Swedish) calendar."""
    try:
        from zoneinfo import ZoneInfo

        return datetime.fromtimestamp(now, ZoneInfo("Europe/Stockholm")).date()
    except Exception:  # no time zone data on this machine: UTC is at most a day off
        from datetime import UTC

        return datetime.fromtimestamp(now, UTC).date()
