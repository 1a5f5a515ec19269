"""Customers with their addresses and contact persons [SEV, tag Customers].

    GET/POST /v1/customers        (isActive, numbers, changedSince, customerNames, vatNumber)
    GET/PATCH /v1/customers/{guid}
    GET/POST /v1/customers/{customerGuid}/addresses,  GET /v1/addresses (changedSince)
    GET/PATCH /v1/addresses/{guid}
    GET /v1/customers/{customerGuid}/contactpersons,  GET/POST /v1/contactpersons
    GET/PATCH /v1/contactpersons/{guid}

Rules (INFERENCE where the spec is silent): a customer number is unique and
given from a series when omitted; the currency is the organization's unless
the customer names another by code or guid, and another needs the currency
add-on (400 AddonMissing, the seed's "Valutor" rule); an address's country
is given by guid and answered as the country sub-model; a contact's `name`
is first and last name joined by a space. An address or contact change
stamps the address or contact, not the customer (each has its own
`changedSince` list).
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.sandbox import App, Request, Response, json_response
from ledgerbridge.plugins.eaccounting.pm.emulator.errors import ADDON_MISSING, Detail, fail, invalid
from ledgerbridge.plugins.eaccounting.pm.emulator.listing import (
    changed_since,
    flag,
    row_page,
    select,
    token_page,
    values,
)
from ledgerbridge.plugins.eaccounting.pm.emulator.patch import READ_ONLY, apply_patch
from ledgerbridge.plugins.eaccounting.pm.emulator.state import Doc, SeveraState
from ledgerbridge.plugins.eaccounting.pm.emulator.validation import (
    BodyValidator,
    complete,
    components,
    types_of,
)

CUSTOMER_FIELDS = frozenset(components()["CustomerModel"]["properties"]) - READ_ONLY
ADDRESS_FIELDS = frozenset(components()["AddressModel"]["properties"]) - READ_ONLY - {"customer"}
CONTACT_FIELDS = frozenset(components()["ContactModel"]["properties"]) - READ_ONLY - {"name"}


def register(app: App, state: SeveraState, validator: BodyValidator) -> None:
    base = "/rest-api/v1"

    @app.get(base + "/customers")
    def list_customers(request: Request) -> Response:
        numbers = {int(n) for n in values(request, "numbers") if n.lstrip("-").isdigit()}
        names = {n.casefold() for n in values(request, "customerNames")}
        vat = request.query.get("vatNumber")
        docs = select(
            state.customers.all(),
            changed_since(request),
            flag(request, "isActive", "isActive"),
            (lambda d: d.get("number") in numbers) if values(request, "numbers") else None,
            (lambda d: d["name"].casefold() in names) if names else None,
            (lambda d: d.get("vatNumber") == vat) if vat else None,
        )
        return token_page(request, docs)

    @app.post(base + "/customers")
    def create_customer(request: Request) -> Response:
        body = validator.body(request, "CustomerModel")
        return json_response(state.create("customers", lambda: build_customer(state, body)), 201)

    @app.get(base + "/customers/{guid}")
    def get_customer(request: Request, guid: str) -> Response:
        return json_response(state.require("customers", guid))

    @app.patch(base + "/customers/{guid}")
    def patch_customer(request: Request, guid: str) -> Response:
        operations = validator.patch(request)

        def change(old: Doc) -> Doc:
            patched = apply_patch(old, operations, CUSTOMER_FIELDS, types_of("CustomerModel"))
            return {**old, **build_customer(state, patched, old)}

        return json_response([state.update("customers", guid, change)])

    @app.get(base + "/customers/{customerGuid}/addresses")
    def customer_addresses(request: Request, customerGuid: str) -> Response:
        customer = state.require("customers", customerGuid)
        docs = state.addresses.find(  # filtered before copying: one customer's, not all
            lambda a: (a.get("customer") or {}).get("guid") == customer["guid"]
        )
        return row_page(request, docs)

    @app.post(base + "/customers/{customerGuid}/addresses")
    def create_address(request: Request, customerGuid: str) -> Response:
        body = validator.body(request, "AddressModel")

        def build() -> Doc:
            return build_address(state, body, state.require("customers", customerGuid))

        return json_response(state.create("addresses", build), 201)

    @app.get(base + "/addresses")
    def list_addresses(request: Request) -> Response:
        return row_page(request, select(state.addresses.all(), changed_since(request)))

    @app.get(base + "/addresses/{guid}")
    def get_address(request: Request, guid: str) -> Response:
        return json_response(state.require("addresses", guid))

    @app.patch(base + "/addresses/{guid}")
    def patch_address(request: Request, guid: str) -> Response:
        operations = validator.patch(request)

        def change(old: Doc) -> Doc:
            customer = state.require("customers", old["customer"]["guid"])
            patched = apply_patch(old, operations, ADDRESS_FIELDS, types_of("AddressModel"))
            return {**old, **build_address(state, patched, customer)}

        return json_response([state.update("addresses", guid, change)])

    @app.get(base + "/customers/{customerGuid}/contactpersons")
    def customer_contacts(request: Request, customerGuid: str) -> Response:
        customer = state.require("customers", customerGuid)
        docs = select(
            state.contacts.find(lambda c: c["customer"]["guid"] == customer["guid"]),
            flag(request, "active", "isActive"),
        )
        return row_page(request, docs)

    @app.get(base + "/contactpersons")
    def list_contacts(request: Request) -> Response:
        docs = select(
            state.contacts.all(), changed_since(request), flag(request, "active", "isActive")
        )
        return row_page(request, docs)

    @app.post(base + "/contactpersons")
    def create_contact(request: Request) -> Response:
        body = validator.body(request, "ContactModel")
        return json_response(state.create("contacts", lambda: build_contact(state, body)), 201)

    @app.get(base + "/contactpersons/{guid}")
    def get_contact(request: Request, guid: str) -> Response:
        return json_response(state.require("contacts", guid))

    @app.patch(base + "/contactpersons/{guid}")
    def patch_contact(request: Request, guid: str) -> Response:
        operations = validator.patch(request)

        def change(old: Doc) -> Doc:
            patched = apply_patch(old, operations, CONTACT_FIELDS, types_of("ContactModel"))
            return {**old, **build_contact(state, patched)}

        return json_response([state.update("contacts", guid, change)])


def build_customer(state: SeveraState, body: dict[str, Any], old: Doc | None = None) -> Doc:
    doc = {k: v for k, v in body.items() if k in CUSTOMER_FIELDS}
    if not (doc.get("name") or "").strip():
        invalid("The Name field is required.", "name")
    own = old["guid"] if old else None
    number = doc.get("number")
    if number is None:
        number = old["number"] if old else state.take_customer_number()
    elif state.customers.first(lambda c: c.get("number") == number and c["guid"] != own):
        invalid(f"The customer number {number} is already in use.", "number")
    return complete(
        "CustomerModel",
        {
            "isActive": True,
            "isInternal": False,
            **doc,
            "number": number,
            "currency": _currency(state, doc.get("currency"), (old or {}).get("currency")),
        },
    )


def _currency(state: SeveraState, wanted: dict[str, Any] | None, old: Doc | None) -> Doc:
    """The customer's currency sub-model from a code or guid (code wins when changed)."""
    base = state.organization_currency
    if not wanted:
        found = base
    elif wanted.get("code") and (old is None or wanted.get("code") != old.get("code")):
        found = state.currency_by_code(str(wanted["code"])) or {}
    elif wanted.get("guid"):
        found = state.currencies.get(str(wanted["guid"]).lower()) or {}
    else:
        found = state.currency_by_code(str(wanted.get("code") or "")) or {}
    if not found:
        invalid("The currency does not exist.", "currency")
    if found["guid"] != base["guid"] and not found["isActive"]:
        fail(
            400,
            ADDON_MISSING,
            Detail(
                f"The currency {found['code']} needs the Currencies add-on; the organization "
                f"invoices in {base['code']} only.",
                "RequestBody",
                "currency",
            ),
        )
    return {k: found[k] for k in ("name", "guid", "symbol", "code")}


