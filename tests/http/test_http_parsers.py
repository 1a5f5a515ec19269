"""The core's generic error parsers: problem documents, common JSON keys,
and a way for a plugin to declare its own shape."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ledgerbridge.core.http import (
    FieldError,
    VendorError,
    first_of,
    json_error_parser,
    parse_any_error,
    parse_json_error,
    parse_problem_json,
)

REQUEST = httpx.Request("POST", "https://api.example.test/v1/orders")


def response(status: int, body: Any = None, **kwargs: Any) -> httpx.Response:
    if body is not None:
        kwargs["json"] = body
    return httpx.Response(status, request=REQUEST, **kwargs)


def test_rfc_7807_problem_document() -> None:
    body = {
        "type": "https://example.test/probs/out-of-credit",
        "title": "You do not have enough credit.",
        "status": 403,
        "detail": "Your current balance is 30, but that costs 50.",
        "instance": "/account/12345/msgs/abc",
    }
    found = parse_problem_json(
        response(
            403,
            content=json.dumps(body).encode(),
            headers={"Content-Type": "application/problem+json"},
        )
    )
    assert found == VendorError(
        message="Your current balance is 30, but that costs 50.",
        code="https://example.test/probs/out-of-credit",
        error_id="/account/12345/msgs/abc",
    )


def test_aspnet_validation_problem_details() -> None:
    body = {
        "type": "about:blank",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "traceId": "00-abc-01",
        "errors": {"Name": ["The Name field is required."], "Rows[0].Qty": ["Must be > 0"]},
    }
    found = parse_problem_json(response(400, body))
    assert found == VendorError(
        message="One or more validation errors occurred.",
        code=None,
        error_id="00-abc-01",
        field_errors=(
            FieldError("Name", "The Name field is required."),
            FieldError("Rows[0].Qty", "Must be > 0"),
        ),
    )


def test_plain_json_is_not_taken_for_a_problem() -> None:
    assert parse_problem_json(response(400, {"message": "x"})) is None
    assert parse_problem_json(response(400, text="title")) is None


def test_common_keys_in_any_case() -> None:
    assert parse_json_error(response(404, {"Message": "Not found", "errorCode": 12})) == (
        VendorError(message="Not found", code="12")
    )
    assert parse_json_error(response(400, {"error_description": "bad", "error": "x"})) == (
        VendorError(message="bad", code="x")
    )


def test_keys_ending_in_message_and_code() -> None:
    body = {"ExceptionType": "T", "ExceptionMessage": "It broke", "ExceptionFaultCode": 7}
    assert parse_json_error(response(500, body)) == VendorError(message="It broke", code="7")


def test_nested_error_object_odata_style() -> None:
    body = {
        "error": {
            "code": "BadArgument",
            "message": "Bad id",
            "details": [{"target": "id", "code": "Null", "message": "Required"}],
        }
    }
    found = parse_json_error(response(400, body))
    assert found is not None
    assert (found.message, found.code) == ("Bad id", "BadArgument")
    assert found.field_errors[0].message == "Required"


def test_json_api_error_list() -> None:
    body = {
        "errors": [
            {
                "status": "422",
                "title": "Invalid",
                "detail": "First name too short",
                "source": {"pointer": "/data/attributes/firstName"},
            }
        ]
    }
    found = parse_json_error(response(422, body))
    assert found == VendorError(
        message="First name too short",
        field_errors=(FieldError("/data/attributes/firstName", "First name too short"),),
    )


def test_bodies_without_an_error_are_not_errors() -> None:
    assert parse_json_error(response(500, {"data": [1, 2]})) is None
    assert parse_json_error(response(500, [1, 2])) is None
    assert parse_json_error(response(500, text="plain")) is None


def test_a_plugin_declares_its_shape_in_a_few_lines() -> None:
    parse_vendor = json_error_parser(
        message=("Reason",), code=("Fault",), error_id=("Ticket",), field_errors=("Problems",)
    )
    body = {
        "Fault": "E7",
        "Reason": "Closed period",
        "Ticket": "T-1",
        "Problems": [{"Field": "date", "Message": "in a closed period"}],
    }
    assert parse_vendor(response(400, body)) == VendorError(
        message="Closed period",
        code="E7",
        error_id="T-1",
        field_errors=(FieldError("date", "in a closed period"),),
    )
    # Only its own shape: anything else is left to the next parser.
    assert parse_vendor(response(400, {"message": "x"})) is None
    combined = first_of(parse_vendor, None, parse_any_error)
    assert combined(response(400, {"message": "x"})) == VendorError(message="x")


def test_the_default_reads_every_generic_format() -> None:
    problem = {"title": "Gone", "status": 410, "type": "about:blank"}
    assert parse_any_error(response(410, problem)) == VendorError(message="Gone")
    assert parse_any_error(response(400, {"error": "invalid_grant"})) == VendorError(
        message="invalid_grant", code="invalid_grant"
    )
    assert parse_any_error(response(400, {"msg": "short"})) == VendorError(message="short")
