"""The SOAP client: envelopes as a service expects them, faults parsed and
classified before any retry, typed results, and no token in any output."""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from conftest import Script
from lxml import etree

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http import (
    AUTH,
    NIL,
    SOAP11,
    SOAP12,
    ApiError,
    Failure,
    FixedWindowBudget,
    SoapClient,
    SoapFault,
    SoapHeaderAuth,
    TransientApiError,
    Verdict,
    items,
    operation_element,
    parse_soap_fault,
    xs_boolean,
    xs_datetime,
)
from ledgerbridge.core.redact import MASK
from ledgerbridge.core.sandbox import soap as server_soap

NS = "https://api.nmbrs.nl/soap/v3/CompanyService"
TOKEN = "nmbrs-api-token-5f1e9c"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


def c14n(data: bytes | str) -> bytes:
    """Canonical XML, blank text between elements dropped, for comparing."""
    raw = data.encode() if isinstance(data, str) else data
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    out: bytes = etree.tostring(etree.fromstring(raw, parser), method="c14n")
    return out


def auth() -> SoapHeaderAuth:
    return SoapHeaderAuth(
        "AuthHeaderWithDomain",
        {"Username": "anna@example.com", "Token": TOKEN, "Domain": "acme"},
        rejected_message="Nmbrs refused the user and API token: renew the token in Nmbrs.",
    )


def answer(result: str, version: str = "1.1", status: int = 200) -> httpx.Response:
    ns = server_soap.SOAP11 if version == "1.1" else server_soap.SOAP12
    body = (
        f'<soap:Envelope xmlns:soap="{ns}"><soap:Body>'
        f'<Run_GetListResponse xmlns="{NS}"><Run_GetListResult>{result}</Run_GetListResult>'
        "</Run_GetListResponse></soap:Body></soap:Envelope>"
    )
    ctype = "text/xml" if version == "1.1" else "application/soap+xml"
    return httpx.Response(status, content=body.encode(), headers={"Content-Type": ctype})


def fault(code: str, message: str, version: str = "1.1", detail: Any = None) -> httpx.Response:
    payload = server_soap.fault(code, message, version=version, detail=detail)
    return httpx.Response(500, content=payload, headers={"Content-Type": "text/xml"})


@pytest.fixture
def make_soap(make_client: Any) -> Any:
    def make(*steps: Any, **kwargs: Any) -> tuple[SoapClient, Script]:
        kwargs.setdefault("auth", auth())
        kwargs.setdefault("base_url", "https://api.nmbrs.example.test/soap/v3/")
        return make_client(*steps, client_class=SoapClient, name="nmbrs", **kwargs)

    return make


# ---------------------------------------------------------------- envelopes

EXPECTED_11 = f"""<?xml version='1.0' encoding='utf-8'?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Header>
    <AuthHeaderWithDomain xmlns="{NS}">
      <Username>anna@example.com</Username>
      <Token>{TOKEN}</Token>
      <Domain>acme</Domain>
    </AuthHeaderWithDomain>
  </soap:Header>
  <soap:Body>
    <Run_GetList xmlns="{NS}">
      <CompanyId>42</CompanyId>
      <Year>2024</Year>
    </Run_GetList>
  </soap:Body>
</soap:Envelope>"""


def test_soap_11_envelope_header_and_action(make_soap) -> None:
    client, script = make_soap(answer("<RunInfo><ID>1</ID></RunInfo>"))
    client.call("CompanyService.asmx", "Run_GetList", {"CompanyId": 42, "Year": 2024}, namespace=NS)
    sent = script.requests[0]
    assert sent.method == "POST"
    assert str(sent.url) == "https://api.nmbrs.example.test/soap/v3/CompanyService.asmx"
    assert sent.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert sent.headers["SOAPAction"] == f'"{NS}/Run_GetList"'
    assert c14n(sent.content) == c14n(EXPECTED_11)
    assert sent.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")


def test_soap_12_envelope_has_the_action_in_the_content_type(make_soap) -> None:
    client, script = make_soap(answer("", version="1.2"), version="1.2")
    client.call("CompanyService.asmx", "Run_GetList", {"CompanyId": 42, "Year": 2024}, namespace=NS)
    sent = script.requests[0]
    assert sent.headers["Content-Type"] == (
        f'application/soap+xml; charset=utf-8; action="{NS}/Run_GetList"'
    )
    assert "SOAPAction" not in sent.headers
    expected = EXPECTED_11.replace(
        "http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope"
    )
    assert c14n(sent.content) == c14n(expected)


