"""Request bodies checked against Severa's request models.

The schemas are the plugin's transcription of Severa's OpenAPI
(pm/openapi/severa.json, see its x-source). A body that does not match is a
400 `InvalidParameter` ExceptionModel with one detail per problem, located
in the RequestBody by its JSON path. The messages follow ASP.NET Core's
(INFERENCE: "The Name field is required.", "The JSON value could not be
converted to System.Boolean. Path: $.isActive"). Properties a model does not
have are refused (`strict_fields: false` accepts them, as the vendor's
binder probably does), so a misspelt field fails a test instead of
vanishing.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from ledgerbridge.core.sandbox import Issue, Request, SchemaSet
from ledgerbridge.plugins.eaccounting.pm.emulator.errors import INVALID_PARAMETER, Detail, fail

_SERVER_SET = frozenset(
    {"guid", "createdDateTime", "createdBy", "lastUpdatedDateTime", "lastUpdatedBy"}
)
_QUOTED = re.compile(r"'([^']+)'")
_TYPES = {
    "string": "System.String",
    "integer": "System.Int64",
    "number": "System.Double",
    "boolean": "System.Boolean",
    "array": "System.Collections.Generic.List`1",
    "object": "System.Object",
}


@lru_cache(maxsize=1)
def components() -> dict[str, Any]:
    source = resources.files("ledgerbridge.plugins.eaccounting.pm").joinpath("openapi/severa.json")
    schemas: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))["components"][
        "schemas"
    ]
    return schemas


def complete(schema: str, doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with every property of the model it lacks: false for flags, else
    null. Severa answers whole models, and a JSON-Patch replace needs its target."""
    props: dict[str, Any] = components()[schema]["properties"]
    defaults = {
        n: (False if p.get("type") == "boolean" else None)
        for n, p in props.items()
        if n not in _SERVER_SET
    }
    return {**defaults, **doc}


def types_of(schema: str) -> dict[str, str]:
    """The JSON type of each top-level property (for converting patch values)."""
    props: dict[str, Any] = components()[schema]["properties"]
    return {n: p["type"] for n, p in props.items() if isinstance(p.get("type"), str)}


@lru_cache(maxsize=2)
def schema_set(strict: bool) -> SchemaSet:
    """Shared by every app of the process: compiled validators are cached inside."""
    return SchemaSet(components(), closed=strict)


class BodyValidator:
    def __init__(self, strict: bool = True) -> None:
        self.schemas = schema_set(strict)

    def body(self, request: Request, schema: str) -> Any:
        """The parsed body, or a 400 InvalidParameter naming every problem."""
        body = request.json()
        issues = self.schemas.validate(schema, body)
        if issues:
            fail(400, INVALID_PARAMETER, *[d for i in issues for d in _details(schema, i)])
        return body

    def patch(self, request: Request) -> Any:
        """A PatchOperation[] body; op names in any case, as ASP.NET's JsonPatch takes them."""
        body = request.json()
        if isinstance(body, list):
            for op in body:
                if isinstance(op, dict) and isinstance(op.get("op"), str):
                    op["op"] = op["op"][:1].upper() + op["op"][1:].lower()
        issues = self.schemas.validate("PatchDocument", body)
        if issues:
            fail(400, INVALID_PARAMETER, *[d for i in issues for d in _details("PatchDocument", i)])
        return body


def _details(schema: str, issue: Issue) -> list[Detail]:
    name = issue.field.rsplit(".", 1)[-1] if issue.field else "body"
    pascal = name[:1].upper() + name[1:]
    if issue.keyword == "additionalProperties":
        members = _QUOTED.findall(issue.message.split("(", 1)[-1]) or ["?"]
        prefix = f"{issue.field}." if issue.field else ""
        return [
            Detail(
                f"The JSON property '{m}' could not be mapped to any member of the model.",
                "RequestBody",
                prefix + m,
            )
            for m in members
        ]
    if issue.keyword in ("required", "minLength"):
        text = f"The {pascal} field is required."
    elif issue.keyword == "maxLength":
        limit = _node(schema, issue.field).get("maxLength")
        text = f"The field {pascal} must be a string with a maximum length of '{limit}'."
    elif issue.keyword == "type":
        wanted = _QUOTED.findall(issue.message)
        target = _TYPES.get(wanted[-1] if wanted else "", "the expected type")
        text = f"The JSON value could not be converted to {target}. Path: $.{issue.field}"
    elif issue.keyword == "enum":
        text = f"The value of {pascal} is not one of the allowed values."
    else:
        text = f"The field {pascal} is invalid: {issue.message}"
    return [Detail(text, "RequestBody", issue.field or None)]


def _node(schema: str, field: str) -> dict[str, Any]:
    """The schema node of a dotted field (`unitCost.currencyCode`), {} if unknown."""
    schemas = components()
    node: Any = schemas.get(schema, {})
    for part in re.sub(r"\[\d+\]", ".[]", field).split("."):
        if not part:
            continue
        ref = node.get("$ref") if isinstance(node, dict) else None
        if isinstance(ref, str):
            node = schemas.get(ref.rsplit("/", 1)[-1], {})
        node = node.get("items", {}) if part == "[]" else node.get("properties", {}).get(part, {})
    return node if isinstance(node, dict) else {}
