"""Visma PM (Severa) products, work types and travel expense types as
canonical articles, and written from them.

Three PM registers are linked to one eAccounting register (the seed), so a
record's key says which it is: "product:GUID", "worktype:GUID",
"travel:GUID". The seed's unit rule is applied as they are read: work
types are Timmar, mileage travel expenses Kilometer, everything else Styck
unless PM names a unit (matched to eAccounting's unit of that name or
abbreviation, so "st" reads as Styck on both sides). Work types have no VAT
rate in PM: they take the organization's default rate.

A new eAccounting article becomes a PM *product* (the seed: "new products can
be added in both systems"); updates go to whichever register the link
points at, each with the fields it has (a work type has no unit, price or
VAT rate of its own, so only its name, code, active flag and hour cost are
written).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.core.components import Candidate, WriteResult
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.plugins.eaccounting.pm.api import SeveraApi, replace
from ledgerbridge.plugins.eaccounting.sync.articles import (
    ENTITY,
    HOURS,
    KILOMETRES,
    PIECES,
    canonical,
    check_for,
    kind_of,
    label,
)
from ledgerbridge.plugins.eaccounting.sync.ea_articles import EaArticleReference

SYSTEM = "pm"
TITLE = "Visma PM"
PATHS = {"product": "v1/products", "worktype": "v1/worktypes", "travel": "v1/travelexpensetypes"}


@dataclass
class PmArticleReference:
    """PM's default VAT rate and organization currency, and eAccounting's
    units (to name a PM unit as eAccounting does), read once per run."""

    api: SeveraApi
    ea: EaArticleReference
    _vat: float | None = field(default=None, repr=False)
    _currency: str | None = field(default=None, repr=False)

    def default_vat(self) -> float | None:
        if self._vat is None:
            rates = self.api.vat_rates()
            default = next((r for r in rates if r.get("isDefault")), None)
            self._vat = None if default is None else float(default.get("percentage") or 0)
        return self._vat

    def currency(self) -> str:
        if self._currency is None:
            own = [c for c in self.api.currencies() if c.get("isOrganizationCurrency")]
            self._currency = str(own[0]["code"]) if own else "SEK"
        return self._currency

    def unit(self, given: Any, default: str) -> str:
        """PM's unit as eAccounting names it; PM's own text when eAccounting has
        no such unit (the eAccounting mapper then says so); `default` when none."""
        text = str(given or "").strip()
        if not text:
            return default
        return self.ea.unit_name(text) or text


def to_canonical(kind: str, doc: Mapping[str, Any], ref: PmArticleReference) -> dict[str, Any]:
    common = {"number": doc.get("code"), "name": doc.get("name"), "active": doc.get("isActive")}
    if kind == "worktype":
        return canonical(
            **common, unit=HOURS, vatRate=ref.default_vat(), price=None, cost=doc.get("hourCost")
        )
    if kind == "travel":
        unit = ref.unit(doc.get("measurementUnit"), KILOMETRES if doc.get("isMileage") else PIECES)
        return canonical(
            **common, unit=unit, vatRate=doc.get("vatRate"), price=None, cost=doc.get("unitCost")
        )
    return canonical(
        **common,
        unit=ref.unit(doc.get("measurementUnit"), PIECES),
        vatRate=doc.get("vatRate"),
        price=doc.get("unitPrice"),
        cost=doc.get("unitCost"),
    )


def _stamp(doc: Mapping[str, Any]) -> str:
    return str(doc.get("lastUpdatedDateTime") or "")


class PmArticleSource:
    """Products, work types and travel expense types (active or not: Aktiv is
    synced) changed since the cursor, oldest change first."""

    system = SYSTEM
    title = TITLE

    def __init__(self, api: SeveraApi, ref: PmArticleReference) -> None:
        self.api, self.ref = api, ref

    def registers(self, since: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
        lists: dict[str, Callable[[str | None], Iterator[dict[str, Any]]]] = {
            "product": self.api.products,
            "worktype": self.api.work_types,
            "travel": self.api.travel_expense_types,
        }
        for kind, read in lists.items():
            for doc in read(since):
                yield kind, doc

    def read(self, since: str | None) -> Iterator[Record]:
        found = sorted(self.registers(since), key=lambda kd: _stamp(kd[1]))
        for kind, doc in found:
            stamp = _stamp(doc)
            yield Record(
                ENTITY,
                f"{kind}:{doc['guid']}",
                to_canonical(kind, doc, self.ref),
                updated_at=stamp,
                version=stamp,
                cursor=stamp,
            )


class PmArticleMapper:
    """Canonical article -> the canonical payload PM's target writes, checked."""

    def map(self, record: Record) -> dict[str, Any]:
        data = dict(record.data)
        check_for(data, kind_of(record.key), TITLE)
        return data


