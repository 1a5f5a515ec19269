"""Visma eAccounting articles as canonical records, and written from them.

An article names its account coding and unit by id; both are read-only in
eAccounting [FACTS §0.6], so they are matched by value: the coding by VAT
rate (a new article gets "Tjänster x% moms", the seed), the unit by name,
abbreviation or code. The seed asks the user to check the codings after the
first transfer (a product may be goods, "Varor"): an update therefore keeps
the article's coding while its VAT rate is still the one synced, and only a
changed VAT rate picks the service coding of the new rate. PUT replaces the
whole article, so an update reads it first and changes only synced fields.
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
from ledgerbridge.plugins.eaccounting.sync.articles import (
    ENTITY,
    canonical,
    check_for,
    check_vat,
    gross,
    kind_of,
    label,
)

SYSTEM = "eaccounting"
TITLE = "Visma eAccounting"
SERVICE = "Service"  # the coding Type of "Tjänster" (UNVERIFIED, FACTS §1.3)
READ_ONLY = (
    "Id", "CodingName", "UnitName", "UnitAbbreviation", "StockBalanceManuallyChangedUtc",
    "StockBalanceReserved", "StockBalanceAvailable", "CreatedUtc", "ChangedUtc",
    "PurchasePriceManuallyChangedUtc", "MessageThreads", "Notes", "ShowStockInformation",
    "IsServiceArticle", "FreightCostsManuallyChangedUtc", "StockValue",
)  # fmt: skip


def coding_percent(coding: Mapping[str, Any]) -> float:
    """A coding's VAT as a percent; `VatRatePercent` may be a fraction (0.25)
    or a percent (25): its scale is unverified (FACTS §5), so both are read."""
    raw = float(coding.get("VatRatePercent") or 0)
    return round(raw * 100 if raw <= 1 else raw, 2)


@dataclass
class EaArticleReference:
    """The company's article codings and units, read once per run."""

    api: EAccountingApi
    _codings: list[dict[str, Any]] | None = field(default=None, repr=False)
    _units: list[dict[str, Any]] | None = field(default=None, repr=False)

    def codings(self) -> list[dict[str, Any]]:
        if self._codings is None:
            self._codings = self.api.article_codings()
        return self._codings

    def units(self) -> list[dict[str, Any]]:
        if self._units is None:
            self._units = self.api.units()
        return self._units

    def vat_of(self, coding_id: Any) -> float | None:
        wanted = str(coding_id or "").lower()
        for coding in self.codings():
            if str(coding.get("Id", "")).lower() == wanted:
                return coding_percent(coding)
        return None

    def service_coding(self, vat_rate: float, who: str) -> str:
        """The id of "Tjänster x% moms": an active service coding of that VAT
        rate, by type and rate, else by its Swedish name."""
        active = [c for c in self.codings() if c.get("IsActive", True)]
        fits = [c for c in active if c.get("Type") == SERVICE and coding_percent(c) == vat_rate]
        name = "Tjänster momsfri" if vat_rate == 0 else f"Tjänster {vat_rate:g}% moms"
        fits = fits or [c for c in active if str(c.get("Name", "")).casefold() == name.casefold()]
        if not fits:
            raise RecordError(
                f"Could not add {who} to Visma eAccounting: the company has no active "
                f"article coding for services at {vat_rate:g}% VAT ({name})",
                field="vatRate",
                value=vat_rate,
                rule="a new article gets the coding Tjänster x% moms of its VAT rate",
                fix=f"check the VAT rate in Visma PM, or activate the coding {name} in eAccounting",
            )
        return str(fits[0]["Id"])

    def unit_name(self, value: Any) -> str | None:
        """The eAccounting unit a unit text names (name, abbreviation or code,
        case-insensitive), or None when the company has none by that name."""
        wanted = str(value or "").strip().casefold()
        if not wanted:
            return None
        for unit in self.units():
            names = (unit.get(k) for k in ("Name", "Abbreviation", "Code", "AbbreviationEnglish"))
            if wanted in {str(n).casefold() for n in names if n}:
                return str(unit["Name"])
        return None

    def unit_id(self, name: str, who: str) -> str:
        for unit in self.units():
            if str(unit.get("Name", "")).casefold() == name.casefold():
                return str(unit["Id"])
        known = ", ".join(str(u.get("Name")) for u in self.units()) or "none"
        raise RecordError(
            f"Could not add {who} to Visma eAccounting: eAccounting has no unit {name!r} "
            f"(its units, which are read-only: {known})",
            field="unit",
            value=name,
            rule="an article's unit is one of eAccounting's units",
            fix="give it one of eAccounting's units in Visma PM (or none: Styck)",
        )


