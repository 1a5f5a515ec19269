"""Visma.net's error shapes, read by the plugin's own parser (the core
knows no vendor)."""

from __future__ import annotations

import httpx
import pytest

from ledgerbridge.core.http import FieldError, VendorError
from ledgerbridge.plugins.visma_net.errors import parse_visma_net_error

REQUEST = httpx.Request("POST", "https://api.example.test/v2/customerinvoice")


def response(status: int, **kwargs: object) -> httpx.Response:
    return httpx.Response(status, request=REQUEST, **kwargs)  # type: ignore[arg-type]


def test_visma_net_exception_body() -> None:
    body = {
        "ExceptionType": "IPPException",
        "ExceptionMessage": "Error: 'VAT Zone' cannot be empty.",
        "ExceptionFaultCode": "12345",
        "ExceptionMessageID": "12345_abc",
        "ExceptionDetails": "stack...",
    }
    found = parse_visma_net_error(response(400, json=body))
    assert found == VendorError(
        message="Error: 'VAT Zone' cannot be empty.", code="12345", error_id="12345_abc"
    )


@pytest.mark.parametrize("key", ["message", "Message"])
def test_visma_net_message_body(key: str) -> None:
    found = parse_visma_net_error(response(404, json={key: "Customer 99 not found"}))
    assert found == VendorError(message="Customer 99 not found")


def test_visma_net_model_state_gives_field_errors() -> None:
    body = {"Message": "The request is invalid.", "ModelState": {"dto.name": ["Too long"]}}
    found = parse_visma_net_error(response(400, json=body))
    assert found is not None
    assert found.field_errors == (FieldError("dto.name", "Too long"),)


def test_other_bodies_are_not_visma_nets() -> None:
    assert parse_visma_net_error(response(400, json={"ErrorCode": 2000})) is None
    assert parse_visma_net_error(response(502, text="<html>bad gateway</html>")) is None


def test_the_type_is_the_code_when_there_is_no_fault_code() -> None:
    body = {"ExceptionType": "ValidationException", "ExceptionMessage": "Bad"}
    found = parse_visma_net_error(response(400, json=body))
    assert found == VendorError(message="Bad", code="ValidationException")
