"""SOAP envelopes: parsing, header blocks, responses and faults."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from ledgerbridge.core.sandbox import soap

from .conftest import SOAP_NS, new_note

URL = "/soap/NoteService.asmx"


def envelope(token: str = "soap-token-1234", op: str = "Notes_GetList", v12: bool = False) -> bytes:
    ns = soap.SOAP12 if v12 else soap.SOAP11
    return f"""<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="{ns}" xmlns:n="{SOAP_NS}">
  <soap:Header>
    <n:AuthHeader><n:Username>anna@example.com</n:Username><n:Token>{token}</n:Token></n:AuthHeader>
  </soap:Header>
  <soap:Body><n:{op}><n:CompanyId>42</n:CompanyId></n:{op}></soap:Body>
</soap:Envelope>""".encode()


def post_soap(client: httpx.Client, body: bytes, v12: bool = False) -> httpx.Response:
    if v12:
        headers = {"Content-Type": f'application/soap+xml; charset=utf-8; action="{SOAP_NS}X"'}
    else:
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SOAP_NS}X"'}
    return client.post(URL, content=body, headers=headers)


def test_soap_11_operation_round_trip(api: httpx.Client) -> None:
    api.post("/v1/notes", json=new_note("First"))
    response = post_soap(api, envelope())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    ns = {"s": soap.SOAP11, "n": SOAP_NS}
    assert root.xpath("string(//n:Notes_GetListResult/n:Note/n:Title)", namespaces=ns) == "First"
    assert root.xpath("string(//n:Note/n:Company)", namespaces=ns) == "42"


def test_soap_12_fault_shape(api: httpx.Client) -> None:
    response = post_soap(api, envelope(op="Unknown_Op", v12=True), v12=True)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/soap+xml")
    ns = {"s": soap.SOAP12}
    root = etree.fromstring(response.content)
    assert root.xpath("string(//s:Fault/s:Code/s:Value)", namespaces=ns) == "soap:Sender"
    assert "Unknown operation Unknown_Op" in root.xpath("string(//s:Reason/s:Text)", namespaces=ns)


def test_soap_auth_header_checked(api: httpx.Client) -> None:
    response = post_soap(api, envelope(token="wrong-token"))
    assert response.status_code == 500
    root = etree.fromstring(response.content)
    assert root.findtext("*/*/faultcode") == "soap:Client"
    assert root.findtext("*/*/faultstring") == "2004 UnauthorizedCompany"


def test_parse_envelope_parts() -> None:
    env = soap.parse_envelope(envelope(), action="urn:x")
    assert env.version == "1.1"
    assert env.operation_name == "Notes_GetList"
    assert env.namespace == SOAP_NS
    assert env.action == "urn:x"
    assert soap.header_block(env, "AuthHeader") == {
        "Username": "anna@example.com",
        "Token": "soap-token-1234",
    }
    assert soap.header_block(env, "Missing") is None
    assert soap.to_dict(env.operation) == {"CompanyId": "42"}


@pytest.mark.parametrize(
    "data, message",
    [
        (b"<not-xml", "malformed XML"),
        (b"<Envelope/>", "not a SOAP"),
        (f'<s:Envelope xmlns:s="{soap.SOAP11}"><s:Body/></s:Envelope>'.encode(), "Body"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b"<x>&e;</x>",
            "DOCTYPE",
        ),
    ],
)
def test_parse_envelope_rejects(data: bytes, message: str) -> None:
    with pytest.raises(soap.SoapError, match=message):
        soap.parse_envelope(data)


def test_entities_are_never_expanded(api: httpx.Client) -> None:
    evil = envelope().replace(
        b'<?xml version="1.0" encoding="utf-8"?>',
        b'<!DOCTYPE s [<!ENTITY e SYSTEM "file:///etc/hostname">]>',
    )
    response = post_soap(api, evil)
    assert response.status_code == 500
    assert b"DOCTYPE" in response.content


def test_build_envelope_and_fault_11() -> None:
    body = soap.element("Ping", {"Value": [1, 2], "Ok": True}, ns="urn:t")
    data = soap.build_envelope(body, header=[soap.element("H", "x", ns="urn:t")])
    env = soap.parse_envelope(data)
    assert soap.to_dict(env.operation) == {"Value": ["1", "2"], "Ok": "true"}
    assert soap.header_block(env, "H") == {}
    fault = etree.fromstring(soap.fault("Server", "boom", detail={"Code": "2001"}))
    assert fault.findtext(".//faultcode") == "soap:Server"
    assert fault.findtext(".//detail/Code") == "2001"
