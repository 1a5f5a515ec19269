"""Reading the journal XML string Nmbrs' `Journals_*` operations answer.

The shape is Twinfield's transaction XML (CONNECTOR-FACTS.md §4): a root
holding one `<transaction>` per booking date, each with `header/date`
(YYYYMMDD) and `lines/line` elements holding `dim1` (the general-ledger
account), `dim2` (cost center), `dim3` (cost unit), `debitcredit`
(`debit`/`credit`), `value` (a positive amount, '.' as decimal separator)
and `description`. A run with corrections has one transaction per period it
corrects, each dated in that period.

The string may declare `encoding="utf-16"` although it travels as text:
`parse_xml` ignores the declaration, and parses with entities, DTDs and the
network off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from ledgerbridge.core.http import XmlError, parse_xml
from ledgerbridge.core.http.soapxml import child, children, localname


class JournalError(ValueError):
    """The journal XML cannot be read; the message names where and why."""


@dataclass(frozen=True)
class Line:
    account: str
    side: str  # "debit" | "credit"
    value: Decimal
    description: str = ""
    cost_center: str | None = None
    cost_unit: str | None = None


@dataclass(frozen=True)
class Transaction:
    booked: date
    lines: tuple[Line, ...]
    currency: str | None = None


def parse_journal(text: str) -> list[Transaction]:
    """Every transaction of a journal XML string, in document order."""
    if not text.strip():
        return []
    try:
        root = parse_xml(text)
    except XmlError as exc:
        raise JournalError(f"the journal XML cannot be read: {exc}") from None
    found = [t for t in children(root) if localname(t) == "transaction"]
    if localname(root) == "transaction":
        found = [root]
    return [_transaction(t, n) for n, t in enumerate(found, start=1)]


def _text(element: object, name: str) -> str | None:
    found = child(element, name)
    if found is None:
        return None
    value = "".join(found.itertext()).strip()
    return value or None


def _transaction(element: object, number: int) -> Transaction:
    header = child(element, "header")
    raw = _text(header, "date") if header is not None else None
    where = f"transaction {number}"
    if raw is None:
        raise JournalError(f"{where} has no header/date")
    try:
        booked = date(int(raw[0:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        raise JournalError(f"{where}: header/date {raw!r} is not a date YYYYMMDD") from None
    lines_el = child(element, "lines")
    lines = children(lines_el, "line") if lines_el is not None else []
    parsed = tuple(_line(ln, f"{where}, line {i}") for i, ln in enumerate(lines, start=1))
    currency = _text(header, "currency") if header is not None else None
    return Transaction(booked, parsed, currency)


def _line(element: object, where: str) -> Line:
    account = _text(element, "dim1")
    if account is None:
        raise JournalError(f"{where} has no dim1 (general-ledger account)")
    side = (_text(element, "debitcredit") or "").lower()
    if side not in ("debit", "credit"):
        raise JournalError(f"{where}: debitcredit is {side!r}, not debit or credit")
    raw = _text(element, "value") or ""
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise JournalError(f"{where}: value {raw!r} is not an amount") from None
    if value < 0:  # a negative amount on a side is the other side
        value, side = -value, "credit" if side == "debit" else "debit"
    return Line(
        account=account,
        side=side,
        value=value,
        description=_text(element, "description") or "",
        cost_center=_text(element, "dim2"),
        cost_unit=_text(element, "dim3"),
    )
