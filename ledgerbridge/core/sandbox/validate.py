"""Request validation against a vendor's published component schemas.

An emulator ships the `components.schemas` (OpenAPI 3) or `definitions`
(Swagger 2) it needs, extracted from the vendor's spec, and validates request
bodies by schema name. OpenAPI's dialect is translated once into JSON Schema:
`nullable: true` becomes "or null", `readOnly` properties are not required in
requests, and OpenAPI-only keywords are dropped. Validators are compiled once
per schema name and cached: benchmarks push tens of thousands of bodies
through this.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft4Validator, Draft202012Validator
from jsonschema.exceptions import ValidationError

from ledgerbridge.core.sandbox.messages import Response, json_response

# Keywords whose value is data, not a schema: copied as they are.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "example", "examples", "required"})
# OpenAPI annotations with no JSON Schema meaning for validation.
_DROPPED = frozenset(
    {"nullable", "x-nullable", "discriminator", "xml", "externalDocs", "example", "deprecated"}
)
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "definitions", "$defs"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_ONE = frozenset(
    {"items", "additionalProperties", "not", "additionalItems", "contains", "propertyNames"}
)
_REF = re.compile(r"^#/(?:components/schemas|definitions)/")
_REQUIRED_NAME = re.compile(r"^'(.+)' is a required property$")


@dataclass(frozen=True)
class Issue:
    """One validation error: where (`$.Rows[0].Amount`) and what."""

    path: str
    field: str  # dotted, as vendors name fields in their errors: Rows[0].Amount
    message: str
    keyword: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "field": self.field, "message": self.message}


IssuesBody = Callable[[list[Issue]], Any]


def default_issues_body(issues: list[Issue]) -> Any:
    return {"message": "The request is invalid.", "errors": [i.to_dict() for i in issues]}


class SchemaSet:
    """The component schemas of one vendor API, ready to validate against.

    dialect: "openapi3" (3.0, the default), "swagger2" or "openapi3.1".
    closed:  every object schema that lists its properties refuses others
             (`additionalProperties: false` where the spec says nothing), so
             a misspelt field fails a test instead of vanishing the way a
             vendor's lenient binder would drop it (emulators' `strict_fields`).
    """

    def __init__(
        self,
        components: Mapping[str, Any],
        *,
        dialect: str = "openapi3",
        issues_body: IssuesBody | None = None,
        closed: bool = False,
    ) -> None:
        if dialect not in ("openapi3", "swagger2", "openapi3.1"):
            raise ValueError(f"unknown schema dialect {dialect!r}")
        self.dialect = dialect
        self.issues_body = issues_body or default_issues_body
        if closed:
            components = {name: _closed(s) for name, s in components.items()}
        self._definitions = {name: to_json_schema(s) for name, s in components.items()}
        self._validators: dict[str, Draft4Validator | Draft202012Validator] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_spec(
        cls, spec: Mapping[str, Any], *, issues_body: IssuesBody | None = None
    ) -> SchemaSet:
        """Take the schemas out of a whole OpenAPI or Swagger document."""
        if "swagger" in spec:
            return cls(spec.get("definitions", {}), dialect="swagger2", issues_body=issues_body)
        version = str(spec.get("openapi", "3.0"))
        dialect = "openapi3.1" if version.startswith("3.1") else "openapi3"
        schemas = spec.get("components", {}).get("schemas", {})
        return cls(schemas, dialect=dialect, issues_body=issues_body)

    @property
    def names(self) -> list[str]:
        return sorted(self._definitions)

    def validate(self, name: str, body: Any) -> list[Issue]:
        """Every error of `body` against schema `name`, ordered by path."""
        validator = self._validator(name)
        issues = [_issue(e) for e in validator.iter_errors(body)]
        return sorted(issues, key=lambda i: (i.path, i.message))

    def check(self, name: str, body: Any, status: int = 400) -> Response | None:
        """None when valid, else a 400 in the vendor's error shape."""
        issues = self.validate(name, body)
        return json_response(self.issues_body(issues), status) if issues else None

    def _validator(self, name: str) -> Draft4Validator | Draft202012Validator:
        validator = self._validators.get(name)
        if validator is not None:
            return validator
        if name not in self._definitions:
            raise KeyError(f"no schema named {name!r}; known: {', '.join(self.names)}")
        with self._lock:
            validator = self._validators.get(name)
            if validator is None:
                validator = self._compile(name)
                self._validators[name] = validator
        return validator

    def _compile(self, name: str) -> Draft4Validator | Draft202012Validator:
        # References are inlined where that terminates (recursive ones stay):
        # resolving a $ref on every validation costs about a third of the time.
        # Every component stays beside the root so the remaining ones resolve.
        inliner = _Inliner(self._definitions, keep_siblings=self.dialect == "openapi3.1")
        root = {**inliner.schema(name), "definitions": self._definitions}
        if self.dialect == "openapi3.1":
            return Draft202012Validator(root)
        return Draft4Validator(root)


