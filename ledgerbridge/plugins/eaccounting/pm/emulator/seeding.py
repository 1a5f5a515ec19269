"""Seed documents for the Severa emulator (settings of app.py).

What the API can create (customers with addresses and contact persons,
products, work types, travel expense types, invoice statuses) is seeded
through the same validation and rules as a POST, so a seed cannot put the
emulator in a state the API could not reach. Projects and invoices are made
by PM users, not through this API; their seeds are checked for the fields
the emulator needs and completed the way PM answers them. Any seed may give
its `guid` so others can refer to it.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.sandbox import HTTPError
from ledgerbridge.plugins.eaccounting.pm.emulator import catalog, customers, invoices
from ledgerbridge.plugins.eaccounting.pm.emulator.state import Doc, SeveraState
from ledgerbridge.plugins.eaccounting.pm.emulator.validation import BodyValidator, complete

CATALOG = {spec.table: spec for spec in catalog.REGISTERS}


def seed(state: SeveraState, validator: BodyValidator, settings: dict[str, Any]) -> None:
    for key in ("invoice_statuses", "products", "work_types", "travel_expense_types"):
        spec = CATALOG[key]
        for n, body in enumerate(settings.get(key, []), start=1):
            where = f"{key}[{n}]"
            _check(validator, where, spec.schema, _without(body, "guid"))
            build = spec.build
            _insert(
                state,
                key,
                body,
                lambda b, f=build, s=spec.schema: complete(s, f(_without(b, "guid"))),
                where,
            )
    for n, body in enumerate(settings.get("customers", []), start=1):
        _customer(state, validator, body, f"customers[{n}]")
    for n, body in enumerate(settings.get("projects", []), start=1):
        _insert(state, "projects", body, lambda b: _project(state, b), f"projects[{n}]")
    for n, body in enumerate(settings.get("invoices", []), start=1):
        _invoice(state, body, f"invoices[{n}]")


def _customer(
    state: SeveraState, validator: BodyValidator, body: dict[str, Any], where: str
) -> None:
    plain = _without(body, "guid", "addresses", "contactPersons")
    _check(validator, where, "CustomerModel", plain)
    doc = _insert(state, "customers", body, lambda b: customers.build_customer(state, plain), where)
    for i, address in enumerate(body.get("addresses", [])):
        _check(validator, f"{where}.addresses[{i}]", "AddressModel", _without(address, "guid"))
        _insert(
            state, "addresses", address, lambda b: customers.build_address(state, b, doc), where
        )
    for i, contact in enumerate(body.get("contactPersons", [])):
        full = {**contact, "customer": {"guid": doc["guid"]}}
        _check(validator, f"{where}.contactPersons[{i}]", "ContactModel", _without(full, "guid"))
        _insert(
            state,
            "contacts",
            full,
            lambda b: customers.build_contact(state, _without(b, "guid")),
            where,
        )


def _project(state: SeveraState, body: dict[str, Any]) -> Doc:
    if not body.get("name"):
        raise ValueError("a project needs a name")
    customer = state.customers.get(str((body.get("customer") or {}).get("guid") or "").lower())
    if customer is None:
        raise ValueError("a project needs the guid of a seeded customer")
    currency = state.organization_currency
    return {
        "isClosed": False,
        "isInternal": False,
        "number": None,
        "paymentTerm": 30,
        "costCenter": None,
        **_without(body, "guid"),
        "customer": {k: customer.get(k) for k in ("guid", "name", "number")},
        "currency": {k: currency[k] for k in ("guid", "name", "code", "symbol")},
    }


def _invoice(state: SeveraState, body: dict[str, Any], where: str) -> None:
    try:
        status = _status(state, body)
        customer = state.customers.get(str((body.get("customer") or {}).get("guid") or "").lower())
        if customer is None:
            raise ValueError("an invoice needs the guid of a seeded customer")
        projects = []
        for ref in body.get("projects") or []:
            project = state.projects.get(str(ref.get("guid") or "").lower())
            if project is None:
                raise ValueError(f"no seeded project {ref.get('guid')}")
            projects.append({k: project.get(k) for k in ("guid", "name", "number")})
    except ValueError as exc:
        raise ValueError(f"severa seed {where}: {exc}") from None
    currency = state.organization_currency
    code = currency["code"]
    doc = state.new_record(
        {
            **dict.fromkeys(invoices.WRITABLE),
            "date": state.stamps.today()[:10],
            "isCreditNote": False,
            "paymentTerm": 30,
            "paymentDate": None,
            **_without(body, "guid", "rows", "statusName"),
            "status": {"guid": status["guid"]},
            "customer": {k: customer.get(k) for k in ("guid", "name", "number")},
            "projects": projects,
            "currency": {k: currency[k] for k in ("guid", "name", "code", "symbol")},
        }
    )
    if body.get("guid"):
        doc["guid"] = str(body["guid"]).lower()
    rows = [_row(state, doc["guid"], i, row, code) for i, row in enumerate(body.get("rows") or [])]
    net = round(sum(r["quantity"] * (r["unitPrice"]["amount"] or 0) for r in rows), 2)
    tax = round(
        sum(
            r["quantity"] * (r["unitPrice"]["amount"] or 0) * (r["vatRate"] or 0) / 100
            for r in rows
        ),
        2,
    )
    doc |= {
        "totalExcludingTax": {"amount": net, "currencyCode": code},
        "totalTax": {"amount": tax, "currencyCode": code},
        "totalIncludingTax": {"amount": round(net + tax, 2), "currencyCode": code},
    }
    try:
        state.invoices.insert(invoices.settle(state, doc))
    except HTTPError as exc:
        raise ValueError(f"severa seed {where}: {exc.message}") from None
    for row in rows:
        state.invoice_rows.insert(row)


def _row(state: SeveraState, invoice_guid: str, index: int, row: dict[str, Any], code: str) -> Doc:
    price = row.get("unitPrice", 0)
    price = price if isinstance(price, dict) else {"amount": price, "currencyCode": code}
    return state.new_record(
        {
            "rowType": "ProjectFees",
            "description": None,
            "quantity": 1,
            "measurementUnit": None,
            "vatRate": 25.0,
            "sortOrder": index + 1,
            "costCenter": None,
            "code": [],
            **_without(row, "guid"),
            "unitPrice": price,
            "invoiceGuid": invoice_guid,
        }
    )


def _status(state: SeveraState, body: dict[str, Any]) -> Doc:
    if body.get("statusName"):
        found = state.invoice_statuses.first(name=body["statusName"])
    elif body.get("status"):
        found = state.invoice_statuses.get(str(body["status"].get("guid") or "").lower())
    else:
        found = state.invoice_statuses.first(isDefault=True)
    if found is None:
        raise ValueError("the invoice status does not exist")
    return found


def _insert(state: SeveraState, table: str, body: dict[str, Any], build: Any, where: str) -> Doc:
    try:
        doc = state.new_record(build(body))
    except HTTPError as exc:
        raise ValueError(f"severa seed {where}: {exc.message}") from None
    except ValueError as exc:
        raise ValueError(f"severa seed {where}: {exc}") from None
    if body.get("guid"):
        doc["guid"] = str(body["guid"]).lower()
    state.table(table).insert(doc)
    return doc


def _check(validator: BodyValidator, where: str, schema: str, body: Any) -> None:
    issues = validator.schemas.validate(schema, body)
    if issues:
        found = "; ".join(f"{i.field or '(body)'}: {i.message}" for i in issues)
        raise ValueError(f"severa seed {where} does not match {schema}: {found}")


def _without(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in names}