def build_address(state: SeveraState, body: dict[str, Any], customer: Doc) -> Doc:
    doc = {k: v for k, v in body.items() if k in ADDRESS_FIELDS}
    country = None
    if doc.get("country"):
        found = state.countries.get(str(doc["country"].get("guid") or "").lower())
        if found is None:
            invalid("The country does not exist.", "country.guid")
        country = {k: found[k] for k in ("name", "guid", "englishName", "hasRegions")}
    return complete(
        "AddressModel",
        {
            **doc,
            "country": country,
            "customer": {k: customer.get(k) for k in ("name", "guid", "number")},
        },
    )


def build_contact(state: SeveraState, body: dict[str, Any]) -> Doc:
    doc = {k: v for k, v in body.items() if k in CONTACT_FIELDS}
    customer = state.customers.get(str(doc["customer"]["guid"]).lower())
    if customer is None:
        invalid("The customer does not exist.", "customer.guid")
    for name in ("firstName", "lastName"):
        if not (doc.get(name) or "").strip():
            invalid(f"The {name[:1].upper() + name[1:]} field is required.", name)
    return complete(
        "ContactModel",
        {
            "isActive": True,
            **doc,
            "name": f"{doc['firstName']} {doc['lastName']}",
            "customer": {k: customer.get(k) for k in ("guid", "name", "number")},
        },
    )
