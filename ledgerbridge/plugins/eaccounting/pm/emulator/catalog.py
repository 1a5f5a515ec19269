"""Settings registers: products, work types, travel expense types and invoice
statuses (GET/POST and GET/PATCH by guid), and the reference lists VAT
rates, currencies and countries [SEV, tag Settings].

    /v1/products              pageToken paging; type, isActive, code, changedSince
    /v1/worktypes             firstRow paging; active, productive, code, changedSince
    /v1/travelexpensetypes    firstRow paging; active, code, changedSince
    /v1/invoicestatuses       firstRow paging; active
    /v1/vatrates (active), /v1/currencies (active), /v1/localization/countries[/{guid}]

Writes take the input models (ProductInputModel, WorkTypeInputModel,
TravelExpenseTypeInputModel, InvoiceStatusModel) and answer the output
models; a travel expense type is mileage when its expenseClass is Mileage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledgerbridge.core.sandbox import App, Request, Response, json_response
from ledgerbridge.plugins.eaccounting.pm.emulator.errors import invalid
from ledgerbridge.plugins.eaccounting.pm.emulator.listing import (
    changed_since,
    flag,
    row_page,
    select,
    token_page,
)
from ledgerbridge.plugins.eaccounting.pm.emulator.patch import READ_ONLY, apply_patch
from ledgerbridge.plugins.eaccounting.pm.emulator.state import Doc, SeveraState
from ledgerbridge.plugins.eaccounting.pm.emulator.validation import (
    BodyValidator,
    complete,
    components,
    types_of,
)

BASE = "/rest-api/v1"
Filter = Callable[[Request], Callable[[Doc], bool] | None]


@dataclass(frozen=True)
class Register:
    path: str
    table: str
    schema: str
    build: Callable[[dict[str, Any]], Doc]
    filters: tuple[Filter, ...]
    token_paging: bool

    @property
    def writable(self) -> frozenset[str]:
        fields = frozenset(components()[self.schema]["properties"])
        return fields - READ_ONLY - {"isMileage", "isDailyAllowance"}


def _equals(name: str, field: str) -> Filter:
    return lambda r: (lambda d: d.get(field) == r.query[name]) if r.query.get(name) else None


def _flag(name: str, field: str) -> Filter:
    return lambda r: flag(r, name, field)


def _product(body: dict[str, Any]) -> Doc:
    return {"isActive": True, "type": "FixedFees", **body}


def _work_type(body: dict[str, Any]) -> Doc:
    return {"isActive": True, "isProductive": True, "isDefault": False, **body}


def _travel(body: dict[str, Any]) -> Doc:
    doc = {"isActive": True, "includeTime": True, **body}
    cls = doc.get("expenseClass")
    return {**doc, "isMileage": cls == "Mileage", "isDailyAllowance": cls == "DailyAllowance"}


def _status(body: dict[str, Any]) -> Doc:
    flags = ("isDefault", "isReadOnly", "hasInvoiceNumber", "isSent", "isWaitingPayment")
    return {
        "isActive": True,
        **dict.fromkeys(flags, False),
        "isPaid": False,
        "sortOrder": 0,
        **body,
    }


REGISTERS = (
    Register(
        "products",
        "products",
        "ProductInputModel",
        _product,
        (_equals("type", "type"), _flag("isActive", "isActive"), _equals("code", "code")),
        True,
    ),
    Register(
        "worktypes",
        "work_types",
        "WorkTypeInputModel",
        _work_type,
        (_flag("active", "isActive"), _flag("productive", "isProductive"), _equals("code", "code")),
        False,
    ),
    Register(
        "travelexpensetypes",
        "travel_expense_types",
        "TravelExpenseTypeInputModel",
        _travel,
        (_flag("active", "isActive"), _equals("code", "code")),
        False,
    ),
    Register(
        "invoicestatuses",
        "invoice_statuses",
        "InvoiceStatusModel",
        _status,
        (_flag("active", "isActive"),),
        False,
    ),
)


def register(app: App, state: SeveraState, validator: BodyValidator) -> None:
    for spec in REGISTERS:
        _register(app, state, validator, spec)

    @app.get(BASE + "/vatrates")
    def vat_rates(request: Request) -> Response:
        return json_response(select(state.vat_rates.all(), flag(request, "active", "isActive")))

    @app.get(BASE + "/currencies")
    def currencies(request: Request) -> Response:
        return row_page(
            request, select(state.currencies.all(), flag(request, "active", "isActive"))
        )

    @app.get(BASE + "/localization/countries")
    def countries(request: Request) -> Response:
        return json_response(state.countries.all())

    @app.get(BASE + "/localization/countries/{guid}")
    def country(request: Request, guid: str) -> Response:
        return json_response(state.require("countries", guid))


def _register(app: App, state: SeveraState, validator: BodyValidator, spec: Register) -> None:
    path = f"{BASE}/{spec.path}"
    table = state.table(spec.table)

    def list_all(request: Request) -> Response:
        docs = select(table.all(), changed_since(request), *(f(request) for f in spec.filters))
        return token_page(request, docs) if spec.token_paging else row_page(request, docs)

    def create(request: Request) -> Response:
        body = validator.body(request, spec.schema)
        return json_response(
            state.create(spec.table, lambda: complete(spec.schema, spec.build(body))), 201
        )

    def get_one(request: Request, guid: str) -> Response:
        return json_response(state.require(spec.table, guid))

    def patch_one(request: Request, guid: str) -> Response:
        operations = validator.patch(request)

        def change(old: Doc) -> Doc:
            patched = apply_patch(old, operations, spec.writable, types_of(spec.schema))
            if not str(patched.get("name") or "").strip():
                invalid("The Name field is required.", "name")
            return {**old, **spec.build(patched)}

        return json_response([state.update(spec.table, guid, change)])

    app.get(path)(list_all)
    app.post(path)(create)
    app.get(path + "/{guid}")(get_one)
    app.patch(path + "/{guid}")(patch_one)
