"""OData `$filter` expressions for eAccounting lists, built safely.

The spec declares no `$filter`, but the vendor documents it [EA-CHG] and
public clients build it the same way [PWIT query.py, Mezai]: strings quoted
with '' escaping, UUIDs, numbers, booleans and date-times bare
(`ChangedUtc ge 2026-01-01T00:00:00Z`). Property names and bare values are
checked, so a value from a record can never change the expression.

    all_of(eq("IsActive", True), ge("ChangedUtc", watermark, raw=True))
"""

from __future__ import annotations

import re
from typing import Any

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")
_BARE = re.compile(r"^[0-9A-Za-z:.+\-]+$")  # date-times and GUIDs


class Filter(str):
    """A `$filter` expression (a str, so it goes into a query as is)."""


def _literal(value: Any, raw: bool) -> str:
    if raw:
        text = str(value)
        if not _BARE.match(text):
            raise ValueError(f"{text!r} is not a bare OData value (a date-time or GUID)")
        return text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def compare(name: str, op: str, value: Any, raw: bool = False) -> Filter:
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a property name")
    return Filter(f"{name} {op} {_literal(value, raw)}")


def eq(name: str, value: Any, raw: bool = False) -> Filter:
    return compare(name, "eq", value, raw)


def ne(name: str, value: Any, raw: bool = False) -> Filter:
    return compare(name, "ne", value, raw)


def gt(name: str, value: Any, raw: bool = False) -> Filter:
    return compare(name, "gt", value, raw)


def ge(name: str, value: Any, raw: bool = False) -> Filter:
    return compare(name, "ge", value, raw)


def lt(name: str, value: Any, raw: bool = False) -> Filter:
    return compare(name, "lt", value, raw)


def le(name: str, value: Any, raw: bool = False) -> Filter:
    return compare(name, "le", value, raw)


def all_of(*parts: Filter) -> Filter:
    return Filter(" and ".join(f"({p})" if " or " in p else p for p in parts))


def any_of(*parts: Filter) -> Filter:
    return Filter("(" + " or ".join(parts) + ")")
