"""Invoice bases (fakturagrunnlag) as draft customer invoices in Visma.net.

"Fakturagrunnlag registreres som et utkast, som deretter må fullføres i Visma
Financial." A credit sale of the SAF-T file (a transaction whose type stands
for 11002, Credit sale) becomes `POST /v2/customerinvoice` with `hold: true`:
a draft, editable and never released by us. Its customer is the Visma.net
customer the customers flow linked to the DUELL customer, else the one found
by organisation number, phone or email; a customer Visma.net does not have
refuses the invoice basis with the fix. Lines keep DUELL's amounts ex VAT
per unit and the rate's VAT category; an article that is an item in
Visma.net is invoiced as that item, any other on `invoiceAccount`. The
external reference (the department, register and transaction) finds a draft
whose answer was lost, so each invoice basis is sent once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledgerbridge.core.components import WriteResult
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.http import ApiError
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.core.state.links import LinkView
from ledgerbridge.plugins.pos_zreport.customers import (
    CustomerPayload,
    email_forms,
    match_customer,
    org_number,
    phone_forms,
)
from ledgerbridge.plugins.pos_zreport.saft.reader import money
from ledgerbridge.plugins.pos_zreport.settings import Settings, rate_key
from ledgerbridge.plugins.pos_zreport.visma import Companies
from ledgerbridge.plugins.visma_net.target import SYSTEM, TITLE, raise_refusal

CENT = Decimal("0.01")


def v(value: Any) -> dict[str, Any]:
    return {"value": value}


@dataclass(frozen=True)
class DraftInvoice:
    department: str
    label: str
    reference: str
    customer: dict[str, Any]
    body: dict[str, Any]
    articles: tuple[str, ...]


class InvoiceBasisMapper:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def map(self, record: Record) -> DraftInvoice:
        d = record.data
        dept = self.settings.departments[d["department"]]
        label = f"invoice basis {d['transID']} of {dept.name}"
        lines, articles = [], []
        for i, line in enumerate(d["lines"]):
            rate = rate_key(line["vatPerc"])
            entry = self.settings.vat.get(rate)
            if entry is None:
                raise RecordError(
                    f"{label}: line {i + 1} has VAT rate {rate} %, which has no Avgiftsnr",
                    field=f"lines[{i}].vatPerc",
                    value=rate,
                    rule="every VAT rate needs its Avgiftsnr (vatMap)",
                    fix=f'add "{rate}": {{"vatId": "<Avgiftsnr>"}} under vatMap',
                )
            qty = money(line["qnt"]) or Decimal(1)
            unit = (money(line["amountEx"]) / qty).quantize(Decimal("0.0001"), ROUND_HALF_UP)
            row: dict[str, Any] = {
                "operation": "Insert",
                "description": v((line.get("description") or line.get("artID") or "")[:256]),
                "quantity": v(float(qty)),
                "unitPriceInCurrency": v(float(unit)),
                "vatCodeId": v(entry.category),
            }
            if dept.subaccount():
                row["subaccount"] = dept.subaccount()
            if dept.branch:
                row["branchNumber"] = v(dept.branch)
            lines.append(row)
            articles.append(line.get("artID") or "")
        reference = f"DUELL {d['department']}/{d['register']}/{d['transID']}"[:40]
        body: dict[str, Any] = {
            "documentDate": v(f"{d['date']}T00:00:00"),
            "financialPeriod": v(d["date"][:4] + d["date"][5:7]),
            "hold": v(True),
            "externalReference": v(reference),
            "invoiceText": v((d.get("note") or f"DUELL {dept.name} {d['transID']}")[:256]),
            "currencyId": v(d.get("currency") or "NOK"),
            "invoiceLines": lines,
        }
        if d.get("reference"):
            body["customerRefNumber"] = v(str(d["reference"])[:40])
        if dept.branch:
            body["branchNumber"] = v(dept.branch)
        return DraftInvoice(dept.key, label, reference, dict(d["customer"]), body, tuple(articles))


class DraftInvoiceTarget:
    system = SYSTEM
    title = TITLE

    def __init__(self, companies: Companies, links: LinkView, settings: Settings) -> None:
        self.companies = companies
        self.links = links
        self.settings = settings
        self._items: dict[tuple[int, str], bool] = {}
        self._lock = threading.Lock()

    def label(self, payload: DraftInvoice) -> str:
        return payload.label

    def write(self, payload: DraftInvoice, record: Record, binding: Binding | None) -> WriteResult:
        api = self.companies.api(payload.department)
        body = dict(payload.body)
        body["customerNumber"] = v(self._customer(payload))
        body["invoiceLines"] = [
            {**line, **self._article(payload, i, art)}
            for i, (line, art) in enumerate(
                zip(payload.body["invoiceLines"], payload.articles, strict=True)
            )
        ]
        try:
            number = api.create_document("v2/customerinvoice", body)
        except ApiError as exc:
            raise_refusal(exc, payload.label, "correct the credit sale in DUELL")
        return self._qualified(payload, WriteResult(number, "created"))

    def lookup(self, payload: DraftInvoice, record: Record) -> WriteResult | None:
        found = self.companies.api(payload.department).find_document("invoice", payload.reference)
        if found is None:
            return None
        number = found.get("referenceNumber")
        number = number.get("value") if isinstance(number, dict) else number
        return self._qualified(payload, WriteResult(str(number), "unchanged"))

    def _qualified(self, payload: DraftInvoice, result: WriteResult) -> WriteResult:
        qualified = self.companies.qualified(payload.department, result)
        assert qualified is not None
        return qualified

    def _customer(self, payload: DraftInvoice) -> str:
        """The customer the customers flow of the department's company linked
        (each company has its own: visma.py's `Company`), else one found there."""
        c = payload.customer
        company = self.companies.company(payload.department)
        cid = str(c.get("customer_id"))
        linked = self.links.other("duell", "customer", cid, company.system)
        if linked is not None:
            return company.local(str(linked.key))
        probe = CustomerPayload(
            "",
            {},
            org_number(c.get("org_no")),
            tuple(phone_forms(c.get("phone"))),
            tuple(email_forms(c.get("email"))),
        )
        found = match_customer(self.companies.api(payload.department), probe, payload.label)
        if found is None:
            raise RecordError(
                f"{payload.label}: customer {c.get('name')} ({c.get('customer_id')}) is not in "
                f"Visma.net{company.where}",
                field="customer",
                value=c.get("customer_id"),
                rule="a draft invoice needs a Visma.net customer: the one the DUELL customer is "
                "linked to, or found by organisation number, phone or email",
                fix="let the customers flow send the customer (a DUELL connection with "
                "customers on), or create it in Visma.net; then run again",
                retryable=True,
            )
        return found

    def _article(self, payload: DraftInvoice, i: int, art: str) -> dict[str, Any]:
        api = self.companies.api(payload.department)
        key = (id(api), art)
        with self._lock:
            known = self._items.get(key)
        if known is None:
            known = bool(art) and api.get_inventory(art) is not None
            with self._lock:
                self._items[key] = known
        if known:
            return {"inventoryNumber": v(art)}
        if self.settings.invoice_account is None:
            raise RecordError(
                f"{payload.label}: article {art or '(none)'} on line {i + 1} is not an item in "
                "Visma.net and no invoiceAccount is set",
                field=f"lines[{i}].artID",
                value=art,
                rule="an invoice line is an item or is booked on invoiceAccount",
                fix="send the product to Visma.net (products flow), or set invoiceAccount",
            )
        return {"accountNumber": v(self.settings.invoice_account)}
