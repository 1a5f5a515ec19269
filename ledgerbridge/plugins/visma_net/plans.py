"""What `run --dry-run` says a Visma.net write would do.

A customer's plan compares each field the update would send (the
CustomerUpdateDto) with what Visma.net holds now (the CustomerDto its GET
answers), in the update's own field names: `name`, `corporateId`,
`creditTermsId`, `mainAddress.city`, `mainContact.email`. The two DTOs name
some fields differently (creditTermsId vs creditTerms.id, countryId vs
country.id), so Visma.net's side is put in the update's shape first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledgerbridge.core.plan import FieldChange, changes

# Sent with every customer, never a change: the key, and the numbering switch.
NOT_COMPARED = frozenset({"number", "overrideNumberSeries"})


def customer_changes(
    body: Mapping[str, Any], existing: Mapping[str, Any]
) -> tuple[FieldChange, ...]:
    """The fields of an update `body` that differ from the customer Visma.net holds."""
    sent = {k: v for k, v in unwrap(body).items() if k not in NOT_COMPARED}
    return changes(as_update(existing), sent)


def as_update(customer: Mapping[str, Any]) -> dict[str, Any]:
    """A CustomerDto in CustomerUpdateDto's field names (values unwrapped)."""
    dto = unwrap(customer)
    address = _mapping(dto.get("mainAddress"))
    out: dict[str, Any] = {
        k: dto.get(k) for k in ("name", "corporateId", "vatRegistrationId") if k in dto
    }
    out["creditTermsId"] = _mapping(dto.get("creditTerms")).get("id")
    out["customerClassId"] = _mapping(dto.get("customerClass")).get("id")
    out["mainAddress"] = {
        **{k: v for k, v in address.items() if k not in ("country", "addressId")},
        "countryId": _mapping(address.get("country")).get("id"),
    }
    out["mainContact"] = dict(_mapping(dto.get("mainContact")))
    return out


def invoice_note(kind: str, body: Mapping[str, Any], customer: str, pdf: bool) -> str:
    """`for customer ACME, 3 rows, SEK, with its PDF copy`."""
    sent = unwrap(body)
    rows = sent.get("invoiceLines") or sent.get("lines") or []
    count = len(rows) if isinstance(rows, list) else 0
    parts = [f"for customer {customer}", f"{count} row{'s' if count != 1 else ''}"]
    if sent.get("currencyId"):
        parts.append(str(sent["currencyId"]))
    if sent.get("referenceNumber") and sent.get("overrideNumberSeries") is True:
        parts.append(f"numbered {sent['referenceNumber']}")  # else Visma.net's series decides
    if pdf:
        parts.append("with its PDF copy")
    what = "credit note" if kind == "credit_note" else "invoice"
    return f"a new {what} " + ", ".join(parts)


def unwrap(value: Any) -> Any:
    """Visma.net's `{"value": x}` wrappers removed, at every depth."""
    if isinstance(value, Mapping):
        if set(value) == {"value"}:
            return unwrap(value["value"])
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
