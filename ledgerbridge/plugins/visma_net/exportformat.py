"""The Opter-style invoice export format: its XSD and its canonical records.

The XSD is `ledgerbridge/schemas/opter-invoice-export.xsd`. This module turns
validated elements into the canonical JSON data of `invoice` and `customer`
records (schemas `invoice.json` and `customer.json` beside the XSD), and rows
back into XML for the row XSLT.

Canonical data holds only what describes the document: nothing about the file
it came from (file name, line, export time), so the same invoice exported
again hashes the same and is not sent twice. For the same reason an invoice's
`customer` holds only what the invoice mapper reads (`INVOICE_CUSTOMER_FIELDS`):
a customer's new phone number must not make an invoice already in Visma.net
look changed. The full customer is the customers flow's record. Amounts and
rates stay decimal strings exactly as exported, so no rounding happens before
the mapper.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree

XSD_RESOURCE = ("ledgerbridge.schemas", "opter-invoice-export.xsd")

INVOICE_CUSTOMER_FIELDS = ("customerCode", "customerNumber", "vatRate", "customerCategory")
"""The customer fields an invoice record carries: what InvoiceMapper reads
(the customer key, the row XSLT's customerCode attribute, and VAT rate and
category for the customer-class pre-flight check)."""

PDF_MAX_BYTES = 25 * 1024 * 1024
"""Largest PDF copy read from an invoice (decoded); a larger one fails that
invoice alone instead of being held in memory and sent."""

_CUSTOMER_FIELDS = (
    ("CustomerNumber", "customerNumber"),
    ("Name", "name"),
    ("OrganisationNumber", "organisationNumber"),
    ("VatNumber", "vatNumber"),
    ("PostalCode", "postalCode"),
    ("City", "city"),
    ("CountryCode", "countryCode"),
    ("Email", "email"),
    ("Phone", "phone"),
    ("CustomerCategory", "customerCategory"),
    ("VatRate", "vatRate"),
    ("PaymentTermsId", "paymentTermsId"),
)
_INVOICE_CUSTOMER_TAGS = tuple(f for f in _CUSTOMER_FIELDS if f[1] in INVOICE_CUSTOMER_FIELDS)
_INVOICE_FIELDS = (
    ("CreditedInvoiceNumber", "creditedInvoiceNumber"),
    ("InvoiceDate", "invoiceDate"),
    ("AccountingDate", "accountingDate"),
    ("DueDate", "dueDate"),
    ("PaymentTermsId", "paymentTermsId"),
    ("Currency", "currency"),
    ("ExchangeRate", "exchangeRate"),
    ("OurReference", "ourReference"),
    ("YourReference", "yourReference"),
    ("Office", "office"),
)
ROW_FIELDS = (
    ("ArticleNumber", "articleNumber"),
    ("Description", "description"),
    ("Quantity", "quantity"),
    ("Unit", "unit"),
    ("UnitPrice", "unitPrice"),
    ("DiscountPercent", "discountPercent"),
    ("Amount", "amount"),
    ("VatRate", "vatRate"),
    ("AccountNumber", "accountNumber"),
)
_TOTAL_FIELDS = (
    ("NetAmount", "netAmount"),
    ("VatAmount", "vatAmount"),
    ("RoundingAmount", "roundingAmount"),
    ("TotalAmount", "totalAmount"),
)


@cache
def export_schema() -> etree.XMLSchema:
    """The compiled XSD (compiled once per process)."""
    package, name = XSD_RESOURCE
    with resources.files(package).joinpath(name).open("rb") as fh:
        return etree.XMLSchema(etree.parse(fh, _safe_parser()))


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def utc_timestamp(text: str) -> str:
    """An xs:dateTime as `YYYY-MM-DDTHH:MM:SSZ` (no zone = UTC), so that
    timestamps compare correctly as strings (the engine's cursor does)."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(parent: etree._Element, name: str) -> str | None:
    child = parent.find(name)
    if child is None or child.text is None:
        return None
    value: str = child.text.strip()
    return value or None


def _texts(parent: etree._Element) -> dict[str, str | None]:
    """Each child's stripped text by tag, in one pass over the children (the
    first child of a tag wins, as `find` does); None for an empty one. One
    pass instead of one `find` per field: a third of a re-read's time was
    the finds."""
    out: dict[str, str | None] = {}
    for child in parent:
        tag = child.tag
        if isinstance(tag, str) and tag not in out:
            text = child.text.strip() if child.text is not None else ""
            out[tag] = text or None
    return out


def _copy_fields(
    texts: Mapping[str, str | None], fields: tuple[tuple[str, str], ...]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tag, key in fields:
        value = texts.get(tag)
        if value is not None:
            out[key] = value
    return out


def header_data(header: etree._Element) -> dict[str, Any]:
    """Export-level facts: created timestamp, scope, period, system currency."""
    period = header.find("Period")
    assert period is not None  # guaranteed by the XSD
    data = {
        "exportCreated": utc_timestamp(_text(header, "ExportCreated") or ""),
        "scope": _text(header, "Scope"),
        "period": {"id": _text(period, "PeriodId"), "createdDate": _text(period, "CreatedDate")},
    }
    currency = _text(header, "SystemCurrency")
    if currency:
        data["systemCurrency"] = currency
    return data


def customer_data(customer: etree._Element) -> dict[str, Any]:
    """Canonical customer data (schema customer.json) from a Customer element."""
    texts = _texts(customer)
    data: dict[str, Any] = {"customerCode": texts.get("CustomerCode")}
    data.update(_copy_fields(texts, _CUSTOMER_FIELDS))
    lines = [texts.get(f"AddressLine{i}") for i in (1, 2, 3)]
    data["addressLines"] = [line for line in lines if line]
    data["changed"] = utc_timestamp(texts.get("Changed") or "")
    return data


def row_data(row: etree._Element) -> dict[str, Any]:
    """Canonical row data from a Row element."""
    data = _copy_fields(_texts(row), ROW_FIELDS)
    data.setdefault("description", "")
    sub = row.find("Subaccount")
    if sub is not None and sub.text and sub.text.strip():
        data["subaccount"] = {"segment": int(sub.get("segment", "1")), "value": sub.text.strip()}
    return data


def rows_data(rows: etree._Element) -> list[dict[str, Any]]:
    return [row_data(row) for row in rows.iterfind("Row")]


def invoice_data(invoice: etree._Element, header: dict[str, Any]) -> dict[str, Any]:
    """Canonical invoice data (schema invoice.json) from an Invoice element."""
    texts = _texts(invoice)
    data: dict[str, Any] = {
        "invoiceNumber": texts.get("InvoiceNumber"),
        "type": "credit" if texts.get("InvoiceType") == "Credit" else "invoice",
        "period": dict(header["period"]),
    }
    data.update(_copy_fields(texts, _INVOICE_FIELDS))
    if "systemCurrency" in header:
        data["systemCurrency"] = header["systemCurrency"]
    customer = invoice.find("Customer")
    rows = invoice.find("Rows")
    totals = invoice.find("Totals")
    assert customer is not None and rows is not None and totals is not None  # XSD
    data["customer"] = invoice_customer(customer)
    data["rows"] = rows_data(rows)
    data["totals"] = _copy_fields(_texts(totals), _TOTAL_FIELDS)
    return data


def invoice_customer(customer: etree._Element) -> dict[str, Any]:
    """The invoice's customer as its record carries it: only
    `INVOICE_CUSTOMER_FIELDS` (see the module docstring for why)."""
    texts = _texts(customer)
    data: dict[str, Any] = {"customerCode": texts.get("CustomerCode")}
    data.update(_copy_fields(texts, _INVOICE_CUSTOMER_TAGS))
    return data


class PdfTooLarge(ValueError):
    """An invoice's PDF copy is over `PDF_MAX_BYTES`."""

    def __init__(self, size: int, limit: int | None = None) -> None:
        self.size = size
        self.limit = PDF_MAX_BYTES if limit is None else limit
        super().__init__(
            f"the PDF copy is {size / 1_048_576:.1f} MB, more than the "
            f"{_megabytes(self.limit)} a PDF copy may have"
        )


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.3g} MB"


def pdf_copy(invoice: etree._Element) -> tuple[str, bytes] | None:
    """(file name, bytes) of the invoice's PDF copy, when the export has one;
    `PdfTooLarge` (checked before decoding) when it is over `PDF_MAX_BYTES`."""
    element = invoice.find("PdfCopy")
    text = element.text if element is not None else None
    if element is None or text is None or not text.strip():
        return None
    # the size is checked before any copy of the text is made (it may be 40 MB)
    length = len(text) - sum(text.count(space) for space in " \t\r\n")
    size = length // 4 * 3 - (len(text.rstrip()) - len(text.rstrip().rstrip("=")))
    if size > PDF_MAX_BYTES:
        raise PdfTooLarge(size, PDF_MAX_BYTES)
    blob = base64.b64decode("".join(text.split()), validate=True)
    return element.get("fileName", "invoice.pdf"), blob


def rows_to_xml(rows: list[dict[str, Any]], attributes: dict[str, str]) -> etree._Element:
    """Rows as the XML the row XSLT receives (see xslt.py for the contract)."""
    root = etree.Element("Rows", {k: v for k, v in attributes.items() if v is not None})
    for index, row in enumerate(rows, start=1):
        element = etree.SubElement(root, "Row", index=str(index))
        for tag, key in ROW_FIELDS:
            if key in row:
                etree.SubElement(element, tag).text = str(row[key])
        sub = row.get("subaccount")
        if sub:
            node = etree.SubElement(element, "Subaccount", segment=str(sub["segment"]))
            node.text = sub["value"]
    return root