def test_the_server_side_helpers_read_what_the_client_sends(make_soap) -> None:
    client, _ = make_soap()
    data = client.envelope("Run_GetList", {"CompanyId": 42, "Year": 2024}, namespace=NS)
    env = server_soap.parse_envelope(data)
    assert (env.version, env.operation_name, env.namespace) == ("1.1", "Run_GetList", NS)
    assert server_soap.header_block(env, "AuthHeaderWithDomain") == {
        "Username": "anna@example.com",
        "Token": TOKEN,
        "Domain": "acme",
    }


def test_client_and_sandbox_agree_on_the_namespaces() -> None:
    assert (SOAP11, SOAP12) == (server_soap.SOAP11, server_soap.SOAP12)


def test_parameter_values_are_written_as_xml_schema_types() -> None:
    element = operation_element(
        "CostCenter_Insert",
        "urn:t",
        {
            "CompanyId": 7,
            "Active": False,
            "Amount": Decimal("1E+3"),
            "Rate": 0.25,
            "Day": date(2024, 3, 31),
            "At": datetime(2024, 3, 31, 12, 0, 5),
            "Pdf": b"%PDF",
            "Id": NIL,
            "Skipped": None,
            "Code": ["A", "B"],
            "CostCenter": {"Code": "KP01", "Description": "Sales & <more>"},
        },
    )
    expected = (
        '<CostCenter_Insert xmlns="urn:t"><CompanyId>7</CompanyId><Active>false</Active>'
        "<Amount>1000</Amount><Rate>0.25</Rate><Day>2024-03-31</Day>"
        "<At>2024-03-31T12:00:05</At><Pdf>JVBERg==</Pdf>"
        '<Id xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"></Id>'
        "<Code>A</Code><Code>B</Code>"
        "<CostCenter><Code>KP01</Code><Description>Sales &amp; &lt;more&gt;</Description>"
        "</CostCenter></CostCenter_Insert>"
    )
    assert etree.tostring(element, method="c14n") == c14n(expected)


def test_an_unknown_value_type_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="cannot put a object into a SOAP element"):
        operation_element("Op", "urn:t", {"X": object()})


def test_soap_version_is_checked(clock, redactor) -> None:
    with pytest.raises(ValueError, match=r"'1\.1' or '1\.2'"):
        SoapClient("https://x.test/", name="x", clock=clock, redactor=redactor, version="2")


# ---------------------------------------------------------------- results

RUN_TYPES = {"ID": int, "Year": int, "IsLocked": xs_boolean, "RunAt": xs_datetime}


def test_typed_results_by_local_name(make_soap) -> None:
    client, _ = make_soap(
        answer(
            "<RunInfo><ID>9001</ID><Year>2024</Year><Description>Maart</Description>"
            "<RunAt>2024-03-28T10:15:00</RunAt><IsLocked>true</IsLocked></RunInfo>"
        )
    )
    result = client.call("CompanyService.asmx", "Run_GetList", {"CompanyId": 1}, namespace=NS)
    assert etree.QName(result.result).localname == "Run_GetListResult"
    assert result.items("RunInfo", types=RUN_TYPES) == [
        {
            "ID": 9001,
            "Year": 2024,
            "Description": "Maart",
            "RunAt": datetime(2024, 3, 28, 10, 15),
            "IsLocked": True,
        }
    ]
    # One RunInfo is still a list when asked for one.
    assert result.to_python(lists=["RunInfo"])["RunInfo"][0]["ID"] == "9001"
    assert result.to_python()["RunInfo"]["ID"] == "9001"


def test_empty_and_nil_results(make_soap) -> None:
    nil = '<X xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>'
    client, _ = make_soap(answer(""), answer(nil))
    empty = client.call("S.asmx", "Run_GetList", namespace=NS)
    assert empty.items("RunInfo") == [] and empty.text == ""
    with_nil = client.call("S.asmx", "Run_GetList", namespace=NS)
    assert with_nil.to_python() == {"X": None}
    assert items(None, "RunInfo") == []


def test_a_value_that_does_not_convert_names_its_element(make_soap) -> None:
    client, _ = make_soap(answer("<RunInfo><ID>nine</ID></RunInfo>"))
    result = client.call("S.asmx", "Run_GetList", namespace=NS)
    with pytest.raises(ValueError, match="<ID> 'nine' is not a valid value"):
        result.items("RunInfo", types={"ID": int})


# ---------------------------------------------------------------- faults


