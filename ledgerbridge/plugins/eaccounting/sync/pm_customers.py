"""Visma PM (Severa) customers as canonical records, and written from them.

A PM customer is three documents: the customer, its addresses and its
contact persons, each with its own `lastUpdatedDateTime` and `changedSince`
list. The seed takes the first billing address (else the head-office
address) and the first contact, so a record's version is the latest stamp of
the three, and a run reads the customers *and* the addresses and contacts
changed since the cursor, so an address edit alone is seen too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.core.components import Candidate, WriteResult
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.plugins.eaccounting.pm.api import SeveraApi, add, replace
from ledgerbridge.plugins.eaccounting.sync.customers import (
    ENTITY,
    canonical,
    check_for,
    join_contact,
    label,
    split_contact,
)

SYSTEM = "pm"
TITLE = "Visma PM"


@dataclass
class PmCustomer:
    """One PM customer as the sync sees it: canonical data, version, and the
    guids of the address and contact the data came from."""

    guid: str
    data: dict[str, Any]
    version: str
    address_guid: str | None = None
    contact: dict[str, Any] | None = None


@dataclass
class PmReference:
    """Countries and currencies of the organization, read once per run."""

    api: SeveraApi
    _countries: list[dict[str, Any]] | None = field(default=None, repr=False)
    _currencies: list[dict[str, Any]] | None = field(default=None, repr=False)

    def countries(self) -> list[dict[str, Any]]:
        if self._countries is None:
            self._countries = self.api.countries()
        return self._countries

    def currencies(self) -> list[dict[str, Any]]:
        if self._currencies is None:
            self._currencies = self.api.currencies()
        return self._currencies

    def country_code(self, value: Any) -> str | None:
        """The ISO code of a PM country given by guid (an address), or by code or
        name (the head-office address holds the country as text)."""
        wanted = str(value or "").strip().casefold()
        if not wanted:
            return None
        for country in self.countries():
            names = (country.get(k) for k in ("guid", "code2", "name", "englishName"))
            if wanted in {str(n).casefold() for n in names if n}:
                return str(country.get("code2") or "") or None
        return None

    def country_guid(self, code: str | None, who: str) -> str | None:
        if code is None:
            return None
        for country in self.countries():
            if str(country.get("code2", "")).upper() == code.upper():
                return str(country["guid"])
        raise RecordError(
            f"Customer {who}: the country {code} is not a country Visma PM knows",
            field="country",
            value=code,
            rule="the country is one of Visma PM's countries",
            fix="correct the customer's country in eAccounting",
        )

    def currency(self, code: str | None, who: str) -> str | None:
        """The currency code PM can take; a non-organization currency needs the
        Currencies add-on ("Valutor"), without which it is inactive."""
        if code is None:
            return None
        for currency in self.currencies():
            same = str(currency.get("code", "")).upper() == code.upper()
            if same and (currency.get("isActive") or currency.get("isOrganizationCurrency")):
                return code.upper()
        raise RecordError(
            f"Customer {who} is invoiced in {code}, but Visma PM has no active currency "
            f"{code}: currencies other than the organization's need PM's Currencies "
            "add-on (Valutor)",
            field="currency",
            value=code,
            rule="a customer's currency is active in Visma PM",
            fix="activate the Currencies add-on (Valutor) and the currency in Visma PM, "
            "or change the customer's currency in eAccounting",
        )


def load(api: SeveraApi, ref: PmReference, doc: Mapping[str, Any]) -> PmCustomer:
    """A PM customer document with its first billing address (else the head
    office) and first active contact, in canonical form."""
    guid = str(doc["guid"])
    addresses = api.customer_addresses(guid)
    billing = next((a for a in addresses if a.get("isBillingAddress")), None)
    contacts = [c for c in api.customer_contacts(guid) if c.get("isActive", True)]
    contact = contacts[0] if contacts else None
    stamps = [str(doc.get("lastUpdatedDateTime") or "")]
    if billing is not None:
        stamps.append(str(billing.get("lastUpdatedDateTime") or ""))
        where: dict[str, Any] = {
            "address": billing.get("addressline"),
            "postalCode": billing.get("postalCode"),
            "city": billing.get("city"),
            "country": ref.country_code((billing.get("country") or {}).get("guid")),
        }
    else:
        head = doc.get("headquarterAddress") or {}
        where = {
            k: head.get(v)
            for k, v in (("address", "addressline"), ("postalCode", "postalCode"), ("city", "city"))
        }
        where["country"] = ref.country_code(head.get("country"))
    if contact is not None:
        stamps.append(str(contact.get("lastUpdatedDateTime") or ""))
    data = canonical(
        number=doc.get("number"),
        name=doc.get("name"),
        **where,
        contactName=join_contact(contact.get("firstName"), contact.get("lastName"))
        if contact
        else None,
        contactEmail=_first((contact or {}).get("emails")),
        contactPhone=_first((contact or {}).get("phoneNumbers")),
        currency=(doc.get("currency") or {}).get("code"),
        termsDays=doc.get("paymentTerm"),
    )
    return PmCustomer(guid, data, max(stamps), billing["guid"] if billing else None, contact)


def _first(values: Any) -> Any:
    return values[0] if isinstance(values, list) and values else None


class PmCustomerSource:
    """Active PM customers changed since the cursor (customer, address or
    contact), oldest change first; version and cursor are the latest stamp."""

    system = SYSTEM
    title = TITLE

    def __init__(self, api: SeveraApi, ref: PmReference) -> None:
        self.api, self.ref = api, ref

    def read(self, since: str | None) -> Iterator[Record]:
        docs = {str(d["guid"]): d for d in self.api.customers(since, is_active=True)}
        if since is not None:
            touched = {
                str((row.get("customer") or {}).get("guid"))
                for rows in (self.api.addresses(since), self.api.contacts(since))
                for row in rows
                if (row.get("customer") or {}).get("guid")
            }
            for guid in sorted(touched - set(docs)):
                doc = self.api.get_customer(guid)
                if doc is not None and doc.get("isActive", True):
                    docs[guid] = doc
        loaded = sorted(
            (load(self.api, self.ref, d) for d in docs.values()), key=lambda c: c.version
        )
        for customer in loaded:
            yield Record(
                ENTITY,
                customer.guid,
                customer.data,
                updated_at=customer.version,
                version=customer.version,
                cursor=customer.version,
            )


class PmCustomerMapper:
    """Canonical customer -> the canonical payload PM's target writes, checked:
    the seed's required fields and lengths, PM's countries and currencies."""

    def __init__(self, ref: PmReference) -> None:
        self.ref = ref

    def map(self, record: Record) -> dict[str, Any]:
        data = dict(record.data)
        who = label(data)
        check_for(data, who, TITLE)
        if not str(data["number"]).isdigit():
            raise RecordError(
                f"Customer {who}: the customer number {data['number']} is not a number; "
                "Visma PM's customer numbers are whole numbers",
                field="number",
                value=data["number"],
                rule="a PM customer number has digits only",
                fix="give the customer a numeric customer number in eAccounting",
            )
        self.ref.currency(data.get("currency"), who)
        self.ref.country_guid(data.get("country"), who)
        return data


class PmCustomerTarget:
    """Writes a customer, its billing address and first contact to PM; reads
    the customer back for the stamp the write left (PM answers each document
    with its own stamp, the record's version is the latest of the three)."""

    system = SYSTEM
    title = TITLE

    def __init__(self, api: SeveraApi, ref: PmReference) -> None:
        self.api, self.ref = api, ref

    def label(self, payload: Mapping[str, Any]) -> str:
        return f"customer {label(payload)}"

    def write(
        self, payload: dict[str, Any], record: Record, binding: Binding | None
    ) -> WriteResult:
        who = label(payload)
        if binding is None:
            doc = self.api.create_customer(self._customer_body(payload, who))
            self._address(str(doc["guid"]), None, payload, who)
            self._contact(str(doc["guid"]), None, payload)
            return WriteResult(str(doc["guid"]), "created", self._version(str(doc["guid"])))
        guid = binding.remote_id
        current = self._current(guid, who)
        ops = [
            replace("/name", payload["name"]),
            replace("/number", int(payload["number"])),
            replace("/paymentTerm", payload["termsDays"]),
        ]
        if payload.get("currency"):
            ops.append(replace("/currency/code", self.ref.currency(payload["currency"], who)))
        self.api.patch_customer(guid, ops)
        self._address(guid, current.address_guid, payload, who)
        self._contact(guid, current.contact, payload)
        return WriteResult(guid, "updated", self._version(guid))

    def lookup(self, payload: dict[str, Any], record: Record) -> WriteResult | None:
        found = self._by_number(payload.get("number"))
        if found is None:
            return None
        return WriteResult(found.guid, "unchanged", found.version)

    def candidates(self) -> Iterator[Candidate]:
        for doc in self.api.customers(is_active=True):
            customer = load(self.api, self.ref, doc)
            yield Candidate(customer.guid, customer.data, customer.version)

    # -- pieces --------------------------------------------------------------------

    def _customer_body(self, payload: Mapping[str, Any], who: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": payload["name"],
            "number": int(payload["number"]),
            "isActive": True,
            "paymentTerm": payload["termsDays"],
        }
        if payload.get("currency"):
            body["currency"] = {"code": self.ref.currency(payload["currency"], who)}
        return body

    def _address(
        self, guid: str, address_guid: str | None, payload: Mapping[str, Any], who: str
    ) -> None:
        country = self.ref.country_guid(payload.get("country"), who)
        values = {
            "addressline": payload["address"],
            "postalCode": payload["postalCode"],
            "city": payload["city"],
        }
        if address_guid is None:
            body: dict[str, Any] = {**values, "isBillingAddress": True}
            if country:
                body["country"] = {"guid": country}
            self.api.create_address(guid, body)
            return
        ops = [replace(f"/{k}", v) for k, v in values.items()]
        if country:
            ops.append(replace("/country/guid", country))
        self.api.patch_address(address_guid, ops)

    def _contact(
        self, guid: str, contact: Mapping[str, Any] | None, payload: Mapping[str, Any]
    ) -> None:
        names = split_contact(payload.get("contactName"))
        if names is None:
            return  # eAccounting's one contact is optional; PM's are kept as they are
        email, phone = payload.get("contactEmail"), payload.get("contactPhone")
        if contact is None:
            body: dict[str, Any] = {
                "firstName": names[0],
                "lastName": names[1],
                "customer": {"guid": guid},
            }
            if email:
                body["emails"] = [email]
            if phone:
                body["phoneNumbers"] = [phone]
            self.api.create_contact(body)
            return
        ops = [replace("/firstName", names[0]), replace("/lastName", names[1])]
        ops += _first_of(contact, "emails", email) + _first_of(contact, "phoneNumbers", phone)
        self.api.patch_contact(str(contact["guid"]), ops)

    def _current(self, guid: str, who: str) -> PmCustomer:
        doc = self.api.get_customer(guid)
        if doc is None:
            raise RecordError(
                f"Customer {who} is linked to PM customer {guid}, which no longer exists",
                rule="a linked customer exists in Visma PM",
                fix="remove the link (ledgerbridge links unset ...) so it is created again",
            )
        return load(self.api, self.ref, doc)

    def _version(self, guid: str) -> str:
        doc = self.api.get_customer(guid)
        return load(self.api, self.ref, doc).version if doc else ""

    def _by_number(self, value: Any) -> PmCustomer | None:
        if value is None or not str(value).isdigit():
            return None
        docs = list(self.api.pages("v1/customers", {"numbers": int(value)}))
        return load(self.api, self.ref, docs[0]) if docs else None


def _first_of(contact: Mapping[str, Any], key: str, value: Any) -> list[dict[str, Any]]:
    """JSON-Patch of a list's first element (add it when the list is empty)."""
    if not value:
        return []
    if contact.get(key):
        return [replace(f"/{key}/0", value)]
    return [add(f"/{key}/-", value)]
