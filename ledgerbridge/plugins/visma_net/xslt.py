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
or entity expansion, and when the config is checked every instruction or
function that reads or writes another document is refused (`xsl:import`,
`xsl:include`, `document()`, XSLT 1.1 `xsl:document`, `exsl:document`,
`saxon:output`, `redirect:write`, `xt:document`, `dyn:evaluate`, which could
call `document()` out of sight of the check, and the like: `_FORBIDDEN_*`).

Limits: each invoice's transform runs in a worker process, killed after
`XsltLimits.seconds` (5 s) and capped at `XsltLimits.memory_bytes` (256 MB):
libxslt has no time or memory controls of its own (xsltsandbox.py says why).
A failing or stopped transform fails that invoice only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lxml import etree

from ledgerbridge.core.errors import ConfigError, RecordError
from ledgerbridge.plugins.visma_net.exportformat import export_schema, rows_data, rows_to_xml
from ledgerbridge.plugins.visma_net.xsltsandbox import (
    XsltFailed,
    XsltLimits,
    XsltStopped,
    XsltWorker,
)

XSL_NS = "http://www.w3.org/1999/XSL/Transform"
_FORBIDDEN_ELEMENTS = {
    f"{{{XSL_NS}}}import": "xsl:import",
    f"{{{XSL_NS}}}include": "xsl:include",
    f"{{{XSL_NS}}}document": "xsl:document (XSLT 1.1)",
    f"{{{XSL_NS}}}result-document": "xsl:result-document",
    "{http://exslt.org/common}document": "exsl:document",
}
_FORBIDDEN_NAMESPACES = {
    "http://icl.com/saxon": "saxon",
    "http://saxon.sf.net/": "saxon",
    "http://xml.apache.org/xalan/redirect": "redirect",
    "org.apache.xalan.xslt.extensions.Redirect": "redirect",
    "xalan://org.apache.xalan.xslt.extensions.Redirect": "redirect",
    "http://www.jclark.com/xt": "xt",
    "http://exslt.org/dynamic": "dyn",
}
"""Extension namespaces whose elements write documents (saxon:output,
redirect:write, xt:document) or whose functions evaluate XPath built at run
time (dyn:evaluate, saxon:evaluate), which could read documents unseen."""
_FORBIDDEN_FUNCTIONS = re.compile(
    r"(?<![\w.:-])(document|unparsed-text|unparsed-text-lines|unparsed-text-available"
    r"|doc|doc-available|collection)\s*\("
)
_PREFIXED_CALL = re.compile(r"(?<![\w.-])([A-Za-z_][\w.-]*):([A-Za-z_][\w.-]*)\s*\(")
_RULE = "a row XSLT may not read or write files or the network"


class RowTransform:
    """A checked row XSLT, applied per invoice in a worker process under
    `limits` (see xsltsandbox.py)."""

    def __init__(self, stylesheet: bytes, origin: str, limits: XsltLimits | None = None) -> None:
        self.origin = origin
        self.limits = limits or XsltLimits()
        self._worker = XsltWorker(stylesheet, self.limits)

    def apply(self, rows: list[dict[str, Any]], attributes: dict[str, str]) -> list[dict[str, Any]]:
        """Reshape one invoice's rows; RecordError names the XSLT and the line."""
        document = etree.tostring(rows_to_xml(rows, attributes), encoding="UTF-8")
        try:
            output = self._worker.transform(document, attributes.get("invoiceNumber") or "?")
        except XsltFailed as err:
            raise self._error(f"the row XSLT failed: {err}") from None
        except XsltStopped as err:
            raise self._stopped(err) from None
        if not output:
            raise self._error("the row XSLT produced no Rows element")
        root = etree.fromstring(output, _parser())
        schema = export_schema()
        if root.tag != "Rows" or not schema.validate(root):
            detail = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:3])
            what = detail or f"root element <{root.tag}>"
            raise self._error(
                f"the row XSLT's output is not <Rows> with valid <Row> elements ({what})"
            )
        return rows_data(root)

    def close(self) -> None:
        """Stop the worker process (a later `apply` starts another)."""
        self._worker.close()

    def _error(self, message: str) -> RecordError:
        return RecordError(
            message,
            field="rowXslt",
            value=self.origin,
            rule="the row XSLT turns <Rows> into <Rows> of the export format (see xslt.py)",
            fix="correct the stylesheet and test it on this invoice's rows",
        )

    def _stopped(self, err: XsltStopped) -> RecordError:
        return RecordError(
            f"{err}; the invoice was not sent",
            field="rowXslt",
            value=self.origin,
            rule=self.limits.describe(),
            fix="correct the stylesheet (look for a recursion that never ends or that calls "
            "itself more than once per step), then test it on one invoice with "
            "`ledgerbridge run TENANT visma_net --dry-run --invoice NUMBER`",
        )


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def compile_row_xslt(
    value: str, base: Path | None = None, limits: XsltLimits | None = None
) -> RowTransform:
    """Load, check and compile `rowXslt`; ConfigError lists every problem.

    Compiled here too (not only in the worker), so a syntax error is a config
    error; compiling runs no template, so it needs no limit."""
    origin, source = _load(value, base)
    try:
        document = etree.fromstring(source, _parser())
    except etree.XMLSyntaxError as err:
        raise ConfigError(
            f"rowXslt ({origin}) is not well-formed XML:",
            [f"line {err.lineno}: {err.msg}; fix: correct the stylesheet"],
        ) from None
    problems = _forbidden(document)
    if problems:
        raise ConfigError(f"rowXslt ({origin}) is not allowed:", problems)
    try:
        etree.XSLT(document, access_control=etree.XSLTAccessControl.DENY_ALL)
    except etree.XSLTParseError as err:
        raise ConfigError(
            f"rowXslt ({origin}) is not a valid XSLT 1.0 stylesheet:",
            [_log(err.error_log) or str(err)],
        ) from None
    return RowTransform(source, origin, limits)


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
        name = _forbidden_element(element)
        if name:
            problems.append(
                f"line {element.sourceline}: {name}: rule: {_RULE}; "
                "fix: put everything in one stylesheet and write only the one result document"
            )
        for attr, text in element.attrib.items():
            for function in _forbidden_calls(element, text):
                problems.append(
                    f'line {element.sourceline}: {function} in {attr}="{text}": '
                    f"rule: {_RULE}; fix: use only the invoice rows given as input"
                )
    return problems


def _forbidden_element(element: etree._Element) -> str | None:
    tag = str(element.tag)
    if tag in _FORBIDDEN_ELEMENTS:
        return _FORBIDDEN_ELEMENTS[tag]
    qname = etree.QName(element)
    prefix = _FORBIDDEN_NAMESPACES.get(qname.namespace or "")
    return f"{prefix}:{qname.localname}" if prefix else None


def _forbidden_calls(element: etree._Element, expression: str) -> list[str]:
    """The calls in an XPath expression (or attribute value template) of
    functions that read documents or evaluate XPath built at run time."""
    calls = [f"{m.group(1)}()" for m in _FORBIDDEN_FUNCTIONS.finditer(expression)]
    for match in _PREFIXED_CALL.finditer(expression):
        prefix, local = match.groups()
        namespace = element.nsmap.get(prefix)
        if namespace in _FORBIDDEN_NAMESPACES:
            calls.append(f"{prefix}:{local}()")
    return calls


def _log(error_log: Any) -> str:
    return "; ".join(f"line {e.line}: {e.message}" for e in error_log)
