"""Pre-flight check: what an invoice refers to must exist in Visma.net.

"The account numbers, payment terms, economic units, currencies and customer
categories that are in Opter must be in Visma.net. If an account number is
missing, an error message will be displayed with information about what is
missing." The mapper lists every reference a payload makes (`MasterDataRefs`);
the target fetches Visma.net's lists once per run (`MasterData`) and calls
`preflight` before writing, so an invoice that cannot be posted fails with
every missing item named, instead of with the first error Visma.net returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ledgerbridge.core.errors import RecordError
from ledgerbridge.plugins.visma_net.vat import check_codes

Used = Mapping[str, tuple[str, ...]]
"""Referenced value -> the payload fields that use it (e.g. "invoiceLines[2].accountNumber")."""


@dataclass(frozen=True)
class MasterDataRefs:
    """Everything one payload refers to in Visma.net, with where it is used.

    customer:            the customer number the invoice is for.
    customer_must_exist: True when the customer is not exported from Opter
                         (disableCustomerExport=true), so it must already be
                         in Visma.net.
    """

    accounts: Used = field(default_factory=dict)
    payment_terms: Used = field(default_factory=dict)
    branches: Used = field(default_factory=dict)
    currencies: Used = field(default_factory=dict)
    vat_codes: Used = field(default_factory=dict)
    customer_classes: Used = field(default_factory=dict)
    payment_methods: Used = field(default_factory=dict)
    customer: str | None = None
    customer_must_exist: bool = False


@dataclass(frozen=True)
class MasterData:
    """What exists in Visma.net (ids as the API returns them). A list left as
    None was not fetched and is not checked."""

    accounts: frozenset[str] | None = None  # /v1/account accountCD
    payment_terms: frozenset[str] | None = None  # /v1/creditTerm id
    branches: frozenset[str] | None = None  # /v1/branch number
    currencies: frozenset[str] | None = None  # /v1/currency id
    vat_codes: frozenset[str] | None = None  # /v1/vat vatId
    customer_classes: frozenset[str] | None = None  # /v1/customer/customerClass id
    payment_methods: frozenset[str] | None = None  # /v1/paymentmethod paymentMethodID
    customers: frozenset[str] | None = None  # /v1/customer number


@dataclass(frozen=True)
class _Kind:
    attribute: str
    label: str
    where: str
    fix: str


_KINDS = (
    _Kind(
        "accounts",
        "Account",
        "Chart of accounts (GL202500)",
        "create the account in Visma.net or correct the account number on the article "
        "or account coding in Opter",
    ),
    _Kind(
        "payment_terms",
        "Payment terms",
        "Credit terms (CS206500)",
        "create the credit terms in Visma.net with the same ID as in Opter, "
        "or change the payment terms in Opter",
    ),
    _Kind(
        "branches",
        "Branch",
        "Branches (CS101500)",
        "correct the branch after the dash in the Office code (e.g. 12345-1), "
        "or create the branch in Visma.net",
    ),
    _Kind(
        "currencies",
        "Currency",
        "Currencies (CM202000)",
        "activate the currency in Visma.net or correct the currency in Opter",
    ),
    _Kind(
        "vat_codes",
        "VAT code",
        "VAT (TX205000)",
        "correct the code in vatCodes; enter the code exactly as it appears in Visma.net, e.g. 01",
    ),
    _Kind(
        "customer_classes",
        "Customer class",
        "Customer classes (AR201000)",
        "create the customer class in Visma.net, or correct the customer category in Opter "
        "or the class in vatCustomerClassMapping",
    ),
    _Kind(
        "payment_methods",
        "Payment method",
        "Payment methods (CA204000)",
        "correct paymentMethodId in Start text to the ID of a payment method in Visma.net",
    ),
)


def preflight(refs: MasterDataRefs, known: MasterData) -> list[RecordError]:
    """Every reference in `refs` missing from `known`, one error each."""
    errors = [_missing_customer(refs)] if _customer_missing(refs, known) else []
    for kind in _KINDS:
        existing: frozenset[str] | None = getattr(known, kind.attribute)
        if existing is None:
            continue
        used: Used = getattr(refs, kind.attribute)
        if kind.attribute == "vat_codes":  # with the "'1' is not '01'" hint
            errors.extend(check_codes(used, existing))
            continue
        for value in sorted(used):
            if value not in existing:
                errors.append(_missing(kind, value, used[value]))
    return errors


def _missing(kind: _Kind, value: str, fields: tuple[str, ...]) -> RecordError:
    return RecordError(
        f"{kind.label} {value} is missing in Visma.net",
        field=", ".join(fields) or None,
        value=value,
        rule=f"every {kind.label.lower()} used in Opter must exist in Visma.net ({kind.where})",
        fix=kind.fix + ", then export again",
    )


def _customer_missing(refs: MasterDataRefs, known: MasterData) -> bool:
    return (
        refs.customer_must_exist
        and refs.customer is not None
        and known.customers is not None
        and refs.customer not in known.customers
    )


def _missing_customer(refs: MasterDataRefs) -> RecordError:
    return RecordError(
        f"Customer {refs.customer} is not in Visma.net and customer export is disabled",
        field="customerNumber",
        value=refs.customer,
        rule="with disableCustomerExport=true the customer must first be created in Visma.net",
        fix="create the customer manually in Visma.net with this customer number, "
        "or remove disableCustomerExport=true from Start text",
    )
