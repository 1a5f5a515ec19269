"""Request bodies checked against the eAccounting OpenAPI schemas.

The schemas are the plugin's extract of the 2026 spec
(eaccounting/openapi/components.json). A body that does not match is a 400
with ErrorCode 2000 and the messages eAccounting's ASP.NET binder writes,
the way the seed's error table quotes them:

    ValidateModelAttributeException - Error converting value {null} to type
    'System.Guid'. Path 'CodingId', line 8, position 18. The field Name must
    be a string with a maximum length of 50.

Json.NET conversion errors come first (with the path, line and position in
the raw body), then the data-annotation ones (required, length, range), one
`Errors[]` entry per problem. GUID and date-time formats are enforced (the
vendor cannot bind "abc" to a Guid); unknown properties are refused because
the spec closes every schema (`additionalProperties: false`), which is
stricter than Json.NET's default of ignoring them: `strict_fields: false`
in the settings restores that. A number sent for a string field is refused
too (Json.NET would convert it), so a client cannot rely on the conversion.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from ledgerbridge.core.sandbox import Issue, Request, SchemaSet
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.errors import (
    VALIDATION,
    ErrorFactory,
    FieldProblem,
)
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.positions import (
    Positions,
    describe,
    value_positions,
)

GUID = r"^[{]?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}[}]?$"
DATE_TIME = r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$"
EXCEPTION = "ValidateModelAttributeException"
_CONVERSION = frozenset({"type", "pattern", "additionalProperties"})
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_QUOTED = re.compile(r"'([^']+)'")


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    source = resources.files("ledgerbridge.plugins.eaccounting.eaccounting").joinpath(
        "openapi/components.json"
    )
    loaded: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return loaded


def components() -> dict[str, Any]:
    schemas: dict[str, Any] = document()["components"]["schemas"]
    return schemas


def operation_scopes() -> dict[str, list[str]]:
    """`{"GET /customers": ["ea:sales", "ea:sales_readonly"], ...}` from the spec."""
    scopes: dict[str, list[str]] = document()["x-scopes"]
    return scopes


def with_formats(node: Any, strict: bool) -> Any:
    """GUID and date-time formats as patterns; open objects unless `strict`."""
    if isinstance(node, list):
        return [with_formats(n, strict) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: with_formats(v, strict) for k, v in node.items()}
    kinds = out.get("type")
    is_string = kinds == "string" or (isinstance(kinds, list) and "string" in kinds)
    if is_string and out.get("format") == "uuid":
        out["pattern"] = GUID
    if is_string and out.get("format") == "date-time":
        out["pattern"] = DATE_TIME
    if not strict and out.get("additionalProperties") is False:
        del out["additionalProperties"]
    return out


@lru_cache(maxsize=2)
def schema_set(strict: bool) -> SchemaSet:
    """Shared by every app of the process: compiled validators are cached inside."""
    return SchemaSet(with_formats(components(), strict), dialect="openapi3.1")


class BodyValidator:
    def __init__(self, errors: ErrorFactory, strict: bool = True) -> None:
        self.errors = errors
        self.schemas = schema_set(strict)

    def body(self, request: Request, schema: str) -> Any:
        """The parsed body, or a 400 naming every problem the vendor would."""
        body = request.json()
        issues = self.schemas.validate(schema, body)
        if issues:
            self.refuse(schema, body, issues, value_positions(request.text()))
        return body

    def refuse(self, schema: str, body: Any, issues: list[Issue], positions: Positions) -> None:
        first = [
            p
            for i in issues
            if i.keyword in _CONVERSION
            for p in _problems(schema, body, i, positions)
        ]
        then = [
            p
            for i in issues
            if i.keyword not in _CONVERSION
            for p in _problems(schema, body, i, positions)
        ]
        first.sort(key=lambda p: positions.get(p.field, (10**9, 0)))
        ordered = first + then
        message = f"{EXCEPTION} - " + " ".join(p.message for p in ordered)
        self.errors.fail(400, VALIDATION, message, ordered)


def _problems(schema: str, body: Any, issue: Issue, positions: Positions) -> list[FieldProblem]:
    if issue.keyword != "additionalProperties":
        return [_problem(schema, body, issue, positions)]
    _, type_name = _node_at(schema, _parts(issue.field))
    out = []
    for member in _QUOTED.findall(issue.message.split("(", 1)[-1]) or ["?"]:
        path = f"{issue.field}.{member}" if issue.field else member
        text = f"Could not find member '{member}' on object of type '{type_name}'. "
        out.append(FieldProblem(path, text + describe(path, positions)))
    return out


def _problem(schema: str, body: Any, issue: Issue, positions: Positions) -> FieldProblem:
    parts = _parts(issue.field)
    node, type_name = _node_at(schema, parts)
    name = str(parts[-1]) if parts and isinstance(parts[-1], str) else issue.field or schema
    if issue.keyword in ("type", "pattern"):
        value = _value_at(body, parts)
        target = _dotnet_type(node, type_name)
        if target == "System.DateTime" and isinstance(value, str):
            text = f"Could not convert string to DateTime: {value}. "
        else:
            text = f"Error converting value {_render(value)} to type '{target}'. "
        return FieldProblem(issue.field, text + describe(issue.field, positions))
    if issue.keyword == "required":
        return FieldProblem(issue.field, f"The {name} field is required.")
    if issue.keyword == "maxLength":
        limit = node.get("maxLength")
        return FieldProblem(
            issue.field, f"The field {name} must be a string with a maximum length of {limit}."
        )
    if issue.keyword in ("minimum", "maximum", "enum"):
        low, high = _bounds(node)
        return FieldProblem(issue.field, f"The field {name} must be between {low} and {high}.")
    return FieldProblem(issue.field, f"The field {name} is invalid.")


def _parts(field: str) -> list[str | int]:
    return [int(index) if index else key for key, index in _PART.findall(field)]


def _node_at(schema: str, parts: list[str | int]) -> tuple[dict[str, Any], str]:
    """The raw schema node at `parts`, and the name of the nearest component."""
    schemas = components()
    node: dict[str, Any] = schemas[schema]
    owner = schema
    for part in parts:
        node, owner = _deref(node, owner, schemas)
        child = node.get("items") if isinstance(part, int) else node.get("properties", {}).get(part)
        if not isinstance(child, dict):
            return {}, owner
        node = child
    node, ref_owner = _deref(node, owner, schemas)
    return node, ref_owner


def _deref(node: dict[str, Any], owner: str, schemas: dict[str, Any]) -> tuple[dict[str, Any], str]:
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        return schemas.get(name, {}), name
    return node, owner


def _value_at(body: Any, parts: list[str | int]) -> Any:
    for part in parts:
        if isinstance(part, int) and isinstance(body, list) and part < len(body):
            body = body[part]
        elif isinstance(part, str) and isinstance(body, dict):
            body = body.get(part)
        else:
            return None
    return body


def _dotnet_type(node: dict[str, Any], owner: str) -> str:
    kinds = node.get("type")
    kind = next((k for k in kinds if k != "null"), None) if isinstance(kinds, list) else kinds
    fmt = node.get("format")
    if kind == "string":
        return {"uuid": "System.Guid", "date-time": "System.DateTime"}.get(
            str(fmt), "System.String"
        )
    if kind == "integer":
        return "System.Int64" if fmt == "int64" else "System.Int32"
    if kind == "number":
        return "System.Double"
    if kind == "boolean":
        return "System.Boolean"
    if kind == "array":
        return "System.Collections.Generic.List`1"
    return owner


def _render(value: Any) -> str:
    """A value as Json.NET quotes it in conversion errors."""
    if value is None:
        return "{null}"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, str):
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)


def _bounds(node: dict[str, Any]) -> tuple[Any, Any]:
    values = node.get("enum")
    if isinstance(values, list) and values:
        return min(values), max(values)
    return node.get("minimum", "-inf"), node.get("maximum", "inf")
