"""SOAP envelopes built from Python values, and answers read back as Python.

Document/literal services (every .asmx service, Nmbrs among them) take one
element per operation whose children are the parameters, in the order the
WSDL's sequence lists them, qualified in the service namespace
(`elementFormDefault="qualified"`). `operation_element` builds that element
from a mapping; `to_python`/`items` turn answer elements into dicts, lists
and typed values by local name, so callers never spell a namespace.

The namespaces and the envelope layout are those of
`ledgerbridge.core.sandbox.soap`, the server-side helpers emulators use.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from lxml import etree

from ledgerbridge.core.http.safexml import Element

SOAP11: Final = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12: Final = "http://www.w3.org/2003/05/soap-envelope"
XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
ENVELOPE_NS: Final = {"1.1": SOAP11, "1.2": SOAP12}
VERSION_OF: Final = {SOAP11: "1.1", SOAP12: "1.2"}


class _Nil:
    """The marker for `xsi:nil="true"` (a nillable element sent empty)."""

    def __repr__(self) -> str:
        return "NIL"


NIL: Final = _Nil()
"""Pass as a value to send `<Name xsi:nil="true"/>`; `None` omits the element."""

Converter = Callable[[str], Any]


# ---------------------------------------------------------------- building


def operation_element(
    operation: str, namespace: str | None, params: Mapping[str, Any] | None = None
) -> Element:
    """`<operation xmlns="namespace">` with one child per parameter.

    Values: str, int, Decimal, float, bool (`true`/`false`), date/datetime
    (ISO 8601), bytes (base64), a mapping (nested elements), a list or tuple
    (the element repeated), an lxml element (inserted as is), `NIL`
    (`xsi:nil`), None (left out: `minOccurs="0"`).
    """
    tag = f"{{{namespace}}}{operation}" if namespace else operation
    el = etree.Element(tag, nsmap={None: namespace} if namespace else None)
    fill(el, params or {}, namespace)
    return el


def fill(parent: Element, content: Any, namespace: str | None) -> None:
    """Put `content` into `parent` (see `operation_element` for the values)."""
    if content is None:
        return
    if isinstance(content, Mapping):
        for key, value in content.items():
            for item in value if isinstance(value, list | tuple) else [value]:
                if item is None:
                    continue
                child = etree.SubElement(parent, f"{{{namespace}}}{key}" if namespace else key)
                fill(child, item, namespace)
    elif etree.iselement(content):
        parent.append(content)
    elif content is NIL:
        parent.set(f"{{{XSI}}}nil", "true")
    else:
        parent.text = xml_text(content)


def xml_text(value: Any) -> str:
    """A scalar as XML Schema writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, int | float | str):
        return str(value)
    raise TypeError(f"cannot put a {type(value).__name__} into a SOAP element: {value!r}")


def envelope(version: str, body: Element, header_blocks: Collection[Element] = ()) -> bytes:
    """`<soap:Envelope>` with an optional Header and the Body holding `body`."""
    ns = ENVELOPE_NS[version]
    env = etree.Element(f"{{{ns}}}Envelope", nsmap={"soap": ns})
    if header_blocks:
        header = etree.SubElement(env, f"{{{ns}}}Header")
        for block in header_blocks:
            header.append(block)
    etree.SubElement(env, f"{{{ns}}}Body").append(body)
    data: bytes = etree.tostring(env, xml_declaration=True, encoding="utf-8")
    return data


# ---------------------------------------------------------------- reading


def localname(element: Element) -> str:
    return str(etree.QName(element).localname)


def children(element: Element, name: str | None = None) -> list[Element]:
    """Child elements (comments and processing instructions skipped), by
    local name when `name` is given."""
    return [
        c
        for c in element
        if isinstance(c.tag, str) and (name is None or etree.QName(c).localname == name)
    ]


def child(element: Element, name: str) -> Element | None:
    """The first child with local name `name`, whatever its namespace."""
    found = children(element, name)
    return found[0] if found else None


def is_nil(element: Element) -> bool:
    return str(element.get(f"{{{XSI}}}nil", "")).strip() in ("true", "1")


def to_python(
    element: Element,
    *,
    lists: Collection[str] = (),
    types: Mapping[str, Converter] | None = None,
) -> Any:
    """An element as Python, by local names.

    A leaf is its text (`""` when empty, None when `xsi:nil`), converted by
    `types[name]` when given (`{"ID": int, "IsLocked": xs_boolean}`); an
    element with children is a dict. A name seen twice becomes a list; names
    in `lists` are always lists, so one `RunInfo` is not taken for a record.
    Attributes are left out.
    """
    return _value(element, frozenset(lists), types or {})


def items(
    element: Element | None,
    name: str,
    *,
    lists: Collection[str] = (),
    types: Mapping[str, Converter] | None = None,
) -> list[Any]:
    """The children named `name` (an `ArrayOfX`'s `X`s) as a list, each
    converted like `to_python`; an absent or nil element gives []."""
    if element is None or is_nil(element):
        return []
    frozen, conv = frozenset(lists), types or {}
    return [_value(c, frozen, conv) for c in children(element, name)]


def _value(element: Element, lists: frozenset[str], types: Mapping[str, Converter]) -> Any:
    kids = children(element)
    if not kids:
        if is_nil(element):
            return None
        text = element.text or ""
        name = localname(element)
        convert = types.get(name)
        if convert is None or not text.strip():
            return text
        try:
            return convert(text.strip())
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise ValueError(f"<{name}> {text.strip()!r} is not a valid value: {exc}") from None
    out: dict[str, Any] = {}
    for kid in kids:
        name = localname(kid)
        value = _value(kid, lists, types)
        if name in out:
            previous = out[name]
            out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        elif name in lists:
            out[name] = [value]
        else:
            out[name] = value
    return out


def xs_boolean(text: str) -> bool:
    """xs:boolean: `true`/`false`/`1`/`0`."""
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(f"not an xs:boolean: {text!r}")


def xs_datetime(text: str) -> datetime:
    """xs:dateTime (`2024-03-31T00:00:00`, with `Z` or an offset or neither)."""
    return datetime.fromisoformat(text.strip())


def xs_date(text: str) -> date:
    """xs:date; a time part, as .NET services sometimes send, is dropped."""
    return datetime.fromisoformat(text.strip()).date()
