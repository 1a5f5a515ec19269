"""JSON-Patch updates, as Severa's PATCH endpoints take them.

A body is `PatchOperation[]` `{op: Add|Copy|Move|Remove|Replace, path,
value, from}` [SEV]: RFC 6902 over the output model's camelCase JSON, with
the op names spelt as the spec's enum (matched case-insensitively, as
ASP.NET's JsonPatch does). The spec types `value` as a string; like
ASP.NET's JsonPatch, the emulator converts it to the type of the property
it replaces ("false" -> false, "25" -> 25). On a model, `remove` of a
property resets it to null; on a list it removes the element. Paths into
read-only parts (guid, stamps) or parts an entity does not let change are
refused with a 400 naming the path; the whole patch is then not applied.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ledgerbridge.plugins.eaccounting.pm.emulator.errors import invalid

Doc = dict[str, Any]
_TYPE_SAMPLES: dict[str, Any] = {"integer": 0, "number": 0.0, "boolean": False}
READ_ONLY = frozenset(
    {"guid", "createdDateTime", "createdBy", "lastUpdatedDateTime", "lastUpdatedBy"}
)


def apply_patch(
    doc: Doc,
    operations: Sequence[dict[str, Any]],
    writable: Collection[str],
    types: Mapping[str, str] | None = None,
) -> Doc:
    """A patched copy of `doc`; `writable` names the top-level properties that
    may change, `types` their JSON types where the current value may be null."""
    out = copy.deepcopy(doc)
    kinds = types or {}
    for operation in operations:
        op = str(operation["op"]).lower()
        path = operation.get("path") or ""
        _check_path(path, writable)
        if op in ("copy", "move"):
            source = operation.get("from") or ""
            value = copy.deepcopy(_get(out, _tokens(source), source))
            if op == "move":
                _check_path(source, writable)
                _remove(out, _tokens(source), source)
            _add(out, _tokens(path), value, path)
        elif op == "remove":
            _remove(out, _tokens(path), path)
        elif op == "add":
            _add(out, _tokens(path), operation.get("value"), path)
        else:  # replace
            tokens = _tokens(path)
            current = _get(out, tokens, path)
            like = _TYPE_SAMPLES.get(kinds.get(tokens[0], "")) if len(tokens) == 1 else None
            value = convert(operation.get("value"), current if current is not None else like, path)
            _set(out, tokens, value, path)
    return out


def convert(value: Any, like: Any, path: str) -> Any:
    """A patch value as the type of the value it replaces."""
    if value is None or not isinstance(value, str):
        return value
    try:
        if isinstance(like, bool):
            if value.lower() not in ("true", "false"):
                raise ValueError(value)
            return value.lower() == "true"
        if isinstance(like, int):
            return int(value)
        if isinstance(like, float):
            return float(value)
    except ValueError:
        invalid(f"The value '{value}' is not valid for '{path}'.", path)
    return value


def _check_path(path: str, writable: Collection[str]) -> None:
    tokens = _tokens(path)
    if not tokens or tokens[0] in READ_ONLY or tokens[0] not in writable:
        invalid(f"The property at '{path}' cannot be updated.", path)


def _tokens(path: str) -> list[str]:
    if not path.startswith("/"):
        invalid(f"'{path}' is not a JSON pointer.", path or "path")
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _parent(doc: Any, tokens: list[str], path: str) -> Any:
    node = doc
    for token in tokens[:-1]:
        node = _child(node, token, path)
    return node


def _child(node: Any, token: str, path: str) -> Any:
    if isinstance(node, dict) and token in node:
        return node[token]
    if isinstance(node, list) and token.isdigit() and int(token) < len(node):
        return node[int(token)]
    invalid(f"The target location '{path}' was not found.", path)


def _get(doc: Doc, tokens: list[str], path: str) -> Any:
    return _child(_parent(doc, tokens, path), tokens[-1], path)


def _set(doc: Doc, tokens: list[str], value: Any, path: str) -> None:
    parent = _parent(doc, tokens, path)
    _child(parent, tokens[-1], path)  # replace needs an existing target
    if isinstance(parent, list):
        parent[int(tokens[-1])] = value
    else:
        parent[tokens[-1]] = value


def _add(doc: Doc, tokens: list[str], value: Any, path: str) -> None:
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = convert(value, parent.get(last), path)
    elif isinstance(parent, list) and (
        last == "-" or (last.isdigit() and int(last) <= len(parent))
    ):
        parent.insert(len(parent) if last == "-" else int(last), value)
    else:
        invalid(f"The target location '{path}' was not found.", path)


def _remove(doc: Doc, tokens: list[str], path: str) -> None:
    parent = _parent(doc, tokens, path)
    _child(parent, tokens[-1], path)
    if isinstance(parent, list):
        del parent[int(tokens[-1])]
    else:
        parent[tokens[-1]] = None
