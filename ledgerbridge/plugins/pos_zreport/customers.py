"""Customers ("Kunder") between DUELL and Visma.net.

DUELL as customer base: a DUELL customer new to the link is first matched
against Visma.net's customers by organisation number, then phone, then email
("matcher kunder på orgnr, tlf, epost (i gitt prioriterings rekkefølge)"),
numbers normalised (an org. no. is its 9 digits; a phone its national 8
digits, tried as written, national and +47); the first key that finds
exactly one customer pairs them (the customer is updated), more than one is
refused as ambiguous, none creates it (number "D<DUELL id>", so a create
whose answer was lost is found again). DUELL's placeholder phone 99999999
never matches. With "allowDuplicateCustomerData" there is no matching:
every new DUELL customer is created.

The core's `Flow.match` pairs on all its fields at once; a priority order
of single keys with normalisation is not expressible there, so the order
lives in `match_customer` here (see the report).

Visma.net as customer base: Visma.net's customers changed since the last run
go to DUELL (`PUT customer`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ledgerbridge.core.components import WriteResult
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.http import ApiError
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.plugins.pos_zreport.duell.api import DuellApi
from ledgerbridge.plugins.pos_zreport.duell.listing import DuellList
from ledgerbridge.plugins.pos_zreport.settings import Settings
from ledgerbridge.plugins.pos_zreport.visma import DEFAULT, Company
from ledgerbridge.plugins.visma_net.api import VismaNetApi
from ledgerbridge.plugins.visma_net.target import SYSTEM as VISMA
from ledgerbridge.plugins.visma_net.target import TITLE as VISMA_TITLE
from ledgerbridge.plugins.visma_net.target import raise_refusal

PLACEHOLDER_PHONE = "99999999"  # what DUELL's own WooCommerce plugin writes for "no phone"


def v(value: Any) -> dict[str, Any]:
    return {"value": value}


def _s(value: Any) -> str:
    return "" if value is None else str(value).strip()


def org_number(value: Any) -> str | None:
    """ "NO 912 345 678 MVA" -> "912345678"; None unless 9 digits remain."""
    digits = re.sub(r"\D", "", _s(value))
    return digits if len(digits) == 9 else None


def phone_forms(value: Any) -> list[str]:
    """The forms a Norwegian phone number is tried in: as written, national, +47."""
    raw = _s(value)
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("0047"):
        digits = digits[4:]
    elif digits.startswith("47") and len(digits) == 10:
        digits = digits[2:]
    if len(digits) < 8 or digits == PLACEHOLDER_PHONE:
        return []
    return list(dict.fromkeys([raw, digits, f"+47{digits}", f"+47 {digits}"]))


def email_forms(value: Any) -> list[str]:
    raw = _s(value)
    return list(dict.fromkeys([raw, raw.lower()])) if "@" in raw else []


# -- DUELL -> Visma.net -----------------------------------------------------------------


class DuellCustomerSource:
    system = "duell"
    title = "DUELL"

    def __init__(self, customers: DuellList) -> None:
        self.customers = customers

    def read(self, since: str | None) -> Iterator[Record]:
        for row in self.customers.rows():
            cid = _s(row.get("customer_id"))
            if cid:
                yield Record("customer", cid, canonical(row))


def canonical(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _s(row.get("customer_name")),
        "orgNo": _s(row.get("org_no")) or None,
        "phone": _s(row.get("phone")) or None,
        "email": _s(row.get("email")) or None,
        "address": _s(row.get("primary_address")) or None,
        "zip": _s(row.get("primary_zip")) or None,
        "city": _s(row.get("city")) or None,
    }


@dataclass(frozen=True)
class CustomerPayload:
    number: str  # used when created
    body: dict[str, Any]
    org_no: str | None
    phones: tuple[str, ...]
    emails: tuple[str, ...]


class CustomerMapper:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def map(self, record: Record) -> CustomerPayload:
        d = record.data
        if not d["name"]:
            raise RecordError(
                f"DUELL customer {record.key} has no name",
                field="customer_name",
                rule="Visma.net needs a customer name",
                fix=f"fill in the name of customer {record.key} in DUELL",
            )
        org = org_number(d.get("orgNo"))
        address = _given(addressLine1=d.get("address"), postalCode=d.get("zip"), city=d.get("city"))
        contact = _given(name=d["name"], email=d.get("email"), phone1=d.get("phone"))
        body: dict[str, Any] = {
            "name": v(d["name"]),
            "mainAddress": v({**address, "countryId": v("NO")}),
            "mainContact": v(contact),
        }
        if org:
            body["corporateId"] = v(org)
        if self.settings.customer_class:
            body["customerClassId"] = v(self.settings.customer_class)
        return CustomerPayload(
            f"D{record.key}",
            body,
            org,
            tuple(phone_forms(d.get("phone"))),
            tuple(email_forms(d.get("email"))),
        )


def match_customer(api: VismaNetApi, payload: CustomerPayload, label: str) -> str | None:
    """The Visma.net customer number by org. no., then phone, then email."""
    keys = [("corporateId", payload.org_no)] if payload.org_no else []
    keys += [("phone", p) for p in payload.phones]
    keys += [("email", e) for e in payload.emails]
    for field, value in keys:
        found = [
            c
            for c in api.iter("v1/customer", params={field: value})
            if c.get("status") != "Inactive"
        ]
        numbers = sorted({str(c.get("number")) for c in found})
        if len(numbers) == 1:
            return numbers[0]
        if len(numbers) > 1:
            raise RecordError(
                f"{label} matches {len(numbers)} Visma.net customers by {field} {value!r} "
                f"({', '.join(numbers[:5])}): it is not known which one it is",
                field=field,
                value=value,
                rule="customers are matched by organisation number, then phone, then email; "
                "a match must be one customer",
                fix="merge the duplicates in Visma.net, or pair them by hand with `ledgerbridge "
                "links set`, or turn on allowDuplicateCustomerData",
            )
    return None


class VismaCustomerTarget:
    """Customers of one company: linked as the company's (`Company.system`),
    numbers kept as `CONNECTION/number` outside the connector's company."""

    def __init__(
        self, api: VismaNetApi, allow_duplicates: bool, company: Company = DEFAULT
    ) -> None:
        self.api = api
        self.allow_duplicates = allow_duplicates
        self.company = company
        self.system = company.system
        self.title = company.title

    def write(
        self, payload: CustomerPayload, record: Record, binding: Binding | None
    ) -> WriteResult:
        label = f"DUELL customer {record.key}" + self.company.where
        try:
            number = self.company.local(binding.remote_id) if binding is not None else None
            if number is None and not self.allow_duplicates:
                number = match_customer(self.api, payload, label)
            if number is None:
                created = self.api.create_customer({**payload.body, "number": v(payload.number)})
                return self.company.qualified(WriteResult(created, "created"))
            self.api.update_customer(number, payload.body)
        except ApiError as exc:
            raise_refusal(exc, label, "correct the customer in DUELL")
        return self.company.qualified(WriteResult(number, "updated"))

    def lookup(self, payload: CustomerPayload, record: Record) -> WriteResult | None:
        found = self.api.get_customer(payload.number)
        if found is None:
            return None
        return self.company.qualified(WriteResult(payload.number, "unchanged"))


