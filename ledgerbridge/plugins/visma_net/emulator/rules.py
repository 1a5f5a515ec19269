"""The business rules Visma.net applies when a document is created.

The DTO schema only says which fields exist and their types; whether a
document can be saved is decided by the ERP: everything it refers to must
exist (customer, accounts, VAT codes, currency, branch, credit terms, payment
method, subaccount segment values), its financial period must exist and be
open in the ledger it posts to, text fields must fit their database columns,
and a journal transaction must balance unless it is saved on hold.

Length limits: the spec declares no maxLength on write DTOs, so the column
sizes of the Acumatica platform behind the Visma.net windows are used
(reference number 15, customer order number 40, descriptions 256, customer
number 30, customer name 255).

Every rule returns `Violation`s for the plain (unwrapped) body, so one
answer names all the problems of a document. Field paths use the body's
JSON indexes (`invoiceLines[0].accountNumber`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerbridge.plugins.visma_net.emulator.errors import Violation
from ledgerbridge.plugins.visma_net.emulator.state import VismaState

Doc = Mapping[str, Any]

REFERENCE_NUMBER = 15
CUSTOMER_REF_NUMBER = 40
DESCRIPTION = 256
CUSTOMER_NUMBER = 30
CUSTOMER_NAME = 255
INVENTORY_NUMBER = 30

# master-data list -> how Visma.net names it in messages
LABELS = {
    "accounts": "Account",
    "vat": "VAT code",
    "currencies": "Currency",
    "branches": "Branch",
    "credit_terms": "Credit terms",
    "payment_methods": "Payment method",
    "customer_classes": "Customer class",
    "financial_periods": "Financial period",
    "ledgers": "Ledger",
}


# -- building blocks -------------------------------------------------------------------


def exists(state: VismaState, kind: str, value: Any, field: str) -> list[Violation]:
    """The referenced master-data record must exist (when a value is given)."""
    if value is None or value == "" or state.exists(kind, value):
        return []
    return [Violation(field, f"{LABELS[kind]} '{value}' cannot be found in the system.")]


def required(value: Any, field: str, label: str) -> list[Violation]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return [Violation(field, f"'{label}' cannot be empty.")]
    return []


def max_length(value: Any, limit: int, field: str, label: str) -> list[Violation]:
    if isinstance(value, str) and len(value) > limit:
        return [
            Violation(
                field,
                f"'{label}' is too long: {len(value)} characters, at most {limit} are allowed.",
            )
        ]
    return []


def period_of(date: Any) -> str | None:
    """ "2024-05-31T00:00:00" -> "202405"."""
    if not isinstance(date, str) or len(date) < 7:
        return None
    return date[0:4] + date[5:7]


def open_period(state: VismaState, period: str | None, field: str, ledger: str) -> list[Violation]:
    """The period must exist and be open in `ledger` (e.g. "CustomerLedger")."""
    if period is None:
        return []
    record = state.record("financial_periods", period)
    if record is None:
        return [Violation(field, f"Financial period '{period}' is not defined in the system.")]
    if not record.get("active", True) or record.get(f"closedIn{ledger}"):
        return [Violation(field, f"Financial period '{period}' is closed in {_spaced(ledger)}.")]
    return []


def subaccount(state: VismaState, segments: Any, field: str) -> list[Violation]:
    """Each segment value must exist in the SUBACCOUNT dimension."""
    out: list[Violation] = []
    for i, seg in enumerate(segments or []):
        seg_id, value = seg.get("segmentId"), seg.get("segmentValue")
        known = state.segments.get(int(seg_id)) if isinstance(seg_id, int) else None
        if known is None:
            out.append(Violation(f"{field}[{i}].segmentId", f"Segment {seg_id} does not exist."))
        elif str(value) not in known:
            out.append(
                Violation(
                    f"{field}[{i}].segmentValue",
                    f"'{value}' is not a valid value of subaccount segment {seg_id}.",
                )
            )
    return out


def positive(value: Any, field: str, label: str) -> list[Violation]:
    if value is None:
        return []
    if not isinstance(value, int | float) or value <= 0:
        return [Violation(field, f"'{label}' must be greater than 0.")]
    return []


def decimal(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


# -- customers -------------------------------------------------------------------------------


def customer(state: VismaState, body: Doc, *, creating: bool) -> list[Violation]:
    """CustomerUpdateDto: name on create, references, column sizes."""
    v: list[Violation] = []
    if creating:
        v += required(body.get("name"), "name", "Customer Name")
    v += max_length(body.get("number"), CUSTOMER_NUMBER, "number", "Customer ID")
    v += max_length(body.get("name"), CUSTOMER_NAME, "name", "Customer Name")
    v += exists(state, "customer_classes", body.get("customerClassId"), "customerClassId")
    v += exists(state, "credit_terms", body.get("creditTermsId"), "creditTermsId")
    v += exists(state, "currencies", body.get("currencyId"), "currencyId")
    return v


# -- customer invoices and credit notes ------------------------------------------------------


def sales_document(state: VismaState, body: Doc, lines_field: str) -> list[Violation]:
    """CustomerInvoiceUpdateDto / CustomerCreditNoteUpdateDto."""
    v = _document_customer(state, body.get("customerNumber"))
    v += exists(state, "currencies", body.get("currencyId"), "currencyId")
    v += exists(state, "branches", body.get("branchNumber"), "branchNumber")
    v += exists(state, "credit_terms", body.get("creditTermsId"), "creditTermsId")
    v += exists(state, "payment_methods", body.get("paymentMethodId"), "paymentMethodId")
    v += positive(body.get("exchangeRate"), "exchangeRate", "Exchange rate")
    v += _document_periods(state, body, "CustomerLedger")
    v += _numbering(body)
    v += max_length(
        body.get("customerRefNumber"),
        CUSTOMER_REF_NUMBER,
        "customerRefNumber",
        "Customer order no.",
    )
    v += max_length(body.get("invoiceText"), DESCRIPTION, "invoiceText", "Description")
    for i, line in enumerate(body.get(lines_field) or []):
        v += sales_line(state, line, f"{lines_field}[{i}]")
    return v


def sales_line(state: VismaState, line: Doc, at: str) -> list[Violation]:
    v = exists(state, "accounts", line.get("accountNumber"), f"{at}.accountNumber")
    v += exists(state, "vat", line.get("vatCodeId"), f"{at}.vatCodeId")
    v += exists(state, "branches", line.get("branchNumber"), f"{at}.branchNumber")
    v += subaccount(state, line.get("subaccount"), f"{at}.subaccount")
    v += max_length(
        line.get("description"), DESCRIPTION, f"{at}.description", "Transaction description"
    )
    if line.get("operation") not in (None, "Insert"):
        v.append(
            Violation(
                f"{at}.operation", f"Operation '{line.get('operation')}' needs an existing line."
            )
        )
    return v


def _document_customer(state: VismaState, number: Any) -> list[Violation]:
    missing = required(number, "customerNumber", "Customer")
    if missing:
        return missing
    found = state.customers.get(str(number))
    if found is None:
        return [Violation("customerNumber", f"Customer '{number}' cannot be found in the system.")]
    if found.get("status") == "Inactive":
        return [Violation("customerNumber", f"Customer '{number}' is inactive.")]
    return []


def _document_periods(state: VismaState, body: Doc, ledger: str) -> list[Violation]:
    """financialPeriod (or the document date's period) and postPeriod must be open."""
    period = body.get("financialPeriod")
    field = "financialPeriod"
    if period is None:
        period, field = period_of(body.get("documentDate") or state.today()), "documentDate"
    v = open_period(state, period, field, ledger)
    if body.get("postPeriod") not in (None, period):
        v += open_period(state, body.get("postPeriod"), "postPeriod", ledger)
    return v


def _numbering(body: Doc) -> list[Violation]:
    number = body.get("referenceNumber")
    v = max_length(number, REFERENCE_NUMBER, "referenceNumber", "Reference nbr.")
    if body.get("overrideNumberSeries") is True:
        v += required(number, "referenceNumber", "Reference nbr.")
    return v


# -- general ledger ---------------------------------------------------------------------------


def journal_transaction(state: VismaState, body: Doc) -> list[Violation]:
    """JournalTransactionUpdateDto: references, periods and the balance."""
    v = exists(state, "currencies", body.get("currencyId"), "currencyId")
    v += exists(state, "branches", body.get("branch"), "branch")
    v += exists(state, "ledgers", body.get("ledger"), "ledger")
    v += positive(body.get("exchangeRate"), "exchangeRate", "Exchange rate")
    v += max_length(body.get("description"), DESCRIPTION, "description", "Description")
    period = body.get("financialPeriod") or period_of(body.get("transactionDate") or state.today())
    v += open_period(state, period, "financialPeriod", "GeneralLedger")
    if body.get("overrideNumberSeries") is True:
        v += required(body.get("batchNumber"), "batchNumber", "Batch number")
    lines = body.get("journalTransactionLines") or []
    for i, line in enumerate(lines):
        v += journal_line(state, line, f"journalTransactionLines[{i}]")
    if body.get("hold") is not True:
        v += balanced(lines)
    return v


def journal_line(state: VismaState, line: Doc, at: str) -> list[Violation]:
    v = required(line.get("accountNumber"), f"{at}.accountNumber", "Account")
    v += exists(state, "accounts", line.get("accountNumber"), f"{at}.accountNumber")
    v += exists(state, "vat", line.get("vatCodeId"), f"{at}.vatCodeId")
    v += exists(state, "branches", line.get("branch"), f"{at}.branch")
    v += subaccount(state, line.get("subaccount"), f"{at}.subaccount")
    return v


def balanced(lines: Iterable[Doc]) -> list[Violation]:
    """Debits must equal credits (to the cent) for a batch that is not on hold."""
    debit = sum((decimal(ln.get("debitAmountInCurrency")) for ln in lines), Decimal(0))
    credit = sum((decimal(ln.get("creditAmountInCurrency")) for ln in lines), Decimal(0))
    if debit.quantize(Decimal("0.01")) == credit.quantize(Decimal("0.01")):
        return []
    return [
        Violation(
            "journalTransactionLines",
            f"Batch is out of balance, please review. Debit {debit:.2f}, credit {credit:.2f}.",
        )
    ]


# -- inventory ------------------------------------------------------------------------------------

_INVENTORY_ACCOUNTS = (
    "salesAccount",
    "salesNonTaxableAccount",
    "salesEuAccount",
    "salesExportAccount",
    "expenseAccount",
    "expenseAccrualAccount",
    "expenseNonTaxableAccount",
    "expenseEuAccount",
    "expenseImportAccount",
    "inventoryAccount",
    "cogsAccount",
)


def inventory(state: VismaState, body: Doc, *, creating: bool) -> list[Violation]:
    """InventoryUpdateDto: the item number on create, VAT code and accounts."""
    v: list[Violation] = []
    if creating:
        v += required(body.get("inventoryNumber"), "inventoryNumber", "Inventory ID")
    v += max_length(
        body.get("inventoryNumber"), INVENTORY_NUMBER, "inventoryNumber", "Inventory ID"
    )
    v += max_length(body.get("description"), DESCRIPTION, "description", "Description")
    v += exists(state, "vat", body.get("vatCode"), "vatCode")
    for name in _INVENTORY_ACCOUNTS:
        v += exists(state, "accounts", body.get(name), name)
    return v


def _spaced(ledger: str) -> str:
    """ "CustomerLedger" -> "customer ledger"."""
    out = "".join(f" {c.lower()}" if c.isupper() else c for c in ledger)
    return out.strip()