def test_faults_are_typed_for_both_versions() -> None:
    request = httpx.Request("POST", "https://x.test/S.asmx")
    one = httpx.Response(
        500, content=server_soap.fault("Server", "busy", detail={"Code": "2001"}), request=request
    )
    found = parse_soap_fault(one)
    assert found is not None and found.fault is not None
    assert found.fault == SoapFault(
        version="1.1", code="soap:Server", reason="busy", kind="receiver", detail={"Code": "2001"}
    )
    two = httpx.Response(
        500, content=server_soap.fault("Client", "bad", version="1.2"), request=request
    )
    found = parse_soap_fault(two)
    assert found is not None and found.fault is not None
    fault_12 = found.fault
    assert (fault_12.version, fault_12.code, fault_12.kind) == ("1.2", "soap:Sender", "sender")


def test_dotted_11_codes_and_ws_security_faults() -> None:
    request = httpx.Request("POST", "https://x.test/S.asmx")
    body = (
        f'<s:Envelope xmlns:s="{server_soap.SOAP11}" xmlns:wsse="{WSSE}"><s:Body><s:Fault>'
        "<faultcode>wsse:FailedAuthentication</faultcode><faultstring>no</faultstring>"
        "</s:Fault></s:Body></s:Envelope>"
    )
    found = parse_soap_fault(httpx.Response(500, content=body.encode(), request=request))
    assert found is not None and found.fault is not None and found.fault.kind == "authentication"
    dotted = body.replace("wsse:FailedAuthentication", "s:Client.Auth.Expired")
    found = parse_soap_fault(httpx.Response(500, content=dotted.encode(), request=request))
    assert found is not None and found.fault is not None
    assert (found.fault.kind, found.fault.subcodes) == ("sender", ("Auth", "Expired"))


def test_a_server_fault_is_retried_per_policy_for_reads(make_soap, clock: FakeClock) -> None:
    client, script = make_soap(fault("Server", "timeout"), fault("Server", "timeout"), answer(""))
    client.call("S.asmx", "Run_GetList", namespace=NS, idempotent=True)
    assert len(script.requests) == 3
    assert clock.sleeps == [0.5, 1.0]
    assert script.requests[2].content == script.requests[0].content


def test_a_server_fault_on_a_write_is_not_resent(make_soap, clock: FakeClock) -> None:
    client, script = make_soap(fault("Server", "timeout"))
    with pytest.raises(TransientApiError) as info:
        client.call("S.asmx", "CostCenter_Insert", {"CompanyId": 1}, namespace=NS)
    assert info.value.may_have_reached_server is True
    assert len(script.requests) == 1 and clock.sleeps == []
    assert info.value.fault is not None and info.value.fault.kind == "receiver"


def test_server_faults_until_the_attempts_run_out(make_soap, clock: FakeClock) -> None:
    client, script = make_soap(*[fault("Server", "down")] * 5)
    with pytest.raises(TransientApiError) as info:
        client.call("S.asmx", "Run_GetList", namespace=NS, idempotent=True)
    assert info.value.attempts == 5 and len(script.requests) == 5
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0]
    assert "answered 500 Internal Server Error [soap:Server]: down" in str(info.value)
    assert info.value.to_record_error().retryable is True


def test_a_client_fault_is_a_refusal(make_soap, clock: FakeClock) -> None:
    client, script = make_soap(fault("Client", "2006: InvalidPeriod", detail={"Period": "13"}))
    with pytest.raises(ApiError) as info:
        client.call("S.asmx", "Run_GetList", namespace=NS, idempotent=True)
    err = info.value
    assert type(err) is ApiError and len(script.requests) == 1 and clock.sleeps == []
    assert (err.status, err.vendor_code, err.message) == (500, "soap:Client", "2006: InvalidPeriod")
    assert err.fault is not None and err.fault.detail == {"Period": "13"}
    assert err.to_record_error().retryable is False


def test_a_fault_answered_with_200_is_classified_too(make_soap, clock: FakeClock) -> None:
    server = fault("Server", "busy")
    client, script = make_soap(
        httpx.Response(200, content=server.content, headers=server.headers), answer("")
    )
    client.call("S.asmx", "Run_GetList", namespace=NS, idempotent=True)
    assert len(script.requests) == 2 and clock.sleeps == [0.5]


def test_the_plugin_classifier_sees_the_fault_first(make_soap, clock: FakeClock) -> None:
    """Nmbrs answers soap:Client for bad credentials: the plugin makes it an
    auth fault, which is never retried and raises the operator message."""
    seen: list[Failure] = []

    def nmbrs(failure: Failure) -> Verdict | None:
        seen.append(failure)
        if failure.fault and failure.fault.reason.startswith("Invalid credentials"):
            return AUTH
        return None

    client, script = make_soap(fault("Client", "Invalid credentials"), classifier=nmbrs)
    with pytest.raises(AuthError) as info:
        client.call("S.asmx", "Run_GetList", namespace=NS, idempotent=True)
    assert str(info.value) == "Nmbrs refused the user and API token: renew the token in Nmbrs."
    assert isinstance(info.value.__cause__, ApiError)
    assert "Invalid credentials" in str(info.value.__cause__)
    assert len(script.requests) == 1 and clock.sleeps == []
    assert seen[0].fault is not None and seen[0].fault.kind == "sender"