# -- Visma.net -> DUELL -----------------------------------------------------------------


class VismaCustomerSource:
    system = VISMA
    title = VISMA_TITLE

    def __init__(self, api: VismaNetApi) -> None:
        self.api = api

    def read(self, since: str | None) -> Iterator[Record]:
        params = (
            {"lastModifiedDateTime": since, "lastModifiedDateTimeCondition": ">="} if since else {}
        )
        found = []
        for c in self.api.iter("v1/customer", params=params):
            contact = _plain(c.get("mainContact"))
            address = _plain(c.get("mainAddress"))
            data = {
                "name": _s(c.get("name")),
                "orgNo": _s(c.get("corporateId")) or None,
                "phone": _s(contact.get("phone1")) or None,
                "email": _s(contact.get("email")) or None,
                "address": _s(address.get("addressLine1")) or None,
                "zip": _s(address.get("postalCode")) or None,
                "city": _s(address.get("city")) or None,
            }
            stamp = _s(c.get("lastModifiedDateTime"))
            found.append((stamp, str(c.get("number")), data))
        for stamp, number, data in sorted(found):
            yield Record("customer", number, data, updated_at=stamp or None, version=stamp or None)


class DuellCustomerMapper:
    def map(self, record: Record) -> dict[str, Any]:
        d = record.data
        row = {
            "customer_name": d["name"] or record.key,
            "phone": d.get("phone"),
            "email": d.get("email"),
            "org_no": d.get("orgNo"),
            "primary_address": d.get("address"),
            "primary_zip": d.get("zip"),
            "city": d.get("city"),
        }
        return {k: val for k, val in row.items() if val}


class DuellCustomerTarget:
    system = "duell"
    title = "DUELL"

    def __init__(self, api: DuellApi) -> None:
        self.api = api

    def write(
        self, payload: dict[str, Any], record: Record, binding: Binding | None
    ) -> WriteResult:
        body = dict(payload)
        if binding is not None:
            body["customer_id"] = binding.remote_id
        try:
            cid = self.api.save_customer(body)
        except ApiError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                raise RecordError(
                    f"DUELL refused Visma.net customer {record.key}: {exc.message}",
                    field="customer",
                    value=record.key,
                    rule="DUELL's customer rules (a phone has at least 8 digits)",
                    fix="correct the customer in Visma.net",
                ) from None
            raise
        return WriteResult(cid, "updated" if binding else "created")

    def lookup(self, payload: dict[str, Any], record: Record) -> WriteResult | None:
        """A customer created before a lost answer: same name and email or phone."""
        for row in self.api.pages("customer/list", "customers"):
            if _s(row.get("customer_name")) == payload.get("customer_name") and (
                (payload.get("email") and row.get("email") == payload.get("email"))
                or (payload.get("phone") and row.get("phone") == payload.get("phone"))
            ):
                return WriteResult(str(row["customer_id"]), "unchanged")
        return None


def _given(**fields: Any) -> dict[str, Any]:
    """Wrapped values of the fields that have one (Visma.net refuses a null string)."""
    return {k: v(val) for k, val in fields.items() if val not in (None, "")}


def _plain(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