class PmArticleTarget:
    """Creates a PM product, or updates the product, work type or travel
    expense type a link points at (JSON-Patch); the answer's
    `lastUpdatedDateTime` is the stamp the write left."""

    system = SYSTEM
    title = TITLE

    def __init__(self, api: SeveraApi, ref: PmArticleReference) -> None:
        self.api, self.ref = api, ref

    def label(self, payload: Mapping[str, Any]) -> str:
        return label(payload)

    def write(
        self, payload: dict[str, Any], record: Record, binding: Binding | None
    ) -> WriteResult:
        if binding is None:
            doc = self.api.create_product(self._product(payload))
            return WriteResult(f"product:{doc['guid']}", "created", _stamp(doc))
        kind, _, guid = binding.remote_id.partition(":")
        if kind not in PATHS:
            raise RecordError(
                f"Article {label(payload)} is linked to {binding.remote_id}, which is not a "
                "Visma PM product, work type or travel expense type",
                rule="an article is linked to PM as KIND:GUID",
                fix="set the link again (ledgerbridge links set ...)",
            )
        current = self.api.get(f"{PATHS[kind]}/{guid}")
        if current is None:
            raise RecordError(
                f"Article {label(payload)} is linked to PM {kind} {guid}, which no longer exists",
                rule="a linked article exists in Visma PM",
                fix="remove the link (ledgerbridge links unset ...) so it is created again",
            )
        doc = self.api.patch(f"{PATHS[kind]}/{guid}", self._operations(kind, current, payload))
        return WriteResult(binding.remote_id, "updated", _stamp(doc))

    def lookup(self, payload: dict[str, Any], record: Record) -> WriteResult | None:
        code = payload.get("number")
        if not code:
            return None
        for kind, path in PATHS.items():
            read = self.api.pages if kind == "product" else self.api.rows
            for doc in read(path, {"code": code}):
                return WriteResult(f"{kind}:{doc['guid']}", "unchanged", _stamp(doc))
        return None

    def candidates(self) -> Iterator[Candidate]:
        for kind, doc in PmArticleSource(self.api, self.ref).registers(None):
            data = to_canonical(kind, doc, self.ref)
            yield Candidate(f"{kind}:{doc['guid']}", data, _stamp(doc))

    # -- bodies -------------------------------------------------------------------

    def _money(self, value: Any) -> dict[str, Any]:
        return {"amount": value or 0, "currencyCode": self.ref.currency()}

    def _product(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": payload["name"],
            "code": payload["number"],
            "isActive": bool(payload["active"]),
            "vatRate": payload.get("vatRate"),
            "measurementUnit": payload.get("unit"),
            "unitPrice": self._money(payload.get("price")),
            "unitCost": self._money(payload.get("cost")),
            "type": "FixedFees",
        }

    def _operations(
        self, kind: str, current: Mapping[str, Any], payload: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        ops = [
            replace("/name", payload["name"]),
            replace("/code", payload["number"]),
            replace("/isActive", bool(payload["active"])),
        ]
        if kind == "worktype":
            return ops + _money_op(current, "hourCost", payload.get("cost"), payload)
        ops += [
            replace("/vatRate", payload.get("vatRate")),
            replace("/measurementUnit", payload.get("unit")),
        ]
        if kind == "product":
            ops += _money_op(current, "unitPrice", payload.get("price"), payload)
        return ops + _money_op(current, "unitCost", payload.get("cost"), payload)


def _money_op(
    current: Mapping[str, Any], name: str, value: Any, payload: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """A Replace of a money field's amount. PM's PATCH values are strings
    [SEV PatchOperation], so a money field that is null cannot be given an
    object: that one case fails with the fix."""
    if isinstance(current.get(name), Mapping):
        return [replace(f"/{name}/amount", _amount_text(value))]
    if not value:
        return []
    raise RecordError(
        f"Article {label(payload)}: Visma PM holds no {name} on it, and PM's API cannot "
        f"add one by an update",
        field=name,
        value=value,
        rule="a PM amount is updated in place",
        fix=f"enter a {name} (any, e.g. 0) on it in Visma PM once, then run again",
    )


def _amount_text(value: Any) -> str:
    """An amount as PATCH text: "320" for a whole amount (a text both an
    integer and a decimal amount take), "320.5" otherwise."""
    number = float(value or 0)
    return str(int(number)) if number.is_integer() else repr(round(number, 2))
