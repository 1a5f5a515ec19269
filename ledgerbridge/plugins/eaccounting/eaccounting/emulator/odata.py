"""The OData `$filter` and `$orderby` subset eAccounting clients use.

The 2026 spec declares neither parameter, but the vendor documents `$filter`
examples [EA-CHG] and every public client sends them [PWIT, Mezai]:
`ChangedUtc gt 2026-01-01T00:00:00Z`, `Name eq 'x'`, `IsActive eq true`,
joined with `and`/`or`, `not` and parentheses. That subset is served:
comparisons `eq ne gt ge lt le` of a property (or `A/B` path) with a string
('it''s'), number, true/false, null, GUID or date-time (bare, quoted or
`datetime'...'`). Strings compare case-insensitively (the vendor's SQL
collation; INFERENCE). Functions (`contains`, `any`) are refused with a 400
naming them, rather than being ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ledgerbridge.plugins.eaccounting.stamps import parse_time

Doc = dict[str, Any]
Predicate = Callable[[Doc], bool]

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<dt>datetime'[^']*')|(?P<guid>(?:guid')?"
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'?)|(?P<paren>[(),])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_/]*)|(?P<lit>[-+0-9][-+0-9A-Za-z.:_]*))"
)
_OPS = {"eq", "ne", "gt", "ge", "lt", "le"}


class FilterError(ValueError):
    """A `$filter` the emulator cannot evaluate; the message says why."""


def compile_filter(text: str, properties: set[str]) -> Predicate:
    """A predicate for `text`; FilterError for bad syntax or unknown properties."""
    tokens = _tokenize(text)
    parser = _Parser(tokens, properties)
    predicate = parser.expression()
    if parser.pos != len(tokens):
        raise FilterError(f"unexpected '{tokens[parser.pos][1]}' in $filter")
    return predicate


def sort_key(text: str, properties: set[str]) -> tuple[str, bool]:
    """(`property`, descending) from `$orderby=Name desc`."""
    parts = text.split()
    if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
        raise FilterError(f"$orderby '{text}' is not 'Property [asc|desc]'")
    if parts[0] not in properties:
        raise FilterError(f"Could not find a property named '{parts[0]}'")
    return parts[0], len(parts) == 2 and parts[1].lower() == "desc"


def comparable(value: Any) -> Any:
    """Values as they compare: date-times as datetimes, strings folded."""
    if isinstance(value, str):
        moment = parse_time(value) if value[:1].isdigit() and len(value) >= 10 else None
        return moment if moment is not None else value.casefold()
    return value


def _tokenize(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise FilterError(f"cannot read $filter at '{text[pos:].strip()[:20]}'")
        kind = match.lastgroup or "lit"
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], properties: set[str]) -> None:
        self.tokens = tokens
        self.properties = properties
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise FilterError("the $filter ends too early")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def expression(self) -> Predicate:
        left = self.conjunction()
        while (self.peek() or "").lower() == "or":
            self.take()
            left = _either(left, self.conjunction())
        return left

    def conjunction(self) -> Predicate:
        left = self.factor()
        while (self.peek() or "").lower() == "and":
            self.take()
            left = _both(left, self.factor())
        return left

    def factor(self) -> Predicate:
        kind, text = self.take()
        if kind == "word" and text.lower() == "not":
            inner = self.factor()
            return lambda d: not inner(d)
        if text == "(":
            inner = self.expression()
            if self.take()[1] != ")":
                raise FilterError("a '(' in $filter is not closed")
            return inner
        if kind != "word":
            raise FilterError(f"expected a property name in $filter, got '{text}'")
        if self.peek() == "(":
            raise FilterError(f"the emulator does not support the $filter function '{text}'")
        return self.comparison(text)

    def comparison(self, path: str) -> Predicate:
        if path.split("/")[0] not in self.properties:
            raise FilterError(f"Could not find a property named '{path.split('/')[0]}'")
        op = self.take()[1].lower()
        if op not in _OPS:
            raise FilterError(f"unknown operator '{op}' in $filter")
        expected = _literal(*self.take())
        return lambda d: _compare(_dig(d, path), op, expected)


def _either(a: Predicate, b: Predicate) -> Predicate:
    return lambda d: a(d) or b(d)


def _both(a: Predicate, b: Predicate) -> Predicate:
    return lambda d: a(d) and b(d)


def _literal(kind: str, text: str) -> Any:
    if kind == "str":
        return comparable(text[1:-1].replace("''", "'"))
    if kind == "dt":
        moment = parse_time(text[len("datetime'") : -1])
        if moment is None:
            raise FilterError(f"'{text}' is not a date-time")
        return moment
    if kind == "guid":
        return text.removeprefix("guid'").rstrip("'").casefold()
    lowered = text.lower()
    if kind == "word" and lowered in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[lowered]
    if kind == "lit":
        moment = parse_time(text) if len(text) >= 10 and text[4:5] == "-" else None
        if moment is not None:
            return moment
        try:
            return float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            raise FilterError(f"'{text}' is not a value in $filter") from None
    raise FilterError(f"'{text}' is not a value in $filter")


def _dig(doc: Any, path: str) -> Any:
    for part in path.split("/"):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return comparable(doc)


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if actual is None or expected is None:
        return False
    if isinstance(actual, datetime) != isinstance(expected, datetime):
        return False
    try:
        return bool(
            {
                "gt": actual > expected,
                "ge": actual >= expected,
                "lt": actual < expected,
                "le": actual <= expected,
            }[op]
        )
    except TypeError:
        return False