def _closed(node: Any) -> Any:
    """`node` with `additionalProperties: false` in every object that has
    `properties` and says nothing about others."""
    if isinstance(node, list):
        return [_closed(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _closed(v) for k, v in node.items()}
    if isinstance(out.get("properties"), dict) and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def to_json_schema(schema: Any) -> Any:
    """Translate one OpenAPI/Swagger schema object into JSON Schema."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROPPED or key.startswith("x-"):
            continue
        if key == "$ref" and isinstance(value, str):
            out[key] = _REF.sub("#/definitions/", value)
        elif key in _DATA_KEYWORDS:
            out[key] = value
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {k: to_json_schema(v) for k, v in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [to_json_schema(v) for v in value]
        elif key in _SCHEMA_ONE:
            out[key] = to_json_schema(value)
        else:
            out[key] = value
    _drop_read_only_required(out)
    if schema.get("nullable") is True or schema.get("x-nullable") is True:
        return _nullable(out)
    return out


def _drop_read_only_required(out: dict[str, Any]) -> None:
    """readOnly properties are set by the server; a request need not send them."""
    props, required = out.get("properties"), out.get("required")
    if not isinstance(props, dict) or not isinstance(required, list):
        return
    kept = [
        r for r in required if not (isinstance(props.get(r), dict) and props[r].get("readOnly"))
    ]
    if kept:
        out["required"] = kept
    else:
        del out["required"]


def _nullable(out: dict[str, Any]) -> dict[str, Any]:
    """`nullable: true` means "this schema, or null"."""
    if "$ref" in out or any(k in out for k in _SCHEMA_LISTS):
        return {"anyOf": [out, {"type": "null"}]}
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        out["type"] = [*kind, "null"]
    if isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


class _Inliner:
    """Replaces `#/definitions/X` references by the schema they point to.

    Results are shared, not copied, so memory stays linear in the spec size.
    In draft 4 (OpenAPI 3.0, Swagger 2) a $ref's siblings are ignored, so the
    node becomes the target; in 2020-12 (OpenAPI 3.1) a $ref with siblings
    is left as it is.
    """

    def __init__(self, definitions: Mapping[str, Any], *, keep_siblings: bool) -> None:
        self.definitions = definitions
        self.keep_siblings = keep_siblings
        self._done: dict[str, Any] = {}

    def schema(self, name: str, stack: frozenset[str] = frozenset()) -> Any:
        if name not in self._done:
            self._done[name] = self._walk(self.definitions[name], stack | {name})
        return self._done[name]

    def _walk(self, node: Any, stack: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [self._walk(item, stack) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_LOCAL):
            target = ref[len(_LOCAL) :]
            inlinable = target in self.definitions and target not in stack
            if inlinable and not (self.keep_siblings and len(node) > 1):
                return self.schema(target, stack)
            return node
        return {k: v if k in _DATA_KEYWORDS else self._walk(v, stack) for k, v in node.items()}


_LOCAL = "#/definitions/"


def _issue(error: ValidationError) -> Issue:
    parts = list(error.absolute_path)
    if error.validator == "required":
        missing = _REQUIRED_NAME.match(error.message)
        if missing:
            parts.append(missing.group(1))
    field = _dotted(parts)
    return Issue(
        path="$" + ("." + field if field and not field.startswith("[") else field),
        field=field,
        message=error.message,
        keyword=str(error.validator),
    )


def _dotted(parts: list[Any]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