def to_canonical(doc: Mapping[str, Any], ref: EaArticleReference) -> dict[str, Any]:
    return canonical(
        number=doc.get("Number"),
        name=doc.get("Name"),
        active=doc.get("IsActive", True),
        unit=doc.get("UnitName") or ref.unit_name(doc.get("UnitId")),
        vatRate=ref.vat_of(doc.get("CodingId")),
        price=doc.get("NetPrice"),
        cost=doc.get("PurchasePrice"),
    )


class EaArticleSource:
    """eAccounting articles (active or not: Aktiv is synced) changed since the
    cursor, oldest first; version and cursor are `ChangedUtc`."""

    system = SYSTEM
    title = TITLE

    def __init__(self, api: EAccountingApi, ref: EaArticleReference) -> None:
        self.api, self.ref = api, ref

    def read(self, since: str | None) -> Iterator[Record]:
        docs = list(self.api.articles(since))
        for doc in sorted(docs, key=lambda d: str(d.get("ChangedUtc") or "")):
            stamp = str(doc.get("ChangedUtc") or "")
            yield Record(
                ENTITY,
                str(doc["Id"]),
                to_canonical(doc, self.ref),
                updated_at=stamp,
                version=stamp,
                cursor=stamp,
            )


class EaArticleMapper:
    """Canonical article -> an `ArticleApi` body: the seed's checks (code,
    name length, VAT), the service coding of the VAT rate, the unit by name,
    NetPrice, GrossPrice computed, PurchasePrice."""

    def __init__(self, ref: EaArticleReference) -> None:
        self.ref = ref

    def map(self, record: Record) -> dict[str, Any]:
        data = record.data
        kind = kind_of(record.key)
        who = label(data, kind)
        check_for(data, kind, TITLE)
        check_vat(data, kind)
        vat = float(data["vatRate"])
        return {
            "Number": data["number"],
            "Name": data["name"],
            "IsActive": bool(data["active"]),
            "CodingId": self.ref.service_coding(vat, who),
            "UnitId": self.ref.unit_id(str(data.get("unit") or "Styck"), who),
            "NetPrice": data.get("price") or 0,
            "GrossPrice": gross(data.get("price"), vat),
            "PurchasePrice": data.get("cost") or 0,
        }


class EaArticleTarget:
    """Creates (POST) or replaces (GET, change, PUT) an eAccounting article;
    the answer's `ChangedUtc` is the stamp the write left."""

    system = SYSTEM
    title = TITLE

    def __init__(self, api: EAccountingApi, ref: EaArticleReference) -> None:
        self.api, self.ref = api, ref

    def label(self, payload: Mapping[str, Any]) -> str:
        return f"article {payload.get('Number')} {payload.get('Name')}"

    def write(
        self, payload: dict[str, Any], record: Record, binding: Binding | None
    ) -> WriteResult:
        if binding is None:
            doc = self.api.create_article(payload)
            return WriteResult(str(doc["Id"]), "created", doc.get("ChangedUtc"))
        current = self.api.get_article(binding.remote_id)
        if current is None:
            raise RecordError(
                f"{label(record.data, kind_of(record.key)).capitalize()} is linked to "
                f"eAccounting article {binding.remote_id}, which no longer exists",
                rule="a linked article exists in eAccounting",
                fix="remove the link (ledgerbridge links unset ...) so it is created again",
            )
        body = {k: v for k, v in current.items() if k not in READ_ONLY}
        if self.ref.vat_of(current.get("CodingId")) == record.data.get("vatRate"):
            payload = {**payload, "CodingId": current["CodingId"]}  # the user's coding stays
        doc = self.api.replace_article(binding.remote_id, {**body, **payload})
        return WriteResult(binding.remote_id, "updated", doc.get("ChangedUtc"))

    def lookup(self, payload: dict[str, Any], record: Record) -> WriteResult | None:
        number = payload.get("Number")
        if not number:
            return None
        for doc in self.api.articles(filter=eq("Number", str(number))):
            return WriteResult(str(doc["Id"]), "unchanged", doc.get("ChangedUtc"))
        return None

    def candidates(self) -> Iterator[Candidate]:
        for doc in self.api.articles():
            yield Candidate(str(doc["Id"]), to_canonical(doc, self.ref), doc.get("ChangedUtc"))
