"""SOAP faults as a typed value the error classifier and callers can read.

SOAP 1.1 writes `faultcode` (a QName such as `soap:Client`, sometimes dotted:
`soap:Client.Authentication`), `faultstring`, `faultactor`, `detail`; SOAP
1.2 writes `Code/Value` (`Sender`, `Receiver`, ...) with nested `Subcode`s,
`Reason/Text`, `Node`, `Role`, `Detail`. Both are read into one `SoapFault`
whose `kind` says who is to blame whatever the version, so a classifier
decides on `fault.kind == "receiver"` and not on spellings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from ledgerbridge.core.http.safexml import Element
from ledgerbridge.core.http.soapxml import SOAP11, SOAP12, child, children, to_python

FaultKind = Literal[
    "sender",
    "receiver",
    "version_mismatch",
    "must_understand",
    "data_encoding_unknown",
    "authentication",
    "other",
]

# OASIS WS-Security faults: the credentials in the header were refused.
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
_WSSE_AUTH = frozenset(
    {"FailedAuthentication", "InvalidSecurityToken", "InvalidSecurity", "FailedCheck"}
)
_XML = "http://www.w3.org/XML/1998/namespace"
_KINDS: dict[str, FaultKind] = {
    "client": "sender",
    "sender": "sender",
    "server": "receiver",
    "receiver": "receiver",
    "versionmismatch": "version_mismatch",
    "mustunderstand": "must_understand",
    "dataencodingunknown": "data_encoding_unknown",
}


@dataclass(frozen=True)
class SoapFault:
    """One SOAP fault, texts as the service wrote them.

    code:     1.1 `faultcode` / 1.2 `Code/Value`, as written (`soap:Client`).
    subcodes: 1.2 `Subcode/Value`s outermost first; for 1.1 the dotted parts
              after the standard code (`Client.Auth.Expired` -> Auth, Expired).
    kind:     sender (the request is wrong: do not retry), receiver (the
              service failed: may pass later), version_mismatch,
              must_understand, data_encoding_unknown, authentication
              (WS-Security refused the credentials) or other.
    detail:   the `detail`/`Detail` element as `to_python` gives it (a dict by
              local names, or its text), None when absent.
    """

    version: str
    code: str
    reason: str
    kind: FaultKind
    subcodes: tuple[str, ...] = ()
    actor: str | None = None
    node: str | None = None
    detail: Any = None

    @property
    def most_specific_code(self) -> str:
        """The last subcode, else the code: what a vendor put for its own code."""
        return self.subcodes[-1] if self.subcodes else self.code

    def redacted(self, redact: Callable[[str], str], redact_obj: Callable[[Any], Any]) -> SoapFault:
        """A copy safe to attach to an error (texts passed through the redactor)."""
        return replace(
            self,
            code=redact(self.code),
            reason=redact(self.reason),
            subcodes=tuple(redact(s) for s in self.subcodes),
            actor=redact(self.actor) if self.actor else None,
            node=redact(self.node) if self.node else None,
            detail=redact_obj(self.detail),
        )


def find_fault(root: Element) -> SoapFault | None:
    """The fault inside a parsed envelope (or any document holding one)."""
    fault = root.find(f".//{{{SOAP11}}}Fault")
    if fault is not None:
        return _fault_11(fault)
    fault = root.find(f".//{{{SOAP12}}}Fault")
    if fault is not None:
        return _fault_12(fault)
    return None


def _text(element: Element | None) -> str | None:
    if element is None:
        return None
    text = "".join(element.itertext()).strip()
    return text or None


def _detail(element: Element | None) -> Any:
    if element is None:
        return None
    if children(element):
        return to_python(element)
    return _text(element)


def _resolve(element: Element, qname_text: str) -> tuple[str | None, str]:
    """(namespace, local name) of a QName written in element content, with
    the prefixes in scope at that element."""
    prefix, colon, local = qname_text.rpartition(":")
    namespace = element.nsmap.get(prefix if colon else None)
    return (str(namespace) if namespace else None), local


def _is_wsse_auth(element: Element, written: str) -> bool:
    namespace, local = _resolve(element, written)
    return namespace == WSSE and local in _WSSE_AUTH


def _kind(element: Element, code: str) -> FaultKind:
    if _is_wsse_auth(element, code):
        return "authentication"
    _, local = _resolve(element, code)
    return _KINDS.get(local.split(".", 1)[0].lower(), "other")


def _fault_11(fault: Element) -> SoapFault:
    code_el = child(fault, "faultcode")
    code = _text(code_el) or ""
    _, local = _resolve(fault, code)
    subcodes = tuple(local.split(".")[1:])
    return SoapFault(
        version="1.1",
        code=code,
        reason=_text(child(fault, "faultstring")) or "SOAP fault",
        kind=_kind(code_el if code_el is not None else fault, code),
        subcodes=subcodes,
        actor=_text(child(fault, "faultactor")),
        detail=_detail(child(fault, "detail")),
    )


def _fault_12(fault: Element) -> SoapFault:
    ns = {"s": SOAP12}
    code_el = fault.find("s:Code/s:Value", namespaces=ns)
    code = _text(code_el) or ""
    values: list[tuple[Element, str]] = []
    sub = fault.find("s:Code/s:Subcode", namespaces=ns)
    while sub is not None:
        value = sub.find("s:Value", namespaces=ns)
        if value is not None and _text(value):
            values.append((value, _text(value) or ""))
        sub = sub.find("s:Subcode", namespaces=ns)
    subcodes = tuple(text for _, text in values)
    kind = _kind(code_el if code_el is not None else fault, code)
    if any(_is_wsse_auth(el, text) for el, text in values):  # Sender + wsse:FailedAuthentication
        kind = "authentication"
    reasons = fault.findall("s:Reason/s:Text", namespaces=ns)
    english = [r for r in reasons if str(r.get(f"{{{_XML}}}lang", "")).startswith("en")]
    reason = _text((english or reasons or [None])[0]) or "SOAP fault"
    return SoapFault(
        version="1.2",
        code=code,
        reason=reason,
        kind=kind,
        subcodes=subcodes,
        actor=_text(fault.find("s:Role", namespaces=ns)),
        node=_text(fault.find("s:Node", namespaces=ns)),
        detail=_detail(fault.find("s:Detail", namespaces=ns)),
    )