def test_ws_security_faults_and_401_are_auth_faults(make_soap, clock: FakeClock) -> None:
    body = (
        f'<s:Envelope xmlns:s="{server_soap.SOAP12}" xmlns:wsse="{WSSE}"><s:Body><s:Fault>'
        "<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>wsse:FailedAuthentication"
        "</s:Value></s:Subcode></s:Code><s:Reason><s:Text>no</s:Text></s:Reason>"
        "</s:Fault></s:Body></s:Envelope>"
    )
    client, script = make_soap(
        httpx.Response(500, content=body.encode()), httpx.Response(401), version="1.2"
    )
    for _ in range(2):
        with pytest.raises(AuthError, match="renew the token"):
            client.call("S.asmx", "Run_GetList", namespace=NS, idempotent=True)
    assert len(script.requests) == 2 and clock.sleeps == []


def test_an_html_page_instead_of_an_envelope(make_soap) -> None:
    page = httpx.Response(200, text="<html><body>Login</body></html>")
    client, _ = make_soap(page, httpx.Response(200, text="not xml at all"))
    with pytest.raises(ApiError, match="not a SOAP Envelope"):
        client.call("S.asmx", "Run_GetList", namespace=NS)
    with pytest.raises(ApiError, match="malformed XML"):
        client.call("S.asmx", "Run_GetList", namespace=NS)


def test_an_answer_in_the_other_version_is_refused(make_soap) -> None:
    client, _ = make_soap(answer("", version="1.2"))
    with pytest.raises(ApiError, match=r"a SOAP 1\.2 envelope answered a SOAP 1\.1 request"):
        client.call("S.asmx", "Run_GetList", namespace=NS)


def test_an_answer_with_a_doctype_is_refused_unexpanded(make_soap, tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    doctype = f'<!DOCTYPE e [<!ENTITY x SYSTEM "file://{secret}">]>'.encode()
    hostile = answer("&x;").content.replace(b"<soap:Envelope", doctype + b"<soap:Envelope", 1)
    client, _ = make_soap(httpx.Response(200, content=hostile))
    with pytest.raises(ApiError) as info:
        client.call("S.asmx", "Run_GetList", namespace=NS)
    assert "DOCTYPE" in str(info.value)
    assert "TOP-SECRET-CONTENT" not in str(info.value) + (info.value.body or "")


def test_every_attempt_takes_from_the_rate_budget(make_soap, clock: FakeClock) -> None:
    budget = FixedWindowBudget(2, 60, clock)
    client, script = make_soap(fault("Server", "x"), answer(""), answer(""), rate_budget=budget)
    client.call("S.asmx", "Run_GetList", namespace=NS, idempotent=True)
    client.call("S.asmx", "Run_GetList", namespace=NS, idempotent=True)
    assert len(script.requests) == 3
    assert clock.sleeps == [0.5, 59.5]  # the backoff, then the rest of the 60 s window


# ---------------------------------------------------------------- secrets


def test_the_token_is_never_in_logs_or_errors(make_soap, caplog) -> None:
    echo = fault("Client", f"Token {TOKEN} is not valid for domain acme")
    client, _ = make_soap(fault("Server", "x"), echo)
    caplog.set_level(logging.DEBUG, logger="ledgerbridge.http")
    with pytest.raises(ApiError) as info:
        client.call("S.asmx", "Run_GetList", namespace=NS, idempotent=True)
    shown = [str(info.value), repr(info.value), info.value.body or "", repr(info.value.fault)]
    shown += [r.getMessage() for r in caplog.records]
    text = "\n".join(shown)
    assert TOKEN not in text
    assert f"<Token>{MASK}</Token>" in text  # the request body is logged, masked
    assert "anna@example.com" in text  # the user name is not a secret
    assert repr(auth()) == (
        "SoapHeaderAuth(block='AuthHeaderWithDomain', fields=['Username', 'Token', 'Domain'])"
    )


def test_a_short_token_is_masked_by_element_name(make_soap, caplog) -> None:
    short = SoapHeaderAuth("AuthHeader", {"Username": "u", "Token": "ab1"})
    client, _ = make_soap(answer(""), auth=short)
    caplog.set_level(logging.DEBUG, logger="ledgerbridge.http")
    client.call("S.asmx", "Run_GetList", namespace=NS)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "<Token>ab1</Token>" not in logged and f"<Token>{MASK}</Token>" in logged
