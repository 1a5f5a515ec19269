"""Validating a tenant's connector config against the connector's JSON Schema.

Every problem is reported at once, each naming the key, the value and the
rule, so an integrator fixes a config in one pass. Secret properties (marked
`"x-secret": true`) must hold a reference `{"secret": NAME}`: a secret pasted
into a config file is refused before it is saved anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ledgerbridge.core.redact import MASK

SECRET_REF_HINT = (
    'a secret reference {"secret": "NAME"}; '
    "store the value with: ledgerbridge secret set TENANT NAME"
)


def validate_config(
    schema: Mapping[str, Any], config: Mapping[str, Any], secret_names: Iterable[str] | None = None
) -> list[str]:
    """Return every problem with `config` (empty when valid).

    secret_names: the tenant's stored secret names; when given, a reference to
    a missing secret is a problem too.
    """
    problems = _secret_problems(
        schema, config, set(secret_names) if secret_names is not None else None
    )
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    problems.extend(_describe(e, schema) for e in errors if not _is_secret_path(schema, e))
    return problems


def connector_config_problems(
    connector: Any, config: Mapping[str, Any], secret_names: Iterable[str] | None = None
) -> list[str]:
    """Schema problems and the connector's own checks, all at once.

    The connector's `check_config` runs even when the schema found problems,
    so the operator sees everything in one pass; if it trips over a value the
    schema already refused, that is not reported twice.
    """
    problems = validate_config(connector.config_schema, config, secret_names)
    check = getattr(connector, "check_config", None)
    if check is None:
        return problems
    try:
        extra = list(check(config))
    except Exception as exc:  # a value the schema already refused can upset the check
        if problems:
            return problems
        extra = [f"config: the connector could not check it: {type(exc).__name__}: {exc}"]
    return problems + [p for p in extra if p not in problems]


def secret_properties(schema: Mapping[str, Any]) -> list[str]:
    """Top-level property names declared `"x-secret": true`."""
    props = schema.get("properties", {})
    return sorted(k for k, v in props.items() if isinstance(v, Mapping) and v.get("x-secret"))


def _secret_problems(
    schema: Mapping[str, Any], config: Mapping[str, Any], known: set[str] | None
) -> list[str]:
    problems = []
    for key in secret_properties(schema):
        if key not in config:
            continue
        value = config[key]
        if not is_secret_ref(value):
            problems.append(
                f"key '{key}': value {MASK} is not allowed here; rule: must be {SECRET_REF_HINT}"
            )
        elif known is not None and value["secret"] not in known:
            problems.append(
                f"key '{key}': secret '{value['secret']}' is not set; "
                f"fix: ledgerbridge secret set TENANT {value['secret']}"
            )
    return problems


def is_secret_ref(value: Any) -> bool:
    """Exactly {"secret": NAME}: any other key could carry the secret itself."""
    return (
        isinstance(value, Mapping) and set(value) == {"secret"} and isinstance(value["secret"], str)
    )


def _is_secret_path(schema: Mapping[str, Any], error: ValidationError) -> bool:
    path = list(error.absolute_path)
    return bool(path) and path[0] in secret_properties(schema)


def _describe(error: ValidationError, schema: Mapping[str, Any]) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    where_top = path or "(top level)"
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        where = f"{path}.{missing}" if path else missing
        return f"key '{where}': missing; rule: required{_hint(schema, [missing])}"
    if error.validator == "additionalProperties":
        return f"key '{where_top}': {error.message}; rule: only documented keys are allowed"
    hint = _hint(schema, list(error.absolute_path))
    if not path:  # the instance is the whole config, secrets and all: never echo it
        return f"config: breaks the rule: {error.validator} {_short(error.validator_value)}{hint}"
    return f"key '{where_top}': value {_short(error.instance)} {_rule(error)}{hint}"


def _rule(error: ValidationError) -> str:
    v = error.validator
    if v == "pattern":
        return f"does not match the rule: pattern {error.validator_value}"
    if v == "enum":
        return f"is not one of the allowed values {error.validator_value}"
    if v == "type":
        return f"has the wrong type; rule: must be {error.validator_value}"
    return f"breaks the rule: {error.message}"


def _hint(schema: Mapping[str, Any], path: list[Any]) -> str:
    node: Any = schema
    for part in path:
        if not isinstance(node, Mapping):
            return ""
        node = node.get("properties", {}).get(part) if isinstance(part, str) else node.get("items")
    if isinstance(node, Mapping) and node.get("description"):
        return f" ({node['description']})"
    return ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
