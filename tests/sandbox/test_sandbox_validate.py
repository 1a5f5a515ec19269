"""Validation against OpenAPI/Swagger component schemas."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from ledgerbridge.core.sandbox import SchemaSet
from ledgerbridge.core.sandbox.validate import to_json_schema

from .conftest import COMPONENTS, new_note


@pytest.fixture(scope="module")
def schemas() -> SchemaSet:
    return SchemaSet(COMPONENTS)


def fields(schemas: SchemaSet, body: Any) -> list[tuple[str, str]]:
    return [(i.field, i.keyword) for i in schemas.validate("NoteCreate", body)]


def test_valid_body_and_nullable(schemas: SchemaSet) -> None:
    assert schemas.validate("NoteCreate", new_note()) == []
    assert schemas.validate("NoteCreate", new_note(dueDate=None, priority=None, owner=None)) == []


def test_all_errors_with_paths(schemas: SchemaSet) -> None:
    body = {
        "title": "",
        "priority": "urgent",
        "owner": {"email": 5},
        "lines": [{"amount": 1}, {"amount": -1}, {}],
    }
    assert fields(schemas, body) == [
        ("body", "required"),
        ("lines[1].amount", "minimum"),
        ("lines[2].amount", "required"),
        ("owner.email", "type"),
        ("owner.name", "required"),
        ("priority", "enum"),
        ("title", "minLength"),
    ]
    issue = schemas.validate("NoteCreate", body)[1]
    assert issue.path == "$.lines[1].amount"


def test_read_only_required_is_not_required_in_requests(schemas: SchemaSet) -> None:
    assert ("id", "required") not in fields(schemas, {"title": "t", "body": "b"})


def test_not_nullable_rejects_null(schemas: SchemaSet) -> None:
    assert fields(schemas, new_note(title=None)) == [("title", "type")]


def test_openapi_keywords_are_dropped() -> None:
    converted = to_json_schema(COMPONENTS["NoteCreate"])
    assert "discriminator" not in converted and "example" not in converted
    assert converted["properties"]["dueDate"]["type"] == ["string", "null"]
    assert converted["properties"]["priority"]["enum"] == ["low", "high", None]
    assert converted["properties"]["owner"] == {"$ref": "#/definitions/Owner"}
    ref_nullable = to_json_schema({"$ref": "#/components/schemas/Owner", "nullable": True})
    assert ref_nullable == {"anyOf": [{"$ref": "#/definitions/Owner"}, {"type": "null"}]}


def test_swagger2_definitions_and_x_nullable() -> None:
    spec = {
        "swagger": "2.0",
        "definitions": {
            "Customer": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"$ref": "#/definitions/Value"},
                    "note": {"type": "string", "x-nullable": True},
                },
            },
            "Value": {"type": "object", "properties": {"value": {"type": "string"}}},
        },
    }
    schemas = SchemaSet.from_spec(spec)
    assert schemas.dialect == "swagger2"
    assert schemas.validate("Customer", {"name": {"value": "x"}, "note": None}) == []
    assert [i.field for i in schemas.validate("Customer", {"name": {"value": 1}})] == ["name.value"]


def test_openapi31_from_spec() -> None:
    spec = {
        "openapi": "3.1.0",
        "components": {"schemas": {"A": {"type": ["string", "null"], "maxLength": 2}}},
    }
    schemas = SchemaSet.from_spec(spec)
    assert schemas.dialect == "openapi3.1"
    assert schemas.validate("A", None) == [] and len(schemas.validate("A", "abc")) == 1


def test_closed_schemas_refuse_properties_they_do_not_list(schemas: SchemaSet) -> None:
    closed = SchemaSet(COMPONENTS, closed=True)
    body = new_note(titel="typo", owner={"name": "A", "mail": "x"}, lines=[{"amount": 1, "n": 2}])
    assert [(i.field, i.keyword) for i in closed.validate("NoteCreate", body)] == [
        ("", "additionalProperties"),
        ("lines[0]", "additionalProperties"),
        ("owner", "additionalProperties"),
    ]
    assert schemas.validate("NoteCreate", body) == []  # open unless asked
    open_owner = {**COMPONENTS, "Owner": {**COMPONENTS["Owner"], "additionalProperties": True}}
    closed_but_owner = SchemaSet(open_owner, closed=True)
    assert fields(closed_but_owner, new_note(owner={"name": "A", "mail": "x"})) == []


def test_unknown_schema_name_is_clear(schemas: SchemaSet) -> None:
    with pytest.raises(KeyError, match="no schema named 'Nope'; known: Line, NoteCreate, Owner"):
        schemas.validate("Nope", {})


def test_invalid_post_answers_400_in_vendor_shape(api: httpx.Client) -> None:
    response = api.post("/v1/notes", json={"title": 5})
    assert response.status_code == 400
    assert response.json() == {
        "ErrorCode": 2000,
        "DeveloperErrorMessage": "Validation failed",
        "Errors": [
            {"Field": "body", "Message": "'body' is a required property"},
            {"Field": "title", "Message": "5 is not of type 'string'"},
        ],
    }


def test_validators_are_compiled_once_and_fast(schemas: SchemaSet) -> None:
    first = schemas._validator("NoteCreate")
    assert schemas._validator("NoteCreate") is first
    body = new_note(owner={"name": "A"}, lines=[{"amount": i} for i in range(5)])
    started = time.perf_counter()
    for _ in range(2000):
        assert not schemas.validate("NoteCreate", body)
    assert time.perf_counter() - started < 2.0


def test_recursive_refs_still_resolve() -> None:
    node = {
        "type": "object",
        "properties": {"child": {"$ref": "#/components/schemas/Node"}, "v": {"type": "integer"}},
    }
    schemas = SchemaSet({"Node": node})
    issues = schemas.validate("Node", {"child": {"child": {"v": "x"}}})
    assert [i.path for i in issues] == ["$.child.child.v"]
