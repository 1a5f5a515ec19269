"""Customers: `GET/POST /v2/customers`, `GET/PUT/DELETE /v2/customers/{customerId}`.

Bodies are `CustomerApi` [S26]; PUT replaces the whole customer. What the
server adds or checks (INFERENCE where the spec is silent): the
`CustomerNumber` comes from the company's NextCustomerNumber when omitted
and must be unique (4000); `TermsOfPaymentId` must exist (3000) and is
echoed as the `TermsOfPayment` object; `CurrencyCode` defaults to the
company's and must be a company currency; `InvoiceCountryCode` must be a
known country; `ChangedUtc` moves on every write. A customer with invoices
or drafts cannot be deleted (4001): set IsActive to false instead, as the
spec says.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.sandbox import App, Request, Response, empty, json_response
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.documents import (
    Doc,
    complete,
    writable,
)
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.errors import CANNOT_DELETE
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.listing import list_response
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.state import EAccountingState
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.validation import BodyValidator

SCHEMA = "CustomerApi"


def register(app: App, state: EAccountingState, validator: BodyValidator) -> None:
    @app.get("/v2/customers")
    def list_customers(request: Request) -> Response:
        return list_response(request, state, SCHEMA, state.customers.all())

    @app.post("/v2/customers")
    def create_customer(request: Request) -> Response:
        body = validator.body(request, SCHEMA)
        return json_response(state.create("customers", lambda: build(state, body)), 201)

    @app.get("/v2/customers/{customerId}")
    def get_customer(request: Request, customerId: str) -> Response:
        return json_response(require(state, customerId))

    @app.put("/v2/customers/{customerId}")
    def replace_customer(request: Request, customerId: str) -> Response:
        body = validator.body(request, SCHEMA)
        customer = state.replace(
            "customers", "customer", customerId, lambda old: build(state, body, old)
        )
        return json_response(customer)

    @app.delete("/v2/customers/{customerId}")
    def delete_customer(request: Request, customerId: str) -> Response:
        with state.lock:
            customer = require(state, customerId)
            key = customer["Id"]
            if state.invoices.first(CustomerId=key) or state.drafts.first(CustomerId=key):
                state.errors.fail(
                    400,
                    CANNOT_DELETE,
                    "CustomerCannotBeDeletedException - The customer has transactions and "
                    "cannot be deleted. Set IsActive to false to hide it.",
                )
            state.customers.delete(key)
        return empty(200)


def require(state: EAccountingState, customer_id: str, field: str | None = None) -> Doc:
    return state.require("customers", "customer", customer_id, field)


def build(state: EAccountingState, body: dict[str, Any], existing: Doc | None = None) -> Doc:
    """The stored customer for a valid CustomerApi body (create or replace)."""
    doc = writable(SCHEMA, body)
    doc.pop("TermsOfPayment", None)  # echoed from TermsOfPaymentId, not taken from the client
    terms = state.terms_of_payment.get(str(doc["TermsOfPaymentId"]).lower())
    if terms is None:
        state.errors.not_found("terms of payment", doc["TermsOfPaymentId"], "TermsOfPaymentId")
    doc["CustomerNumber"] = _number(state, doc.get("CustomerNumber"), existing)
    currency = doc.get("CurrencyCode") or state.company["CurrencyCode"]
    if currency.upper() not in state.currencies:
        state.errors.invalid(
            "InvalidCurrencyCodeException",
            f"The currency {currency} is not used by the company.",
            "CurrencyCode",
        )
    doc["CurrencyCode"] = currency.upper()
    country = doc.get("InvoiceCountryCode")
    if country and country.upper() not in state.countries:
        state.errors.invalid(
            "InvalidCountryCodeException",
            f"The country code {country} is not valid.",
            "InvoiceCountryCode",
        )
    kept = existing or {}
    return complete(
        SCHEMA,
        {
            **doc,
            "Id": kept.get("Id") or state.guids.next(),
            "TermsOfPaymentId": terms["Id"],
            "TermsOfPayment": terms,
            "ChangedUtc": state.stamps.next(),
            "LastInvoiceDate": kept.get("LastInvoiceDate"),
            "UnpaidInvoicesAmount": kept.get("UnpaidInvoicesAmount", 0),
            "IsFutureInvoiceDateAllowed": False,
        },
    )


def _number(state: EAccountingState, wanted: str | None, existing: Doc | None) -> str:
    own = existing["Id"] if existing else None
    if wanted:  # one lookup, not a copy of every customer per write
        clash = state.customers.first(lambda c: str(c["CustomerNumber"]) == wanted)
        if clash is not None and clash["Id"] != own:
            state.errors.conflict(
                "CustomerNumberAlreadyInUseException",
                f"The customer number {wanted} is already used by another customer.",
                "CustomerNumber",
            )
        return wanted
    if existing is not None:
        return str(existing["CustomerNumber"])
    taken = {str(c["CustomerNumber"]) for c in state.customers.all()}
    return str(state.take_number("NextCustomerNumber", taken))
