"""Visma eAccounting customers as canonical records, and written from them.

An eAccounting customer holds one address and one contact inline
(`InvoiceAddress1`, `ContactPersonName`, ...), is always a company
(`IsPrivatePerson` false, the seed), and names its terms of payment by id:
they are read-only in eAccounting, so a PM customer's days are matched to the
terms for sales with that `NumberOfDays`. PUT replaces the whole customer, so
an update reads it first and changes only the synced fields.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.core.components import Candidate, WriteResult
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.plugins.eaccounting.eaccounting.api import EAccountingApi
from ledgerbridge.plugins.eaccounting.eaccounting.filters import eq
from ledgerbridge.plugins.eaccounting.sync.customers import ENTITY, canonical, check_for, label

SYSTEM = "eaccounting"
TITLE = "Visma eAccounting"
READ_ONLY = (
    "Id",
    "ChangedUtc",
    "TermsOfPayment",
    "LastInvoiceDate",
    "UnpaidInvoicesAmount",
    "IsFutureInvoiceDateAllowed",
)


def to_canonical(doc: Mapping[str, Any]) -> dict[str, Any]:
    terms = doc.get("TermsOfPayment") or {}
    return canonical(
        number=doc.get("CustomerNumber"),
        name=doc.get("Name"),
        address=doc.get("InvoiceAddress1"),
        postalCode=doc.get("InvoicePostalCode"),
        city=doc.get("InvoiceCity"),
        country=doc.get("InvoiceCountryCode"),
        contactName=doc.get("ContactPersonName"),
        contactEmail=doc.get("ContactPersonEmail"),
        contactPhone=doc.get("ContactPersonPhone"),
        currency=doc.get("CurrencyCode"),
        termsDays=terms.get("NumberOfDays"),
    )


def sales_terms(terms: list[dict[str, Any]], days: int) -> str | None:
    """The id of eAccounting's terms of payment for sales with this many
    days (a normal one before any other type), or None when there is none."""
    fits = [t for t in terms if t.get("NumberOfDays") == days and t.get("AvailableForSales", True)]
    normal = [t for t in fits if t.get("TermsOfPaymentTypeId", 0) == 0]
    return str((normal or fits)[0]["Id"]) if fits else None


@dataclass
class EaReference:
    """Terms of payment and currencies of the company, read once per run."""

    api: EAccountingApi
    _terms: list[dict[str, Any]] | None = field(default=None, repr=False)
    _currencies: list[dict[str, Any]] | None = field(default=None, repr=False)

    def terms_id(self, days: int, who: str) -> str:
        if self._terms is None:
            self._terms = self.api.terms_of_payment()
        found = sales_terms(self._terms, days)
        if found is None:
            raise RecordError(
                f"Customer {who} has terms of payment of {days} days, and eAccounting has "
                "no terms of payment for sales with that many days",
                field="termsDays",
                value=days,
                rule="terms of payment are matched by number of days (eAccounting's are read-only)",
                fix=f"add terms of payment of {days} days in eAccounting, or change the "
                "customer's terms in Visma PM",
            )
        return found

    def check_currency(self, code: str | None, who: str) -> None:
        if code is None:
            return
        if self._currencies is None:
            self._currencies = self.api.currencies()
        codes = {str(c.get("Code", "")).upper() for c in self._currencies}
        if code.upper() not in codes:
            raise RecordError(
                f"Customer {who} is invoiced in {code}, a currency the eAccounting company "
                "does not use",
                field="currency",
                value=code,
                rule="a customer's currency is one of the company's currencies",
                fix=f"add {code} to the company's currencies in eAccounting",
            )


class EaCustomerSource:
    """Active eAccounting customers changed since the cursor, oldest first;
    version and cursor are `ChangedUtc` (read with `ChangedUtc gt cursor`)."""

    system = SYSTEM
    title = TITLE

    def __init__(self, api: EAccountingApi) -> None:
        self.api = api

    def read(self, since: str | None) -> Iterator[Record]:
        docs = [d for d in self.api.customers(since) if d.get("IsActive", True)]
        for doc in sorted(docs, key=lambda d: str(d.get("ChangedUtc") or "")):
            stamp = str(doc.get("ChangedUtc") or "")
            yield Record(
                ENTITY,
                str(doc["Id"]),
                to_canonical(doc),
                updated_at=stamp,
                version=stamp,
                cursor=stamp,
            )


class EaCustomerMapper:
    """Canonical customer -> a `CustomerApi` body: one address, one contact,
    always a company, terms of payment by days."""

    def __init__(self, ref: EaReference) -> None:
        self.ref = ref

    def map(self, record: Record) -> dict[str, Any]:
        data = record.data
        who = label(data)
        check_for(data, who, TITLE)
        self.ref.check_currency(data.get("currency"), who)
        body: dict[str, Any] = {
            "CustomerNumber": data["number"],
            "Name": data["name"],
            "InvoiceAddress1": data["address"],
            "InvoicePostalCode": data["postalCode"],
            "InvoiceCity": data["city"],
            "InvoiceCountryCode": data.get("country"),
            "ContactPersonName": data.get("contactName"),
            "ContactPersonEmail": data.get("contactEmail"),
            "ContactPersonPhone": data.get("contactPhone"),
            "CurrencyCode": data.get("currency"),
            "TermsOfPaymentId": self.ref.terms_id(int(data["termsDays"]), who),
            "IsActive": True,
            "IsPrivatePerson": False,
        }
        return body


class EaCustomerTarget:
    """Creates (POST) or replaces (GET, change, PUT) an eAccounting customer;
    the answer's `ChangedUtc` is the stamp the write left."""

    system = SYSTEM
    title = TITLE

    def __init__(self, api: EAccountingApi) -> None:
        self.api = api

    def label(self, payload: Mapping[str, Any]) -> str:
        return f"customer {payload.get('CustomerNumber')} {payload.get('Name')}"

    def write(
        self, payload: dict[str, Any], record: Record, binding: Binding | None
    ) -> WriteResult:
        if binding is None:
            doc = self.api.create_customer(payload)
            return WriteResult(str(doc["Id"]), "created", doc.get("ChangedUtc"))
        current = self.api.get_customer(binding.remote_id)
        if current is None:
            raise RecordError(
                f"Customer {label(record.data)} is linked to eAccounting customer "
                f"{binding.remote_id}, which no longer exists",
                rule="a linked customer exists in eAccounting",
                fix="remove the link (ledgerbridge links unset ...) so it is created again",
            )
        body = {k: v for k, v in current.items() if k not in READ_ONLY}
        doc = self.api.replace_customer(binding.remote_id, {**body, **payload})
        return WriteResult(binding.remote_id, "updated", doc.get("ChangedUtc"))

    def lookup(self, payload: dict[str, Any], record: Record) -> WriteResult | None:
        number = payload.get("CustomerNumber")
        if not number:
            return None
        for doc in self.api.customers(filter=eq("CustomerNumber", str(number))):
            return WriteResult(str(doc["Id"]), "unchanged", doc.get("ChangedUtc"))
        return None

    def candidates(self) -> Iterator[Candidate]:
        for doc in self.api.customers():
            if doc.get("IsActive", True):
                yield Candidate(str(doc["Id"]), to_canonical(doc), doc.get("ChangedUtc"))
