"""How a received sales document reads back: CustomerInvoiceDto and
CustomerCreditNoteDto built from the (unwrapped) update DTO.

Visma.net fills in what the client left out (customer's currency, credit
terms and due date, the main branch, the period of the document date) and
computes line amounts, VAT and totals; a GET shows those. The body as
received is kept beside it under "received", so a test can check exactly
what the connector sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledgerbridge.plugins.visma_net.emulator.rules import decimal, period_of
from ledgerbridge.plugins.visma_net.emulator.seed_data import vat_rate
from ledgerbridge.plugins.visma_net.emulator.state import VismaState

Doc = dict[str, Any]
CENT = Decimal("0.01")
RECEIVED = "received"  # the stored body as sent; not part of the DTO


def money(value: Decimal) -> float:
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def ref(
    state: VismaState, kind: str, key: Any, id_name: str = "id", text: str = "description"
) -> Doc | None:
    """`{id, description}` of a master-data record (None when no key)."""
    if key is None:
        return None
    record = state.record(kind, key) or {}
    label_field = {"branches": "name", "accounts": "description"}.get(kind, "description")
    return {id_name: str(key), text: record.get(label_field)}


def subaccount_view(segments: Any) -> Doc | None:
    if not segments:
        return None
    values = [str(s.get("segmentValue")) for s in segments]
    return {
        "subaccountNumber": "-".join(values),
        "active": True,
        "segments": [
            {"segmentId": s.get("segmentId"), "segmentValue": s.get("segmentValue")}
            for s in segments
        ],
    }


def due_date(state: VismaState, document_date: str, terms_id: Any) -> str | None:
    """Document date + the credit terms' days (due date type N)."""
    terms = state.record("credit_terms", terms_id) if terms_id is not None else None
    if terms is None:
        return None
    try:
        start = datetime.fromisoformat(document_date[:19])
    except ValueError:
        return None
    return (start + timedelta(days=int(terms.get("dueDay1") or 0))).strftime("%Y-%m-%dT00:00:00")


class _Totals:
    """Running document totals in document currency."""

    def __init__(self) -> None:
        self.detail = Decimal(0)
        self.vat = Decimal(0)
        self.taxable = Decimal(0)
        self.exempt = Decimal(0)


def line_view(state: VismaState, line: Mapping[str, Any], rate: Decimal, totals: _Totals) -> Doc:
    """One CustomerInvoiceLineDto, adding its amounts to `totals`."""
    quantity = decimal(line.get("quantity", 1))
    price = decimal(line.get("unitPriceInCurrency"))
    discount = decimal(line.get("discountPercent"))
    if line.get("manualAmountInCurrency") is not None:
        amount = decimal(line.get("manualAmountInCurrency"))
    else:
        gross = quantity * price * (1 - discount / 100)
        amount = (gross - decimal(line.get("discountAmountInCurrency"))).quantize(CENT)
    vat = state.record("vat", line.get("vatCodeId")) if line.get("vatCodeId") else None
    vat_percent = Decimal(str(vat_rate(vat))) if vat and not vat.get("reverseVat") else Decimal(0)
    totals.detail += amount
    totals.vat += amount * vat_percent / 100
    if vat_percent:
        totals.taxable += amount
    else:
        totals.exempt += amount
    return {
        "lineNumber": line.get("lineNumber"),
        "inventoryNumber": line.get("inventoryNumber"),
        "description": line.get("description"),
        "quantity": float(quantity),
        "unitPriceInCurrency": float(price),
        "unitPrice": money(price * rate),
        "amountInCurrency": money(amount),
        "amount": money(amount * rate),
        "discountPercent": float(discount),
        "account": ref(state, "accounts", line.get("accountNumber"), "number"),
        "vatCode": ref(state, "vat", line.get("vatCodeId")),
        "subaccount": subaccount_view(line.get("subaccount")),
        "branchNumber": ref(state, "branches", line.get("branchNumber"), "number", "name"),
        "uom": line.get("uom"),
        "note": line.get("note"),
    }


def document_view(
    state: VismaState,
    data: Mapping[str, Any],
    number: str,
    document_type: str,
    lines_field: str,
) -> Doc:
    """The stored document: the DTO a GET returns plus what was received."""
    customer = state.customers.get(str(data.get("customerNumber"))) or {}
    document_date = data.get("documentDate") or state.today()
    period = data.get("financialPeriod") or period_of(document_date)
    currency = data.get("currencyId") or customer.get("currencyId") or _base_currency(state)
    rate = decimal(data.get("exchangeRate") or 1)
    terms_id = data.get("creditTermsId") or (customer.get("creditTerms") or {}).get("id")
    totals = _Totals()
    lines = [line_view(state, ln, rate, totals) for ln in data.get(lines_field) or []]
    total = totals.detail + totals.vat.quantize(CENT, rounding=ROUND_HALF_UP)
    now = state.now_iso()
    doc: Doc = {
        "documentType": document_type,
        "referenceNumber": number,
        "status": "Hold" if data.get("hold") else "Balanced",
        "hold": bool(data.get("hold")),
        "customer": {"number": customer.get("number"), "name": customer.get("name")},
        "documentDate": document_date,
        "documentDueDate": data.get("documentDueDate") or due_date(state, document_date, terms_id),
        "origInvoiceDate": data.get("origInvoiceDate"),
        "financialPeriod": period,
        "postPeriod": data.get("postPeriod") or period,
        "currencyId": currency,
        "exchangeRate": float(rate),
        "creditTerms": ref(state, "credit_terms", terms_id),
        "paymentMethod": ref(state, "payment_methods", data.get("paymentMethodId")),
        "customerRefNumber": data.get("customerRefNumber"),
        "invoiceText": data.get("invoiceText"),
        "externalReference": data.get("externalReference"),
        "paymentReference": data.get("paymentReference"),
        "note": data.get("note"),
        "dontPrint": bool(data.get("dontPrint")),
        "dontEmail": bool(data.get("dontEmail")),
        "sendToAutoInvoice": bool(data.get("sendToAutoInvoice")),
        "branchNumber": ref(
            state, "branches", data.get("branchNumber") or _main_branch(state), "number", "name"
        ),
        "detailTotalInCurrency": money(totals.detail),
        "detailTotal": money(totals.detail * rate),
        "vatTaxableTotalInCurrency": money(totals.taxable),
        "vatExemptTotalInCurrency": money(totals.exempt),
        "vatTotalInCurrency": money(totals.vat),
        "vatTotal": money(totals.vat * rate),
        "amountInCurrency": money(total),
        "amount": money(total * rate),
        "balanceInCurrency": money(total),
        "balance": money(total * rate),
        lines_field: lines,
        "createdDateTime": now,
        "lastModifiedDateTime": now,
        RECEIVED: dict(data),
    }
    return doc


def public(doc: Mapping[str, Any], attachments: list[Doc] | None) -> Doc:
    """The DTO as the API answers it: without the received body, with
    `attachments` when asked for."""
    out = {k: v for k, v in doc.items() if k != RECEIVED}
    if attachments is not None:
        out["attachments"] = attachments
    return out


def _base_currency(state: VismaState) -> str:
    for cury, record in state.master["currencies"].items():
        if record.get("isBaseCurrency"):
            return cury
    return "SEK"


def _main_branch(state: VismaState) -> str | None:
    for number, record in state.master["branches"].items():
        if record.get("isMainBranch"):
            return number
    return None
