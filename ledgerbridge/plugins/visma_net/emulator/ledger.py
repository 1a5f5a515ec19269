"""General ledger: journal transactions (GL batches).

    POST /v2/journaltransaction       JournalTransactionUpdateDto -> 201 + Location
    GET  /v2/journaltransaction       paged; filters periodId, status, branch, module
    GET  /v2/journaltransaction/{n}

A batch must balance (debits = credits) unless it is saved on hold, every
account must exist and its period must be open in the general ledger. With
overrideNumberSeries=true the body's batchNumber is used, otherwise the GL
series numbers it ("000001", ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from ledgerbridge.core.sandbox import App, Request, Response, created, json_response
from ledgerbridge.plugins.visma_net.emulator import rules
from ledgerbridge.plugins.visma_net.emulator.documents import (
    RECEIVED,
    money,
    public,
    ref,
    subaccount_view,
)
from ledgerbridge.plugins.visma_net.emulator.listing import flag, keyed_page, modified_filter
from ledgerbridge.plugins.visma_net.emulator.state import Doc, VismaState, plain
from ledgerbridge.plugins.visma_net.emulator.validation import BodyValidator

SCHEMA = "JournalTransactionUpdateDto"
PATH = "/v2/journaltransaction"
MODULE = "ModuleGL"
_FILTERS: dict[str, Callable[[Doc], Any]] = {
    "periodId": lambda d: d.get("financialPeriod"),
    "status": lambda d: d.get("status"),
    "branch": lambda d: d.get("branch"),
    "module": lambda d: d.get("module"),
}


def line_view(state: VismaState, line: Mapping[str, Any], rate: Decimal) -> Doc:
    debit = rules.decimal(line.get("debitAmountInCurrency"))
    credit = rules.decimal(line.get("creditAmountInCurrency"))
    return {
        "lineNumber": line.get("lineNumber"),
        "accountNumber": line.get("accountNumber"),
        "subaccount": subaccount_view(line.get("subaccount")),
        "referenceNumber": line.get("referenceNumber"),
        "transactionDescription": line.get("transactionDescription"),
        "debitAmountInCurrency": money(debit),
        "debitAmount": money(debit * rate),
        "creditAmountInCurrency": money(credit),
        "creditAmount": money(credit * rate),
        "vatCode": ref(state, "vat", line.get("vatCodeId")),
        "branch": line.get("branch"),
        "uom": line.get("uom"),
        "quantity": line.get("quantity"),
        "note": line.get("note"),
        "module": MODULE,
    }


def transaction_view(state: VismaState, number: str, data: Mapping[str, Any]) -> Doc:
    """The stored JournalTransactionDto plus what was received."""
    date = data.get("transactionDate") or state.today()
    period = data.get("financialPeriod") or rules.period_of(date)
    rate = rules.decimal(data.get("exchangeRate") or 1)
    lines = [line_view(state, ln, rate) for ln in data.get("journalTransactionLines") or []]
    debit = sum((rules.decimal(ln["debitAmountInCurrency"]) for ln in lines), Decimal(0))
    credit = sum((rules.decimal(ln["creditAmountInCurrency"]) for ln in lines), Decimal(0))
    return {
        "module": MODULE,
        "batchNumber": number,
        "status": "Hold" if data.get("hold") else "Balanced",
        "hold": bool(data.get("hold")),
        "transactionDate": date,
        "postPeriod": data.get("postPeriod") or period,
        "financialPeriod": period,
        "ledger": data.get("ledger") or "1",
        "currencyId": data.get("currencyId") or "SEK",
        "exchangeRate": float(rate),
        "autoReversing": bool(data.get("autoReversing")),
        "description": data.get("description"),
        "debitTotalInCurrency": money(debit),
        "debitTotal": money(debit * rate),
        "creditTotalInCurrency": money(credit),
        "creditTotal": money(credit * rate),
        "controlTotalInCurrency": data.get("controlTotalInCurrency"),
        "createVatTransaction": bool(data.get("createVatTransaction")),
        "skipVatAmountValidation": bool(data.get("skipVatAmountValidation")),
        "transactionCode": data.get("transactionCode"),
        "branch": data.get("branch"),
        "journalTransactionLines": lines,
        "lastModifiedDateTime": state.now_iso(),
        RECEIVED: dict(data),
    }


def register(app: App, state: VismaState, validator: BodyValidator) -> None:
    table = state.journal_transactions

    @app.post(PATH)
    def create_transaction(request: Request) -> Response:
        data = plain(validator.body(request, SCHEMA))
        state.errors.refuse("creating journal transaction", rules.journal_transaction(state, data))
        with table.lock:
            number = _number(state, data)
            table.add(transaction_view(state, number, data))
        return created(request.url_for(f"{PATH}/{quote(number, safe='')}"))

    @app.get(PATH)
    def list_transactions(request: Request) -> Response:
        checks = [(read, request.query[n]) for n, read in _FILTERS.items() if request.query.get(n)]
        modified = modified_filter(request.query)
        keys = table.keys()
        if checks or modified is not None:
            keys = [
                d["batchNumber"]
                for d in table.docs(keys)
                if all(str(read(d)) == value for read, value in checks)
                and (modified is None or modified(d))
            ]
        expand = flag(request.query, "expandAttachments")
        return keyed_page(
            keys,
            table.docs,
            request.query,
            state.max_page_size,
            lambda d: public(d, _attachments(state, d) if expand else None),
        )

    @app.get(PATH + "/{number}")
    def get_transaction(request: Request, number: str) -> Response:
        doc = table.get(number)
        if doc is None:
            state.errors.not_found(f"Journal transaction {number} was not found.")
        return json_response(public(doc, _attachments(state, doc)))


def _number(state: VismaState, data: Mapping[str, Any]) -> str:
    given = data.get("batchNumber")
    if given and data.get("overrideNumberSeries") is True:
        if str(given) in state.journal_transactions:
            state.errors.duplicate(
                f"Error creating journal transaction. Error: Batch number '{given}' already exists."
            )
        return str(given)
    return state.journal_transactions.next_free()


def _attachments(state: VismaState, doc: Doc) -> list[Doc]:
    return state.attachments_of(f"journal_transaction:{doc['batchNumber']}")
