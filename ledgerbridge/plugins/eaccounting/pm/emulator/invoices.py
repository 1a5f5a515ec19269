"""PM invoices and their rows [SEV, tag Invoices].

    GET /v1/invoices        pageToken paging; invoiceStatusGuids, changedSince, numbers,
                            customerGuids, projectGuids, startDate, endDate, paymentDateStart
    GET/PATCH /v1/invoices/{guid}          PATCH answers a one-element array, as the spec says
    GET /v1/invoices/{invoiceGuid}/invoicerows   pageToken paging; rowType

Invoices are made by PM users, so they come from seeds (settings["invoices"],
each with its "rows"). A PATCH may change the status (`/status/guid`, which
must name an invoice status), the number, dates, references and notes;
other paths are refused. Which paths the vendor lets change is UNVERIFIED
(facts §5): these are the ones the seed's status flow needs. When an
invoice gets a status with `hasInvoiceNumber` and has no number, PM gives
it the next number of its own series: the reason the seed's "transferred"
status must not have that flag (eAccounting numbers the invoice).
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.sandbox import App, Request, Response, json_response
from ledgerbridge.plugins.eaccounting.pm.emulator.errors import invalid
from ledgerbridge.plugins.eaccounting.pm.emulator.listing import (
    changed_since,
    select,
    token_page,
    values,
)
from ledgerbridge.plugins.eaccounting.pm.emulator.patch import apply_patch
from ledgerbridge.plugins.eaccounting.pm.emulator.state import Doc, SeveraState
from ledgerbridge.plugins.eaccounting.pm.emulator.validation import BodyValidator
from ledgerbridge.plugins.eaccounting.stamps import parse_time

BASE = "/rest-api/v1"
WRITABLE = frozenset(
    {
        "status",
        "number",
        "paymentDate",
        "date",
        "dueDate",
        "entryDate",
        "ourReference",
        "yourReference",
        "notes",
        "referenceNumber",
        "orderNumber",
    }
)
TYPES = {"number": "integer", "paymentTerm": "integer"}
STATUS_FIELDS = ("guid", "name", "isSent", "isWaitingPayment", "isPaid")


def register(app: App, state: SeveraState, validator: BodyValidator) -> None:
    @app.get(BASE + "/invoices")
    def list_invoices(request: Request) -> Response:
        docs = select(state.invoices.all(), changed_since(request), *_filters(request))
        return token_page(request, docs)

    @app.get(BASE + "/invoices/{guid}")
    def get_invoice(request: Request, guid: str) -> Response:
        return json_response(state.require("invoices", guid))

    @app.patch(BASE + "/invoices/{guid}")
    def patch_invoice(request: Request, guid: str) -> Response:
        operations = validator.patch(request)

        def change(old: Doc) -> Doc:
            return settle(state, apply_patch(old, operations, WRITABLE, TYPES), old)

        return json_response([state.update("invoices", guid, change)])

    @app.get(BASE + "/invoices/{invoiceGuid}/invoicerows")
    def invoice_rows(request: Request, invoiceGuid: str) -> Response:
        invoice = state.require("invoices", invoiceGuid)
        kinds = set(values(request, "rowType"))
        docs = select(
            state.invoice_rows.find(lambda r: r["invoiceGuid"] == invoice["guid"]),
            (lambda r: r["rowType"] in kinds) if kinds else None,
        )
        docs.sort(key=lambda r: r.get("sortOrder", 0))
        return token_page(request, docs)


def _filters(request: Request) -> list[Any]:
    statuses = {g.lower() for g in values(request, "invoiceStatusGuids")}
    customers = {g.lower() for g in values(request, "customerGuids")}
    projects = {g.lower() for g in values(request, "projectGuids")}
    numbers = {int(n) for n in values(request, "numbers") if n.isdigit()}
    start, end = _date(request, "startDate"), _date(request, "endDate")
    paid_from = _date(request, "paymentDateStart")
    return [
        (lambda i: i["status"]["guid"] in statuses) if statuses else None,
        (lambda i: (i.get("customer") or {}).get("guid") in customers) if customers else None,
        (lambda i: bool(projects & {p["guid"] for p in i.get("projects") or []}))
        if projects
        else None,
        (lambda i: i.get("number") in numbers) if numbers else None,
        (lambda i: _on_or_after(i.get("date"), start)) if start else None,
        (lambda i: _on_or_after(end, i.get("date"))) if end else None,
        (lambda i: _on_or_after(i.get("paymentDate"), paid_from)) if paid_from else None,
    ]


def settle(state: SeveraState, invoice: Doc, old: Doc | None = None) -> Doc:
    """Resolve the status, give a number when the status asks for one."""
    status_guid = str((invoice.get("status") or {}).get("guid") or "").lower()
    status = state.invoice_statuses.get(status_guid)
    if status is None:
        invalid("The invoice status does not exist.", "status.guid")
    invoice["status"] = {k: status[k] for k in STATUS_FIELDS}
    number = invoice.get("number")
    own = old["guid"] if old else invoice.get("guid")
    changed = number is not None and (old is None or number != old.get("number"))
    if changed and state.invoices.first(lambda i: i.get("number") == number and i["guid"] != own):
        invalid(f"The invoice number {number} is already in use.", "number")
    if number is None and status["hasInvoiceNumber"]:
        invoice["number"] = state.take_invoice_number()
    return invoice


def _date(request: Request, name: str) -> str | None:
    raw = request.query.get(name, "").strip()
    if raw and parse_time(raw) is None:
        invalid(f"The value '{raw}' is not a valid date.", name, "UriParameter")
    return raw or None


def _on_or_after(value: str | None, bound: str | None) -> bool:
    a, b = parse_time(value or ""), parse_time(bound or "")
    return a is not None and b is not None and a >= b
