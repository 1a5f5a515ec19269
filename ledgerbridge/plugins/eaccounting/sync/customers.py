"""Customers in canonical form: the same fields from Visma PM and eAccounting.

Both sources yield records with exactly these fields, so a hash read from one
side means the same as a hash written to the other (the core's echo and
conflict rules rely on it). Empty values are None; the number is digits
without leading zeros (Severa keeps numbers as integers and drops them).

    number, name, address, postalCode, city, country (ISO 3166 alpha-2),
    contactName, contactEmail, contactPhone, currency (ISO 4217), termsDays
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledgerbridge.core.errors import RecordError

ENTITY = "customer"
MATCH = ("number", "name")
FIELDS = (
    "number",
    "name",
    "address",
    "postalCode",
    "city",
    "country",
    "contactName",
    "contactEmail",
    "contactPhone",
    "currency",
    "termsDays",
)
NO_FIRST_NAME = "?"  # the seed: a contact name without a space gets first name "?" in PM
MAX_LENGTHS = {"name": 50, "address": 50, "city": 50, "postalCode": 10, "contactName": 100}


def text(value: Any) -> str | None:
    """A trimmed string, None when empty."""
    if value is None:
        return None
    out = str(value).strip()
    return out or None


def number(value: Any) -> str | None:
    """The customer number as digits without leading zeros (PM's integer form);
    a non-numeric number is kept as it is (it cannot go to PM, see `pm_number`)."""
    raw = text(value)
    if raw is None:
        return None
    return str(int(raw)) if raw.isdigit() else raw


def canonical(**fields: Any) -> dict[str, Any]:
    """The canonical record: every field, empties as None."""
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = fields.get(name)
        if name == "number":
            out[name] = number(value)
        elif name == "termsDays":
            out[name] = None if value is None else int(value)
        elif name in ("currency", "country"):
            out[name] = None if text(value) is None else str(text(value)).upper()
        else:
            out[name] = text(value)
    return out


def join_contact(first: Any, last: Any) -> str | None:
    """PM's first and last name as eAccounting's one contact name, joined with a
    space; the placeholder first name "?" is not carried over, so a name that
    came from eAccounting without a space goes back unchanged."""
    parts = [p for p in (text(first), text(last)) if p]
    if parts and parts[0] == NO_FIRST_NAME:
        parts = parts[1:]
    return " ".join(parts) or None


def split_contact(name: str | None) -> tuple[str, str] | None:
    """eAccounting's contact name as PM's (first, last): split on the first
    space; no space gives first name "?" and the whole name as last name."""
    full = text(name)
    if full is None:
        return None
    first, sep, last = full.partition(" ")
    if not sep or not last.strip():
        return NO_FIRST_NAME, first
    return first, last.strip()


def check_for(data: Mapping[str, Any], label: str, target: str) -> None:
    """What every customer must have before it is sent: a number, a name, an
    address (postal code and city too, eAccounting requires them), terms of
    payment, and no field over the vendor's length (the seed's ErrorCode 2000)."""
    for field, rule in (
        ("number", "a customer has a customer number"),
        ("name", "a customer has a name"),
        ("address", "a customer has an address (PM: a billing or head-office address)"),
        ("postalCode", "the address has a postal code"),
        ("city", "the address has a city"),
        ("termsDays", "a customer has terms of payment"),
    ):
        if data.get(field) in (None, ""):
            raise RecordError(
                f"Customer {label} has no {field}; it cannot be transferred to {target}",
                field=field,
                rule=rule,
                fix=f"fill in the customer's {field} and run again",
            )
    for field, most in MAX_LENGTHS.items():
        value = data.get(field)
        if value is not None and len(str(value)) > most:
            raise RecordError(
                f"Customer {label}: {field} is {len(str(value))} characters, longer than "
                f"the {most} {target} allows",
                field=field,
                value=value,
                rule=f"at most {most} characters",
                fix=f"shorten the customer's {field} to {most} characters and run again",
            )


def label(data: Mapping[str, Any]) -> str:
    return f"{data.get('number') or '?'} {data.get('name') or ''}".strip()
