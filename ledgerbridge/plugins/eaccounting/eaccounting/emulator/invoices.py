"""Customer invoices (from converted drafts, with payments) and supplier invoices.

`GET /v2/customerinvoices?modifiedSinceUtc=`, `GET /v2/customerinvoices/{invoiceId}`,
`POST /v2/customerinvoices/{invoiceId}/payments`, `GET /v2/supplierinvoices`,
`GET /v2/supplierinvoices/{id}` [S26].

Converting a draft books it: the invoice gets the next invoice number,
`CreatedFromDraftId`, PaymentStatus 1 (Unpaid) and RemainingAmount = the
total; the draft is gone afterwards (whether the vendor keeps it is an open
question in the facts). The invoice date is today, unless the original draft
date is kept (`keepOriginalDraftDate`, or the company's KeepOriginalDraftDate
unless `overrideCompanyKeepOriginalDraftDate`); the due date adds the terms'
days. There is no "sent" flag in eAccounting: an invoice made from our draft
*is* the sent state (INFERENCE, facts §0.2). A payment lowers the remaining
amount; at zero the invoice is PaymentStatus 0 (Paid) with its PaymentDate.
An unpaid invoice past its due date reads as 2 (Overdue). Every change moves
`ModifiedUtc`; `modifiedSinceUtc` selects ModifiedUtc >= the value
(inclusive: UNVERIFIED).

Supplier invoices are seeded (settings["supplier_invoices"] or
`add_supplier_invoice`) and listed with `$filter` on InvoiceDate/ModifiedUtc.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NoReturn

from ledgerbridge.core.sandbox import App, Request, Response, json_response
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.documents import Doc, complete, money
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.errors import VALIDATION, FieldProblem
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.listing import flag, list_response
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.state import EAccountingState
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.validation import BodyValidator
from ledgerbridge.plugins.eaccounting.stamps import parse_time

INVOICE = "CustomerInvoiceApi"
ROW = "CustomerInvoiceRowApi"
PAYMENT = "InvoicePaymentApi"
SUPPLIER = "SupplierInvoiceApi"
UNPAID, PAID, OVERDUE = 1, 0, 2


def register(app: App, state: EAccountingState, validator: BodyValidator) -> None:
    @app.get("/v2/customerinvoices")
    def list_invoices(request: Request) -> Response:
        since_text = request.query.get("modifiedSinceUtc", "").strip()
        since = parse_time(since_text) if since_text else None
        if since_text and since is None:
            state.errors.invalid(
                "ValidateModelAttributeException",
                f"The value '{since_text}' is not valid for modifiedSinceUtc.",
                "modifiedSinceUtc",
            )
        docs = [view(state, d) for d in state.invoices.all()]
        where = None if since is None else lambda d: _time(d["ModifiedUtc"]) >= since
        return list_response(request, state, INVOICE, docs, where)

    @app.get("/v2/customerinvoices/{invoiceId}")
    def get_invoice(request: Request, invoiceId: str) -> Response:
        return json_response(view(state, require(state, invoiceId)))

    @app.post("/v2/customerinvoices/{invoiceId}/payments")
    def pay_invoice(request: Request, invoiceId: str) -> Response:
        body = validator.body(request, PAYMENT)
        with state.lock:
            invoice = require(state, invoiceId)
            if body["PaymentCurrency"].upper() != invoice["CurrencyCode"]:
                state.errors.invalid(
                    "InvalidPaymentCurrencyException",
                    f"The payment currency must be {invoice['CurrencyCode']}.",
                    "PaymentCurrency",
                )
            amount = body["PaymentAmount"]
            if body["PaymentType"] == 2:  # CompletePayment
                amount = invoice["RemainingAmountInvoiceCurrency"]
            payment = record_payment(state, invoice, amount, body.get("PaymentDate"))
        return json_response({**body, **payment}, 201)

    @app.get("/v2/supplierinvoices")
    def list_supplier_invoices(request: Request) -> Response:
        return list_response(request, state, SUPPLIER, state.supplier_invoices.all())

    @app.get("/v2/supplierinvoices/{id}")
    def get_supplier_invoice(request: Request, id: str) -> Response:
        found = state.supplier_invoices.get(id.lower())
        if found is None:
            state.errors.not_found("supplier invoice", id)
        return json_response(found)


def require(state: EAccountingState, invoice_id: str) -> Doc:
    return state.require("invoices", "customer invoice", invoice_id)


def view(state: EAccountingState, invoice: Doc) -> Doc:
    """The invoice as read now: unpaid past its due date is Overdue."""
    due = parse_time(invoice.get("DueDate") or "")
    today = parse_time(state.stamps.today())
    if invoice["PaymentStatus"] == UNPAID and due is not None and today is not None and due < today:
        return {**invoice, "PaymentStatus": OVERDUE}
    return invoice


def convert(
    state: EAccountingState, draft: Doc, checks: dict[str, Any] | None, request: Request
) -> Doc:
    """Book a draft as a customer invoice; the draft is removed."""
    if not any(not r["IsTextRow"] for r in draft["Rows"]):
        _refuse(state, "The draft has no article rows to invoice.")
    if checks is not None:
        _check_totals(state, draft, checks)
    customer = state.customers.get(draft["CustomerId"])
    if customer is None:
        state.errors.not_found("customer", draft["CustomerId"], "CustomerId")
    keep = flag(request, "keepOriginalDraftDate")
    if not flag(request, "overrideCompanyKeepOriginalDraftDate"):
        keep = keep or bool(state.company.get("KeepOriginalDraftDate"))
    invoice_date = (draft.get("InvoiceDate") if keep else None) or state.stamps.today()
    terms = state.terms_of_payment.get(draft["TermsOfPaymentId"]) or {"NumberOfDays": 0}
    taken = {str(i["InvoiceNumber"]) for i in state.invoices.all()}
    number = state.take_number("NextCustomerInvoiceNumber", taken)
    stamp = state.stamps.next()
    total, vat = draft["TotalAmount"], draft["TotalVatAmount"]
    invoice = complete(
        INVOICE,
        {
            key: draft.get(key)
            for key in (
                "CustomerId",
                "IsCreditInvoice",
                "YourReference",
                "OurReference",
                "InvoiceAddress1",
                "InvoiceAddress2",
                "InvoicePostalCode",
                "InvoiceCity",
                "InvoiceCountryCode",
                "InvoiceCustomerName",
                "CustomerNumber",
                "CustomerName",
                "TermsOfPaymentId",
                "EuThirdParty",
                "RotReducedInvoicingType",
                "CustomerIsPrivatePerson",
            )
        }
        | {
            "Id": state.guids.next(),
            "InvoiceNumber": number,
            "InvoiceDate": _date(invoice_date),
            "DueDate": _date(invoice_date, terms["NumberOfDays"]),
            "CurrencyCode": draft["InvoiceCurrencyCode"],
            "CurrencyRate": 1,
            "Rows": [_invoice_row(r) for r in draft["Rows"]],
            "VatSpecification": _vat_specification(draft["Rows"]),
            "TotalAmount": total,
            "TotalVatAmount": vat,
            "TotalAmountInvoiceCurrency": total,
            "TotalVatAmountInvoiceCurrency": vat,
            "RemainingAmount": total,
            "RemainingAmountInvoiceCurrency": total,
            "CreatedFromDraftId": draft["Id"],
            "VoucherNumber": f"F {number}",
            "VoucherId": state.guids.next(),
            "CustomerEmail": customer["EmailAddress"],
            "PaymentStatus": UNPAID,
            "CreatedUtc": stamp,
            "ModifiedUtc": stamp,
        },
    )
    state.invoices.insert(invoice)
    state.drafts.delete(draft["Id"])
    unpaid = customer.get("UnpaidInvoicesAmount") or 0
    state.customers.update(
        customer["Id"],
        {"LastInvoiceDate": invoice["InvoiceDate"], "UnpaidInvoicesAmount": money(unpaid + total)},
    )
    return invoice


def record_payment(
    state: EAccountingState, invoice: Doc, amount: float, date: str | None
) -> dict[str, Any]:
    """Book a payment of `amount` (invoice currency) on `date` (default today)."""
    paid_on = _date(date or state.stamps.today())
    if _time(paid_on) > _time(state.stamps.today()):
        _refuse(state, "Future dates cannot be set as payment date.", "PaymentDate")
    remaining = money(invoice["RemainingAmountInvoiceCurrency"] - amount)
    if amount <= 0 or remaining < 0:
        _refuse(
            state,
            f"The payment amount must be above 0 and at most the remaining "
            f"{invoice['RemainingAmountInvoiceCurrency']}.",
            "PaymentAmount",
        )
    changes: dict[str, Any] = {
        "RemainingAmount": remaining,
        "RemainingAmountInvoiceCurrency": remaining,
        "ModifiedUtc": state.stamps.next(),
    }
    if remaining == 0:
        changes |= {"PaymentStatus": PAID, "PaymentDate": paid_on}
    state.invoices.update(invoice["Id"], changes)
    customer = state.customers.get(invoice["CustomerId"])
    if customer is not None:
        unpaid = money((customer.get("UnpaidInvoicesAmount") or 0) - amount)
        state.customers.update(customer["Id"], {"UnpaidInvoicesAmount": max(unpaid, 0)})
    return {
        "PaymentDate": paid_on,
        "PaymentAmount": amount,
        "BankTransactionId": state.guids.next(),
    }


def build_supplier_invoice(state: EAccountingState, seed: dict[str, Any]) -> Doc:
    """A booked supplier invoice from a seed (read-only fields may be given)."""
    stamp = state.stamps.next()
    total = seed["TotalAmount"]
    rows = [
        {"Id": state.guids.next(), "LineNumber": i, "AccountName": None, "CreditAmount": 0, **row}
        for i, row in enumerate(seed.get("Rows") or [])
    ]
    number = len(state.supplier_invoices) + 1
    defaults = {
        "Id": state.guids.next(),
        "SupplierId": state.guids.next(),
        "InvoiceDate": state.stamps.today(),
        "CurrencyCode": state.company["CurrencyCode"],
        "CurrencyRate": 1,
        "Number": number,
        "VoucherNumber": f"L {number}",
        "VoucherId": state.guids.next(),
        "RemainingAmount": total,
        "RemainingAmountInvoiceCurrency": total,
        "Status": 1,
        "PaymentStatus": 3,
        "CreatedUtc": stamp,
        "ModifiedUtc": stamp,
    }
    doc = complete(SUPPLIER, {**defaults, **seed, "Rows": rows})
    doc["IsDomestic"] = doc["CurrencyCode"] == state.company["CurrencyCode"]
    return doc


def _check_totals(state: EAccountingState, draft: Doc, checks: dict[str, Any]) -> None:
    expected = {
        "TotalAmountInvoiceCurrency": draft["TotalAmount"],
        "TotalVatAmountInvoiceCurrency": draft["TotalVatAmount"],
        "TotalRoundingsInvoiceCurrency": draft["TotalRoundings"],
    }
    for name, value in expected.items():
        sent = checks.get(name)
        if sent is not None and abs(sent - value) > 0.005:
            _refuse(state, f"{name} is {value}, not {sent}.", name)
    rows = {r["LineNumber"]: r for r in draft["Rows"]}
    for i, check in enumerate(checks.get("Rows") or []):
        row = rows.get(check.get("LineNumber"))
        if row is None:
            _refuse(state, f"The draft has no row {check.get('LineNumber')}.", f"Rows[{i}]")
        gross = money(row["Amount"] * (1 + (row["VatRate"] or 0)))
        for name, value in (
            ("TotalAmountNoVatInvoiceCurrency", row["Amount"]),
            ("TotalAmountIncVatInvoiceCurrency", gross),
        ):
            sent = check.get(name)
            if sent is not None and abs(sent - value) > 0.005:
                _refuse(
                    state,
                    f"Row {row['LineNumber']}: {name} is {value}, not {sent}.",
                    f"Rows[{i}].{name}",
                )


def _invoice_row(row: Doc) -> Doc:
    vat = row["VatRate"]
    kept = (
        "ArticleNumber",
        "ArticleId",
        "IsServiceArticle",
        "LineNumber",
        "IsTextRow",
        "Text",
        "UnitPrice",
        "UnitAbbreviation",
        "DiscountPercentage",
        "Quantity",
        "CostCenterItemId1",
        "CostCenterItemId2",
        "CostCenterItemId3",
        "UnitId",
        "ProjectId",
        "PurchasePrice",
        "Amount",
        "VatRate",
    )
    out = {k: row.get(k) for k in kept}
    out.update(Id=row["Id"], AmountNoVat=row["Amount"], PercentVat=vat or 0, IsVatFree=not vat)
    return complete(ROW, out)


def _vat_specification(rows: list[Doc]) -> list[dict[str, float]]:
    by_rate: dict[float, float] = {}
    for row in rows:
        if not row["IsTextRow"]:
            by_rate[row["VatRate"] or 0] = by_rate.get(row["VatRate"] or 0, 0) + row["Amount"]
    return [
        {
            "AmountInvoiceCurrency": money(a),
            "VatAmountInvoiceCurrency": money(a * r),
            "VatPercent": r,
        }
        for r, a in sorted(by_rate.items())
    ]


def _date(text: str, plus_days: int = 0) -> str:
    moment = parse_time(text)
    if moment is None:
        raise ValueError(f"not a date: {text!r}")
    return (moment + timedelta(days=plus_days)).strftime("%Y-%m-%dT00:00:00")


def _time(text: str) -> Any:
    return parse_time(text)


def _refuse(state: EAccountingState, text: str, field: str | None = None) -> NoReturn:
    problems = [FieldProblem(field, text)] if field else []
    state.errors.fail(400, VALIDATION, f"CustomerInvoiceValidationException - {text}", problems)
