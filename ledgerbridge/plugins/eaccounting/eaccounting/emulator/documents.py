"""Documents shaped like the spec's schemas.

eAccounting answers with every property of a schema, null or a default when
nothing was set, and ignores read-only properties a client sends back (a
client doing GET, change, PUT sends them all). `complete` fills what is
missing from the schema's declared types; `writable` drops what the server
computes. Both work from the shipped spec extract, so answers keep
validating against the spec (a test checks that).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from ledgerbridge.plugins.eaccounting.eaccounting.emulator.validation import components

Doc = dict[str, Any]


@lru_cache(maxsize=64)
def _defaults(schema: str) -> tuple[tuple[str, Any], ...]:
    props: dict[str, Any] = components()[schema].get("properties", {})
    out: list[tuple[str, Any]] = []
    for name, prop in props.items():
        kinds = prop.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "null" in kinds:
            out.append((name, None))
        elif "boolean" in kinds:
            out.append((name, False))
        elif "number" in kinds or "integer" in kinds:
            out.append((name, 0))
        elif "array" in kinds:
            out.append((name, []))
        # strings without null and $ref objects have no neutral value: left out
    return tuple(out)


@lru_cache(maxsize=64)
def _read_only(schema: str) -> frozenset[str]:
    props: dict[str, Any] = components()[schema].get("properties", {})
    return frozenset(n for n, p in props.items() if isinstance(p, dict) and p.get("readOnly"))


def complete(schema: str, doc: Doc) -> Doc:
    """`doc` with every property of `schema` it lacks set to its neutral value."""
    out = {name: copy.copy(value) for name, value in _defaults(schema)}
    out.update(doc)
    return out


def writable(schema: str, body: Doc) -> Doc:
    """`body` without the read-only properties the server sets itself."""
    hidden = _read_only(schema)
    return {k: v for k, v in body.items() if k not in hidden}


def money(value: float) -> float:
    """Amounts as eAccounting rounds them: 2 decimals."""
    return round(value + 0.0, 2)
