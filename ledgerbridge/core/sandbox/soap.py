"""SOAP 1.1/1.2 helpers for emulating services such as Nmbrs.

Envelopes are parsed with lxml with the network, DTDs and entity expansion
off, and a document with a DOCTYPE is refused outright: an emulator serving on
a developer's machine must not be a way to read local files (XXE) or exhaust
memory (entity expansion).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from ledgerbridge.core.http import safexml
from ledgerbridge.core.sandbox.messages import Request, Response

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
_VERSIONS = {SOAP11: "1.1", SOAP12: "1.2"}
_NS = {"1.1": SOAP11, "1.2": SOAP12}
_CONTENT_TYPE = {"1.1": "text/xml; charset=utf-8", "1.2": "application/soap+xml; charset=utf-8"}
_FAULT_12 = {"Client": "Sender", "Server": "Receiver"}

Element = Any  # lxml's _Element (lxml ships no type information)


class SoapError(ValueError):
    """The request is not a usable SOAP envelope."""


@dataclass(frozen=True)
class Envelope:
    version: str  # "1.1" or "1.2"
    header: Element | None
    operation: Element  # the first element inside Body
    action: str | None  # SOAPAction (1.1 header) or the 1.2 content-type action

    @property
    def operation_name(self) -> str:
        return str(etree.QName(self.operation).localname)

    @property
    def namespace(self) -> str | None:
        ns = etree.QName(self.operation).namespace
        return str(ns) if ns else None


def parse_xml(data: bytes) -> Element:
    """Parse XML safely (the client's parser: no network, DTD or entities);
    a DOCTYPE is refused."""
    try:
        return safexml.parse_xml(data)
    except safexml.XmlError as exc:
        raise SoapError(str(exc)) from None


def parse_envelope(data: bytes, *, action: str | None = None) -> Envelope:
    """The version, header and operation element of a SOAP request."""
    root = parse_xml(data)
    qname = etree.QName(root)
    version = _VERSIONS.get(qname.namespace or "")
    if qname.localname != "Envelope" or version is None:
        raise SoapError("not a SOAP 1.1 or 1.2 Envelope")
    ns = _NS[version]
    header = root.find(f"{{{ns}}}Header")
    body = root.find(f"{{{ns}}}Body")
    if body is None or len(body) == 0:
        raise SoapError("SOAP Body is missing or empty")
    return Envelope(version, header, body[0], action)


def parse_request(request: Request) -> Envelope:
    """`parse_envelope` plus the SOAP action from the HTTP request."""
    return parse_envelope(request.body, action=soap_action(request))


def soap_action(request: Request) -> str | None:
    raw = request.headers.get("soapaction")
    if raw is not None:
        return raw.strip().strip('"') or None
    for param in request.headers.get("content-type", "").split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.lower() == "action":
            return value.strip('"') or None
    return None


def header_block(envelope: Envelope, name: str) -> dict[str, str] | None:
    """Children of a header block by local name: AuthHeader -> {Username, Token}."""
    if envelope.header is None:
        return None
    for block in envelope.header:
        if isinstance(block.tag, str) and etree.QName(block).localname == name:
            return {
                str(etree.QName(child).localname): (child.text or "")
                for child in block
                if isinstance(child.tag, str)
            }
    return None


def child_text(element: Element, name: str, default: str | None = None) -> str | None:
    """Text of the first child with local name `name`, whatever its namespace."""
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return str(child.text or "")
    return default


def to_dict(element: Element) -> dict[str, Any]:
    """Children as {localname: text or nested dict}; repeated names become lists."""
    out: dict[str, Any] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = str(etree.QName(child).localname)
        value: Any = to_dict(child) if len(child) else (child.text or "")
        if name in out:
            out[name] = [*out[name], value] if isinstance(out[name], list) else [out[name], value]
        else:
            out[name] = value
    return out


def element(tag: str, content: Any = None, *, ns: str | None = None) -> Element:
    """Build `<tag>` from text, a mapping (children) or a list of mappings/elements."""
    el = etree.Element(f"{{{ns}}}{tag}" if ns else tag, nsmap={None: ns} if ns else None)
    _fill(el, content, ns)
    return el


def _fill(el: Element, content: Any, ns: str | None) -> None:
    if content is None:
        return
    if isinstance(content, Mapping):
        for key, value in content.items():
            values = value if isinstance(value, list) else [value]
            for v in values:
                child = etree.SubElement(el, f"{{{ns}}}{key}" if ns else key)
                _fill(child, v, ns)
    elif isinstance(content, list):
        for item in content:
            if etree.iselement(item):
                el.append(item)
            else:
                _fill(el, item, ns)
    elif etree.iselement(content):
        el.append(content)
    elif isinstance(content, bool):
        el.text = "true" if content else "false"
    else:
        el.text = str(content)


def build_envelope(
    body: Element | list[Element], *, version: str = "1.1", header: list[Element] | None = None
) -> bytes:
    """Wrap body elements (and optional header blocks) in an envelope."""
    ns = _NS[version]
    env = etree.Element(f"{{{ns}}}Envelope", nsmap={"soap": ns})
    if header:
        head = etree.SubElement(env, f"{{{ns}}}Header")
        for block in header:
            head.append(block)
    body_el = etree.SubElement(env, f"{{{ns}}}Body")
    for item in body if isinstance(body, list) else [body]:
        body_el.append(item)
    data: bytes = etree.tostring(env, xml_declaration=True, encoding="utf-8")
    return data


def operation_response(
    operation: str, namespace: str, result: Any, *, version: str = "1.1"
) -> bytes:
    """The ASMX convention: `<OpResponse><OpResult>...</OpResult></OpResponse>`."""
    wrapper = element(f"{operation}Response", {f"{operation}Result": result}, ns=namespace)
    return build_envelope(wrapper, version=version)


def fault(code: str, message: str, *, version: str = "1.1", detail: Any = None) -> bytes:
    """A SOAP Fault; `code` is "Client"/"Server" (mapped to 1.2's Sender/Receiver)."""
    ns = _NS[version]
    el = etree.Element(f"{{{ns}}}Fault", nsmap={"soap": ns})
    if version == "1.1":
        etree.SubElement(el, "faultcode").text = f"soap:{code}"
        etree.SubElement(el, "faultstring").text = message
        if detail is not None:
            _fill(etree.SubElement(el, "detail"), detail, None)
    else:
        value = etree.SubElement(etree.SubElement(el, f"{{{ns}}}Code"), f"{{{ns}}}Value")
        value.text = f"soap:{_FAULT_12.get(code, code)}"
        text = etree.SubElement(etree.SubElement(el, f"{{{ns}}}Reason"), f"{{{ns}}}Text")
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        text.text = message
        if detail is not None:
            _fill(etree.SubElement(el, f"{{{ns}}}Detail"), detail, None)
    return build_envelope(el, version=version)


def soap_response(payload: bytes, *, version: str = "1.1", status: int = 200) -> Response:
    return Response(status, [("Content-Type", _CONTENT_TYPE[version])], payload)


def fault_response(
    code: str, message: str, *, version: str = "1.1", detail: Any = None
) -> Response:
    """A fault as HTTP: SOAP requires status 500 for faults."""
    return soap_response(
        fault(code, message, version=version, detail=detail), version=version, status=500
    )
