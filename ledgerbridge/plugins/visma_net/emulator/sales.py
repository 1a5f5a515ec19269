"""Customer invoices and credit notes, and their attachments.

    POST /v2/customerinvoice                   CustomerInvoiceUpdateDto -> 201 + Location
    GET  /v1/customerinvoice[/{invoiceNumber}]
    POST /v1/customerinvoice/{invoiceNumber}/attachment      multipart file upload
    POST /v2/customerCreditNote (and the deprecated v1 POST)  CustomerCreditNoteUpdateDto
    GET  /v1/customerCreditNote[/{creditNoteNumber}]
    POST /v1/customerCreditNote/{creditNoteNumber}/attachment

Numbering: with overrideNumberSeries=true the body's referenceNumber is the
document number (a number already used is refused); a referenceNumber
without it is used only when the number series allows manual numbering
(setting "manual_numbering"); otherwise the series assigns the next number.
The Location header points at the v1 read endpoint, as Visma.net's does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ledgerbridge.core.sandbox import App, Request, Response, created, json_response
from ledgerbridge.plugins.visma_net.emulator import rules
from ledgerbridge.plugins.visma_net.emulator.documents import document_view, public
from ledgerbridge.plugins.visma_net.emulator.errors import VALIDATION
from ledgerbridge.plugins.visma_net.emulator.listing import (
    flag,
    keyed_page,
    modified_filter,
)
from ledgerbridge.plugins.visma_net.emulator.state import Doc, Table, VismaState, plain
from ledgerbridge.plugins.visma_net.emulator.validation import BodyValidator


@dataclass(frozen=True)
class SalesKind:
    """What differs between invoices and credit notes."""

    name: str  # "invoice" / "credit_note": the state table and attachment owner prefix
    schema: str
    lines_field: str
    document_type: str
    label: str
    read_path: str
    write_paths: tuple[str, ...]


INVOICE = SalesKind(
    "invoice",
    "CustomerInvoiceUpdateDto",
    "invoiceLines",
    "Invoice",
    "customer invoice",
    "/v1/customerinvoice",
    ("/v2/customerinvoice",),
)
CREDIT_NOTE = SalesKind(
    "credit_note",
    "CustomerCreditNoteUpdateDto",
    "lines",
    "CreditNote",
    "customer credit note",
    "/v1/customerCreditNote",
    ("/v2/customerCreditNote", "/v1/customerCreditNote"),
)

# list filter (query parameter) -> how to read it from a stored document
_FILTERS: dict[str, Callable[[Doc], Any]] = {
    "customer": lambda d: (d.get("customer") or {}).get("number"),
    "financialPeriod": lambda d: d.get("financialPeriod"),
    "status": lambda d: d.get("status"),
    "documentType": lambda d: d.get("documentType"),
    "customerRefNumber": lambda d: d.get("customerRefNumber"),
    "paymentReference": lambda d: d.get("paymentReference"),
    "branch": lambda d: (d.get("branchNumber") or {}).get("number"),
}


def register(app: App, state: VismaState, validator: BodyValidator) -> None:
    for kind in (INVOICE, CREDIT_NOTE):
        _register_kind(app, state, validator, kind)


def table_of(state: VismaState, kind: SalesKind) -> Table:
    return state.invoices if kind is INVOICE else state.credit_notes


def _register_kind(app: App, state: VismaState, validator: BodyValidator, kind: SalesKind) -> None:
    table = table_of(state, kind)

    def create(request: Request) -> Response:
        data = plain(validator.body(request, kind.schema))
        state.errors.refuse(
            f"creating {kind.label}", rules.sales_document(state, data, kind.lines_field)
        )
        with table.lock:
            number = choose_number(state, table, data, kind)
            table.add(document_view(state, data, number, kind.document_type, kind.lines_field))
        return created(request.url_for(f"{kind.read_path}/{quote(number, safe='')}"))

    def list_documents(request: Request) -> Response:
        keys, where = _selection(table, request)
        expand = flag(request.query, "expandAttachments")

        def render(doc: Doc) -> Doc:
            attached = state.attachments_of(_owner(kind, doc["referenceNumber"]))
            return public(doc, attached if expand else None)

        if where is not None:
            keys = [d["referenceNumber"] for d in table.docs(keys) if where(d)]
        return keyed_page(keys, table.docs, request.query, state.max_page_size, render)

    def get_document(request: Request, number: str) -> Response:
        doc = table.get(number)
        if doc is None:
            state.errors.not_found(f"{kind.document_type} {number} was not found.")
        return json_response(public(doc, state.attachments_of(_owner(kind, number))))

    def attach(request: Request, number: str) -> Response:
        if number not in table:
            state.errors.not_found(f"{kind.document_type} {number} was not found.")
        return add_attachment(state, request, _owner(kind, number), kind.document_type, number)

    for path in kind.write_paths:
        app.post(path)(create)
    app.get(kind.read_path)(list_documents)
    app.get(kind.read_path + "/{number}")(get_document)
    app.post(kind.read_path + "/{number}/attachment")(attach)


def choose_number(state: VismaState, table: Table, data: Doc, kind: SalesKind) -> str:
    """The document number: the client's (override / manual numbering) or the series'."""
    given = data.get("referenceNumber")
    if given and (data.get("overrideNumberSeries") is True or state.manual_numbering):
        number = str(given)
        if number in table:
            state.errors.duplicate(
                f"Error creating {kind.label}. Error: A document with the reference number "
                f"'{number}' already exists."
            )
        return number
    return table.next_free()


def add_attachment(
    state: VismaState, request: Request, owner: str, document_type: str, number: str
) -> Response:
    """Keep an uploaded file's facts; the same name again is a new revision."""
    files = request.files()
    if not files:
        state.errors.fail(
            400,
            "Error attaching a file. Error: the request must be multipart/form-data "
            "with a file part.",
            VALIDATION,
        )
    part = files[0]
    name = part.filename or part.name
    with state.attachments.lock:
        existing = next((a for a in state.attachments_of(owner) if a["name"] == name), None)
        attachment_id: str = existing["id"] if existing else state.new_guid()
        record = {
            "id": attachment_id,
            "document": owner,
            "documentType": document_type,
            "documentNumber": number,
            "name": name,
            "contentType": part.content_type,
            "size": part.size,
            "sha256": hashlib.sha256(part.data).hexdigest(),
            "revision": existing["revision"] + 1 if existing else 1,
            "createdDateTime": state.now_iso(),
        }
        if existing:
            state.attachments.put(attachment_id, record)
        else:
            state.attachments.add(record)
    return Response(201)


def _selection(table: Table, request: Request) -> tuple[list[str], Callable[[Doc], bool] | None]:
    """Keys to list (by the externalReference index when filtered) and the other filters."""
    query = request.query
    reference = query.get("externalReference")
    keys = table.keys_where("externalReference", reference) if reference else table.keys()
    checks = [(read, query[name]) for name, read in _FILTERS.items() if query.get(name)]
    modified = modified_filter(query)
    if not checks and modified is None:
        return keys, None

    def where(doc: Doc) -> bool:
        if modified is not None and not modified(doc):
            return False
        return all(str(read(doc)) == value for read, value in checks)

    return keys, where


def _owner(kind: SalesKind, number: str) -> str:
    return f"{kind.name}:{number}"
