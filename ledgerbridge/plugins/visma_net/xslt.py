"""Row XSLT: the "further adaptations" of how invoice rows look in Visma.net.

Contract (config `rowXslt`, a file path or the stylesheet itself):

Input, one document per invoice::

    <Rows invoiceNumber="10023" invoiceType="Invoice|Credit" currency="SEK"
          customerCode="ACME" office="GBG">
      <Row index="1">
        <ArticleNumber>FRAKT</ArticleNumber>   (optional)
        <Description>Frakt Göteborg–Oslo</Description>
        <Quantity>1</Quantity>
        <Unit>st</Unit>                        (optional)
        <UnitPrice>1250.00</UnitPrice>
        <DiscountPercent>0</DiscountPercent>   (optional)
        <Amount>1250.00</Amount>
        <VatRate>25%</VatRate>
        <AccountNumber>3010</AccountNumber>
        <Subaccount segment="1">200</Subaccount> (optional)
      </Row>
      ...
    </Rows>

Output: a document of the same shape (the XSD's global `Rows` element; attributes
are free), which replaces the invoice's rows before they are mapped. VAT rates
in the output are translated like the original ones. A stylesheet may merge,
split, reorder, rename or drop rows; it may not read or write anything:
it runs with `XSLTAccessControl.DENY_ALL` and is parsed without network access
or entity expansion, and `xsl:import`, `xsl:include` and `document()` are
refused when the config is checked. A failing transform fails that invoice only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lxml import etree

from ledgerbridge.core.errors import ConfigError, RecordError
from ledgerbridge.plugins.visma_net.exportformat import export_schema, rows_data, rows_to_xml

XSL_NS = "http://www.w3.org/1999/XSL/Transform"
_FORBIDDEN_ELEMENTS = {
    f"{{{XSL_NS}}}import": "xsl:import",
    f"{{{XSL_NS}}}include": "xsl:include",
    "{http://exslt.org/common}document": "exsl:document",
    f"{{{XSL_NS}}}result-document": "xsl:result-document",
}
_FORBIDDEN_FUNCTIONS = re.compile(r"\b(document|unparsed-text)\s*\(")
_RULE = "a row XSLT may not read or write files or the network"


class RowTransform:
    """A compiled row XSLT, applied per invoice."""

    def __init__(self, stylesheet: etree.XSLT, origin: str) -> None:
        self._xslt = stylesheet
        self.origin = origin

    def apply(self, rows: list[dict[str, Any]], attributes: dict[str, str]) -> list[dict[str, Any]]:
        """Reshape one invoice's rows; RecordError names the XSLT and the line."""
        try:
            result = self._xslt(rows_to_xml(rows, attributes).getroottree())
        except etree.XSLTApplyError as err:
            raise self._error(f"the row XSLT failed: {_log(self._xslt.error_log) or err}") from None
        root = result.getroot()
        if root is None:
            raise self._error("the row XSLT produced no Rows element")
        schema = export_schema()
        if root.tag != "Rows" or not schema.validate(root):
            detail = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:3])
            what = detail or f"root element <{root.tag}>"
            raise self._error(
                f"the row XSLT's output is not <Rows> with valid <Row> elements ({what})"
            )
        return rows_data(root)

    def _error(self, message: str) -> RecordError:
        return RecordError(
            message,
            field="rowXslt",
            value=self.origin,
            rule="the row XSLT turns <Rows> into <Rows> of the export format (see xslt.py)",
            fix="correct the stylesheet and test it on this invoice's rows",
        )


def compile_row_xslt(value: str, base: Path | None = None) -> RowTransform:
    """Load, check and compile `rowXslt`; ConfigError lists every problem."""
    origin, source = _load(value, base)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        document = etree.fromstring(source, parser)
    except etree.XMLSyntaxError as err:
        raise ConfigError(
            f"rowXslt ({origin}) is not well-formed XML:",
            [f"line {err.lineno}: {err.msg}; fix: correct the stylesheet"],
        ) from None
    problems = _forbidden(document)
    if problems:
        raise ConfigError(f"rowXslt ({origin}) is not allowed:", problems)
    try:
        stylesheet = etree.XSLT(document, access_control=etree.XSLTAccessControl.DENY_ALL)
    except etree.XSLTParseError as err:
        raise ConfigError(
            f"rowXslt ({origin}) is not a valid XSLT 1.0 stylesheet:",
            [_log(err.error_log) or str(err)],
        ) from None
    return RowTransform(stylesheet, origin)


def _load(value: str, base: Path | None) -> tuple[str, bytes]:
    if value.lstrip().startswith("<"):
        return "inline stylesheet", value.encode("utf-8")
    path = Path(value)
    if base is not None and not path.is_absolute():
        path = base / path
    try:
        return str(path), path.read_bytes()
    except OSError as err:
        raise ConfigError(
            "rowXslt cannot be read:",
            [
                f"key 'rowXslt': {path}: {err.strerror or err}; fix: give the path of an XSLT file "
                "or the stylesheet itself"
            ],
        ) from None


def _forbidden(document: etree._Element) -> list[str]:
    problems = []
    for element in document.iter(etree.Element):
        name = _FORBIDDEN_ELEMENTS.get(str(element.tag))
        if name:
            problems.append(
                f"line {element.sourceline}: {name}: rule: {_RULE}; "
                "fix: put everything in one stylesheet"
            )
        for attr, text in element.attrib.items():
            match = _FORBIDDEN_FUNCTIONS.search(text)
            if match:
                problems.append(
                    f'line {element.sourceline}: {match.group(1)}() in {attr}="{text}": '
                    f"rule: {_RULE}; fix: use only the invoice rows given as input"
                )
    return problems


def _log(error_log: Any) -> str:
    return "; ".join(f"line {e.line}: {e.message}" for e in error_log)
