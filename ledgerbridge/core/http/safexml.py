"""Parsing XML that a vendor (or anyone pretending to be one) sent us.

The parser never resolves entities, never loads a DTD, never touches the
network and keeps libxml2's size limits (`huge_tree` off), so an answer can
neither make us read local files (XXE), fetch URLs, nor exhaust memory with
nested entities. SOAP forbids a DOCTYPE in a message, so envelopes with one
are refused outright; the same settings as the sandbox's SOAP helpers.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

Element = Any  # lxml's _Element (lxml ships no type information)

# An XML declaration at the start of a *string*: lxml refuses to parse a str
# carrying an encoding declaration, and SOAP services embedding an XML
# document in a string result often declare "utf-16" for text that reached us
# as UTF-8 after the envelope was decoded.
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


class XmlError(ValueError):
    """The bytes are not XML we are willing to read; the message says why."""


def safe_parser() -> Any:
    """A fresh lxml parser with every dangerous feature off (parsers are not
    thread-safe, so each parse gets its own)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=True,
    )


def parse_xml(data: bytes | str, *, allow_doctype: bool = False) -> Element:
    """The root element of `data`, parsed safely.

    A `str` has its XML declaration dropped first (its encoding is already
    decoded). A DOCTYPE is refused unless `allow_doctype`; even then no entity
    is expanded.
    """
    if isinstance(data, str):
        data = _DECLARATION.sub("", data, count=1).encode("utf-8")
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlError(f"malformed XML: {exc}") from None
    if root is None:
        raise XmlError("empty XML document")
    if not allow_doctype and root.getroottree().docinfo.doctype:
        raise XmlError("XML with a DOCTYPE is not accepted")
    return root
