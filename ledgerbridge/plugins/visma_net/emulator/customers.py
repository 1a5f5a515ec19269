"""Customers: GET (list and one), POST and PUT with CustomerUpdateDto.

A customer is stored as the CustomerDto a GET returns, plus "received": the
merged bodies as sent. The number comes from the body (`number`) or, when it
has none, from the customer number series. `lastModifiedDateTime` follows
the emulator's clock, so a connector's "changed since" logic can be tested.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from ledgerbridge.core.sandbox import App, Request, Response, created, empty, json_response
from ledgerbridge.plugins.visma_net.emulator import rules
from ledgerbridge.plugins.visma_net.emulator.documents import RECEIVED, public, ref
from ledgerbridge.plugins.visma_net.emulator.listing import keyed_page, modified_filter
from ledgerbridge.plugins.visma_net.emulator.state import Doc, Table, VismaState, plain
from ledgerbridge.plugins.visma_net.emulator.validation import BodyValidator

SCHEMA = "CustomerUpdateDto"
# list filters the API offers -> the CustomerDto field compared (exact match)
FILTERS = ("name", "status", "corporateId", "vatRegistrationId")
# filters on the main contact ("Phone 1 for customer", "Email for customer")
CONTACT_FILTERS = {"phone": "phone1", "email": "email"}
_RENAMED = {
    "customerClassId",
    "creditTermsId",
    "mainAddress",
    "invoiceAddress",
    "deliveryAddress",
    "defaultPaymentMethod",
    "vatZoneId",
    "priceClassId",
    "overrideNumberSeries",
    "overrideWithClassValues",
    "parentRecordNumber",
}


def customer_view(
    state: VismaState,
    number: str,
    data: Mapping[str, Any],
    previous: Mapping[str, Any] | None = None,
) -> Doc:
    """The CustomerDto for the merged received body."""
    now = state.now_iso()
    doc: Doc = {k: v for k, v in data.items() if k not in _RENAMED}
    doc.update(
        {
            "internalId": previous["internalId"] if previous else state.internal_id("customer"),
            "number": number,
            "status": data.get("status") or "Active",
            "currencyId": data.get("currencyId") or "SEK",
            "customerClass": ref(state, "customer_classes", data.get("customerClassId")),
            "creditTerms": ref(state, "credit_terms", data.get("creditTermsId")),
            "mainAddress": _address(data.get("mainAddress")),
            "invoiceAddress": _address(data.get("invoiceAddress")),
            "deliveryAddress": _address(data.get("deliveryAddress")),
            "createdDateTime": previous["createdDateTime"] if previous else now,
            "lastModifiedDateTime": now,
            RECEIVED: dict(data),
        }
    )
    return doc


def _address(address: Any) -> Doc | None:
    if not isinstance(address, Mapping):
        return None
    out = {k: v for k, v in address.items() if k != "countryId"}
    if address.get("countryId"):
        out["country"] = {"id": address["countryId"]}
    return out


def register(app: App, state: VismaState, validator: BodyValidator) -> None:
    table = state.customers

    lookup = FilterIndex(table)

    @app.get("/v1/customer")
    def list_customers(request: Request) -> Response:
        where = _where(request)
        keys = lookup.candidates(request) if where is not None else None
        if keys is None:
            keys = table.keys()
        if where is not None:
            keys = [d["number"] for d in table.docs(keys) if where(d)]
        return keyed_page(
            keys, table.docs, request.query, state.max_page_size, lambda d: public(d, None)
        )

    @app.get("/v1/customer/{customerCd}")
    def get_customer(request: Request, customerCd: str) -> Response:
        doc = table.get(customerCd)
        if doc is None:
            state.errors.not_found(f"Customer {customerCd} was not found.")
        return json_response(public(doc, None))

    @app.post("/v1/customer")
    def create_customer(request: Request) -> Response:
        data = plain(validator.body(request, SCHEMA))
        state.errors.refuse("creating customer", rules.customer(state, data, creating=True))
        with table.lock:
            number = str(data.get("number") or table.next_free())
            if number in table:
                state.errors.duplicate(
                    f"Error creating customer. Error: A customer with the number '{number}' "
                    "already exists."
                )
            lookup.wrote(None, table.add(customer_view(state, number, {**data, "number": number})))
        return created(request.url_for(f"/v1/customer/{quote(number, safe='')}"))

    @app.put("/v1/customer/{customerCd}")
    def update_customer(request: Request, customerCd: str) -> Response:
        data = plain(validator.body(request, SCHEMA))
        state.errors.refuse("updating customer", rules.customer(state, data, creating=False))
        with table.lock:
            previous = table.get(customerCd)
            if previous is None:
                state.errors.not_found(f"Customer {customerCd} was not found.")
            merged = {**previous[RECEIVED], **data, "number": customerCd}
            stored = table.put(customerCd, customer_view(state, customerCd, merged, previous))
            lookup.wrote(previous, stored)
        return empty(204)


def seed_customers(state: VismaState, customers: list[Mapping[str, Any]]) -> None:
    """Customers that exist before the run (settings["customers"])."""
    for entry in customers:
        number = str(entry["number"])
        state.customers.add(customer_view(state, number, {"name": number, **entry}))


class FilterIndex:
    """Customers by the value of each equality filter, so a filtered list
    (a POS connector matching 20,000 customers by org. no., phone, email)
    does not scan every customer. Rebuilt whenever the table was written
    since (any writer: the handlers, seeds, a test's direct edit)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._built = -1
        self._index: dict[tuple[str, str], list[str]] = {}

    def candidates(self, request: Request) -> list[str] | None:
        """Keys that may match the request's equality filters (in order), or
        None when it has none (every customer is a candidate)."""
        wanted = [(n, str(request.query[n])) for n in FILTERS if request.query.get(n)]
        wanted += [(n, str(request.query[n])) for n in CONTACT_FILTERS if request.query.get(n)]
        if not wanted:
            return None
        with self.table.lock:
            if self._built != self.table.version:
                self._rebuild()
            found = [set(self._index.get(w, ())) for w in wanted]
            keys = set.intersection(*found)
            if len(keys) <= 1:
                return list(keys)
            order = self.table.keys()
            return [k for k in order if k in keys]

    def wrote(self, old: Doc | None, new: Doc) -> None:
        """After one handler write (under the table's lock): keep the index
        current without a rebuild, when it was current before the write."""
        if self._built != self.table.version - 1:
            return  # stale anyway: the next query rebuilds
        if old is not None:
            for entry in _entries(old):
                keys = self._index.get(entry)
                if keys is not None and old["number"] in keys:
                    keys.remove(old["number"])
        for entry in _entries(new):
            self._index.setdefault(entry, []).append(new["number"])
        self._built = self.table.version

    def _rebuild(self) -> None:
        index: dict[tuple[str, str], list[str]] = {}
        for doc in self.table.docs(self.table.keys()):
            for entry in _entries(doc):
                index.setdefault(entry, []).append(doc["number"])
        self._index, self._built = index, self.table.version


def _entries(doc: Doc) -> list[tuple[str, str]]:
    main = doc.get("mainContact") or {}
    out = [(name, str(doc.get(name))) for name in FILTERS]
    out += [(name, str(main.get(field))) for name, field in CONTACT_FILTERS.items()]
    return out


def _where(request: Request) -> Callable[[Doc], bool] | None:
    checks = [(name, request.query[name]) for name in FILTERS if request.query.get(name)]
    contact = [(f, request.query[n]) for n, f in CONTACT_FILTERS.items() if request.query.get(n)]
    modified = modified_filter(request.query)
    if not checks and not contact and modified is None:
        return None

    def where(doc: Doc) -> bool:
        if modified is not None and not modified(doc):
            return False
        main = doc.get("mainContact") or {}
        if not all(str(main.get(f)) == value for f, value in contact):
            return False
        return all(str(doc.get(name)) == value for name, value in checks)

    return where
