"""Error parsers and ApiError -> RecordError.

The core's parsers know formats, not vendors: eAccounting's shape is read by
a parser declared with `json_error_parser` here, as its plugin will declare
it; Visma.net's parser lives in its plugin (tests/plugins/visma_net).
"""

from __future__ import annotations

import httpx
import pytest

from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.http import (
    ApiError,
    FieldError,
    VendorError,
    json_error_parser,
    parse_any_error,
    parse_oauth_error,
    parse_soap_fault,
    parse_text_error,
)

parse_eaccounting_error = json_error_parser(
    message=("DeveloperErrorMessage",),
    code=("ErrorCode",),
    error_id=("ErrorId",),
    field_errors=("Errors",),
)

REQUEST = httpx.Request("POST", "https://api.example.test/v2/customerinvoicedrafts")


def response(status: int, **kwargs: object) -> httpx.Response:
    return httpx.Response(status, request=REQUEST, **kwargs)  # type: ignore[arg-type]


EACCOUNTING_400 = {
    "ErrorCode": 2000,
    "DeveloperErrorMessage": "Validation failed",
    "ErrorId": "3fa7da17-eeb2-48f6-997d-0be158f4cba4",
    "Errors": [
        {
            "Field": "Rows[0].ArticleId",
            "ErrorCode": 3000,
            "Message": "Article not found",
            "Key": "a",
        },
        {"Field": "CustomerId", "ErrorCode": 2000, "Message": "Required", "Key": None},
    ],
}


def test_eaccounting_error() -> None:
    found = parse_eaccounting_error(response(400, json=EACCOUNTING_400))
    assert found == VendorError(
        message="Validation failed",
        code="2000",
        error_id="3fa7da17-eeb2-48f6-997d-0be158f4cba4",
        field_errors=(
            FieldError("Rows[0].ArticleId", "Article not found", "3000", "a"),
            FieldError("CustomerId", "Required", "2000", None),
        ),
    )


def test_eaccounting_parser_ignores_other_bodies() -> None:
    assert parse_eaccounting_error(response(400, json={"message": "x"})) is None
    assert parse_eaccounting_error(response(400, text="<html/>")) is None


def test_oauth_error() -> None:
    found = parse_oauth_error(response(400, json={"error": "invalid_grant"}))
    assert found == VendorError(message="invalid_grant", code="invalid_grant")


SOAP11 = b"""<?xml version="1.0"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body><soap:Fault>
    <faultcode>soap:Client</faultcode>
    <faultstring>2004: UnauthorizedCompany</faultstring>
  </soap:Fault></soap:Body>
</soap:Envelope>"""

SOAP12 = b"""<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope">
  <env:Body><env:Fault>
    <env:Code><env:Value>env:Sender</env:Value>
      <env:Subcode><env:Value>InvalidPeriod</env:Value></env:Subcode></env:Code>
    <env:Reason><env:Text xml:lang="en">Period 13 does not exist</env:Text></env:Reason>
  </env:Fault></env:Body>
</env:Envelope>"""


def test_soap_11_fault() -> None:
    found = parse_soap_fault(response(500, content=SOAP11, headers={"Content-Type": "text/xml"}))
    assert found == VendorError(message="2004: UnauthorizedCompany", code="soap:Client")


def test_soap_12_fault() -> None:
    found = parse_soap_fault(response(500, content=SOAP12))
    assert found == VendorError(message="Period 13 does not exist", code="InvalidPeriod")


def test_soap_parser_does_not_expand_entities_or_fetch(tmp_path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("TOP-SECRET-CONTENT")
    hostile = f"""<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY x SYSTEM "file://{secret_file}">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
<soap:Body><soap:Fault><faultcode>c</faultcode><faultstring>&x;</faultstring>
</soap:Fault></soap:Body></soap:Envelope>""".encode()
    found = parse_soap_fault(response(500, content=hostile))
    assert found is not None
    assert "TOP-SECRET-CONTENT" not in found.message


def test_soap_parser_ignores_non_xml() -> None:
    assert parse_soap_fault(response(500, text="Internal error")) is None
    assert parse_soap_fault(response(500, text="<not xml")) is None


def test_text_fallback() -> None:
    assert parse_text_error(response(502, text="Bad gateway\nmore")).message == "Bad gateway"
    html = response(502, text="<html>..</html>", headers={"Content-Type": "text/html"})
    assert parse_text_error(html).message == "Bad Gateway"
    assert parse_text_error(response(503)).message == "Service Unavailable"


def test_any_parser_picks_the_format() -> None:
    assert parse_any_error(response(400, json=EACCOUNTING_400)).code == "2000"  # type: ignore[union-attr]
    assert parse_any_error(response(500, content=SOAP11)).code == "soap:Client"  # type: ignore[union-attr]
    assert parse_any_error(response(500, text="plain")) is None


def test_client_raises_parsed_error_with_every_part(make_client) -> None:
    client, _ = make_client(
        httpx.Response(400, json=EACCOUNTING_400),
        name="eaccounting",
        base_url="https://eaccounting.example.test/v2/",
    )
    with pytest.raises(ApiError) as info:
        client.post_json("customerinvoicedrafts", {"CustomerId": None})
    err = info.value
    assert (err.status, err.method, err.vendor_code) == (400, "POST", "2000")
    assert err.url == "https://eaccounting.example.test/v2/customerinvoicedrafts"
    assert err.error_id == "3fa7da17-eeb2-48f6-997d-0be158f4cba4"
    assert err.field_errors[0].field == "Rows[0].ArticleId"
    assert '"DeveloperErrorMessage": "Validation failed"' in (err.body or "")
    assert str(err) == (
        "eaccounting: POST https://eaccounting.example.test/v2/customerinvoicedrafts answered "
        "400 Bad Request [2000]: Validation failed; Rows[0].ArticleId: Article not found; "
        "CustomerId: Required (error id 3fa7da17-eeb2-48f6-997d-0be158f4cba4)"
    )


def test_to_record_error(make_client) -> None:
    client, _ = make_client(httpx.Response(400, json=EACCOUNTING_400), name="eaccounting")
    with pytest.raises(ApiError) as info:
        client.post_json("x", {})
    record = info.value.to_record_error(fix="Create the article in eAccounting first.")
    assert isinstance(record, RecordError)
    assert record.field == "Rows[0].ArticleId"
    assert record.rule == "Article not found"
    assert record.fix == "Create the article in eAccounting first."
    assert record.retryable is False
    assert record.details["vendor_code"] == "2000"
    assert "Validation failed" in record.message


def test_to_record_error_without_fields_uses_the_message_as_rule(make_client) -> None:
    client, _ = make_client(httpx.Response(404, json={"message": "Customer 99 not found"}))
    with pytest.raises(ApiError) as info:
        client.get_json("customer/99")
    record = info.value.to_record_error()
    assert record.field is None
    assert record.rule == "Customer 99 not found"


def test_transient_errors_become_retryable_records(make_client) -> None:
    client, _ = make_client(*[httpx.Response(503)] * 5)
    with pytest.raises(ApiError) as info:
        client.get_json("customer")
    assert info.value.to_record_error().retryable is True


def test_2xx_without_json_is_an_error(make_client) -> None:
    client, _ = make_client(httpx.Response(200, text="<html>maintenance</html>"))
    with pytest.raises(ApiError, match="expected a JSON body"):
        client.get_json("customer")


def test_empty_2xx_body_is_none(make_client) -> None:
    client, _ = make_client(httpx.Response(201, headers={"Location": "/v1/customer/10"}))
    assert client.post_json("customer", {"x": 1}) is None
