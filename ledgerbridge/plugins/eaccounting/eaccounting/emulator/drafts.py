"""Customer invoice drafts: create, replace, delete and convert to an invoice.

`GET/POST /v2/customerinvoicedrafts`, `GET /v2/customerinvoicedrafts/{invoiceDraftId}`,
`PUT/DELETE /v2/customerinvoicedrafts/{customerInvoiceDraftId}` and
`POST .../{customerInvoiceDraftId}/convert` [S26]. Bodies are
`CustomerInvoiceDraftApi`; what the server fills is read-only in the spec:
the invoice name, postal code, city, country and currency come from the
customer (so a customer must be synced before its draft), InvoiceAddress1/2
and the terms of payment default to the customer's, and each article row
takes its text, unit, VAT rate and article number from the article.

Rules (INFERENCE where the spec is silent): a row that is not a text row
needs an ArticleId; a row whose article is inactive is refused with 409
Conflict (the seed: "The remote server returned an error: (409) Conflict"
for deactivated work types); CostCenterItemId{N} must be an item of cost
center number N; a text row needs a Text. Amounts: row Amount = Quantity x
UnitPrice x (1 - DiscountPercentage) excluding VAT; TotalAmount includes VAT.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.sandbox import App, Request, Response, empty, json_response
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import articles, customers, projects
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.costcenters import item_in_center
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.documents import (
    Doc,
    complete,
    money,
    writable,
)
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.errors import CONFLICT
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.invoices import convert
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.listing import list_response
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.state import EAccountingState
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.validation import BodyValidator

SCHEMA = "CustomerInvoiceDraftApi"
ROW = "CustomerInvoiceDraftRowApi"
VALIDATION = "CustomerInvoiceDraftValidationApi"
BASE = "/v2/customerinvoicedrafts"


def register(app: App, state: EAccountingState, validator: BodyValidator) -> None:
    @app.get(BASE)
    def list_drafts(request: Request) -> Response:
        return list_response(request, state, SCHEMA, state.drafts.all())

    @app.post(BASE)
    def create_draft(request: Request) -> Response:
        body = validator.body(request, SCHEMA)
        return json_response(state.create("drafts", lambda: build(state, body)), 201)

    @app.get(BASE + "/{invoiceDraftId}")
    def get_draft(request: Request, invoiceDraftId: str) -> Response:
        return json_response(require(state, invoiceDraftId))

    @app.put(BASE + "/{customerInvoiceDraftId}")
    def replace_draft(request: Request, customerInvoiceDraftId: str) -> Response:
        body = validator.body(request, SCHEMA)
        draft = state.replace(
            "drafts",
            "customer invoice draft",
            customerInvoiceDraftId,
            lambda old: build(state, body, old),
        )
        return json_response(draft)

    @app.delete(BASE + "/{customerInvoiceDraftId}")
    def delete_draft(request: Request, customerInvoiceDraftId: str) -> Response:
        with state.lock:
            state.drafts.delete(require(state, customerInvoiceDraftId)["Id"])
        return empty(200)

    @app.post(BASE + "/{customerInvoiceDraftId}/convert")
    def convert_draft(request: Request, customerInvoiceDraftId: str) -> Response:
        checks = validator.body(request, VALIDATION) if request.body.strip() else None
        with state.lock:
            draft = require(state, customerInvoiceDraftId)
            invoice = convert(state, draft, checks, request)
        return json_response(invoice, 201)


def require(state: EAccountingState, draft_id: str) -> Doc:
    return state.require("drafts", "customer invoice draft", draft_id)


def build(state: EAccountingState, body: dict[str, Any], existing: Doc | None = None) -> Doc:
    """The stored draft for a valid CustomerInvoiceDraftApi body."""
    doc = writable(SCHEMA, body)
    customer = customers.require(state, str(doc["CustomerId"]), "CustomerId")
    terms_id = doc.get("TermsOfPaymentId") or customer["TermsOfPaymentId"]
    if state.terms_of_payment.get(str(terms_id).lower()) is None:
        state.errors.not_found("terms of payment", terms_id, "TermsOfPaymentId")
    replace_zero = bool(doc.get("ReplaceUnitPriceWhenZero"))
    rows = [_row(state, row, i, replace_zero) for i, row in enumerate(doc.get("Rows") or [])]
    net = sum(r["Amount"] for r in rows)
    vat = money(sum(r["Amount"] * (r["VatRate"] or 0) for r in rows))
    kept = existing or {}
    return complete(
        SCHEMA,
        {
            **doc,
            "Id": kept.get("Id") or state.guids.next(),
            "CustomerId": customer["Id"],
            "TermsOfPaymentId": str(terms_id).lower(),
            "InvoiceAddress1": _or(doc.get("InvoiceAddress1"), customer["InvoiceAddress1"]),
            "InvoiceAddress2": _or(doc.get("InvoiceAddress2"), customer["InvoiceAddress2"]),
            "InvoiceCustomerName": customer["Name"],
            "InvoicePostalCode": customer["InvoicePostalCode"],
            "InvoiceCity": customer["InvoiceCity"],
            "InvoiceCountryCode": customer["InvoiceCountryCode"],
            "InvoiceCurrencyCode": customer["CurrencyCode"],
            "CustomerNumber": customer["CustomerNumber"],
            "CustomerName": customer["Name"],
            "CustomerIsPrivatePerson": customer["IsPrivatePerson"],
            "Rows": rows,
            "TotalAmount": money(net + vat),
            "TotalVatAmount": vat,
            "TotalRoundings": 0,
            "TotalAmountBaseCurrency": money(net + vat),
            "TotalVatAmountBaseCurrency": vat,
            "CreatedUtc": kept.get("CreatedUtc") or state.stamps.next(),
        },
    )


def _row(state: EAccountingState, row: dict[str, Any], index: int, replace_zero: bool) -> Doc:
    field = f"Rows[{index}]"
    out = writable(ROW, row)
    out.update(Id=state.guids.next(), LineNumber=index)
    for number in (1, 2, 3):
        item_id = out.get(f"CostCenterItemId{number}")
        if item_id:
            item = item_in_center(state, str(item_id), number, f"{field}.CostCenterItemId{number}")
            out[f"CostCenterItemId{number}"] = item["Id"]
    if out.get("ProjectId"):
        out["ProjectId"] = projects.require(state, str(out["ProjectId"]), f"{field}.ProjectId")[
            "Id"
        ]
    if out["IsTextRow"]:
        if not (out.get("Text") or "").strip():
            state.errors.invalid(
                "ValidateModelAttributeException",
                "A text row needs a Text of at least one character.",
                f"{field}.Text",
            )
        return complete(ROW, {**out, "ArticleId": None, "Amount": 0, "VatRate": None})
    if not out.get("ArticleId"):
        state.errors.invalid(
            "ValidateModelAttributeException",
            "The ArticleId field is required when IsTextRow is false.",
            f"{field}.ArticleId",
        )
    article = articles.require(state, str(out["ArticleId"]), f"{field}.ArticleId")
    if not article["IsActive"]:
        state.errors.fail(
            409,
            CONFLICT,
            f"ArticleIsInactiveException - The article {article['Number']} on row "
            f"{index} is inactive.",
        )
    coding = state.codings.get(article["CodingId"]) or {}
    price = out.get("UnitPrice", 0)
    if not price and replace_zero:
        price = article["NetPrice"]
    quantity = out.get("Quantity", 0)
    amount = money(quantity * price * (1 - out.get("DiscountPercentage", 0)))
    return complete(
        ROW,
        {
            **out,
            "ArticleId": article["Id"],
            "ArticleNumber": article["Number"],
            "IsServiceArticle": article["IsServiceArticle"],
            "UnitId": article["UnitId"],
            "UnitName": out.get("UnitName") or article["UnitName"],
            "UnitAbbreviation": out.get("UnitAbbreviation") or article["UnitAbbreviation"],
            "Text": out.get("Text") or article["Name"],
            "UnitPrice": price,
            "Quantity": quantity,
            "VatRateId": coding.get("Id"),
            "VatRate": coding.get("VatRatePercent", 0),
            "PurchasePrice": article["PurchasePrice"],
            "Amount": amount,
        },
    )


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value
