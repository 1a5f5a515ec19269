"""Builders for Opter-style export documents and PDFs used by the visma_net tests."""

from __future__ import annotations

import base64
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape


@dataclass
class Row:
    description: str = "Frakt Göteborg–Oslo"
    quantity: str = "1"
    unit_price: str = "1000.00"
    amount: str = "1000.00"
    vat_rate: str = "25%"
    account: str = "3010"
    article: str | None = "FRAKT"
    unit: str | None = "st"
    discount: str | None = None
    subaccount: str | None = None

    def xml(self) -> str:
        parts = []
        if self.article:
            parts.append(f"<ArticleNumber>{self.article}</ArticleNumber>")
        parts.append(f"<Description>{escape(self.description)}</Description>")
        parts.append(f"<Quantity>{self.quantity}</Quantity>")
        if self.unit:
            parts.append(f"<Unit>{self.unit}</Unit>")
        parts.append(f"<UnitPrice>{self.unit_price}</UnitPrice>")
        if self.discount is not None:
            parts.append(f"<DiscountPercent>{self.discount}</DiscountPercent>")
        parts.append(f"<Amount>{self.amount}</Amount>")
        parts.append(f"<VatRate>{escape(self.vat_rate)}</VatRate>")
        parts.append(f"<AccountNumber>{self.account}</AccountNumber>")
        if self.subaccount:
            parts.append(f'<Subaccount segment="1">{self.subaccount}</Subaccount>')
        return "<Row>" + "".join(parts) + "</Row>"


@dataclass
class Customer:
    code: str = "ACME"
    number: str | None = "10001"
    name: str = "Åkeri Öst AB"
    org_no: str | None = "556677-8899"
    vat_no: str | None = "SE556677889901"
    address: Sequence[str] = ("Storgatan 1",)
    postal_code: str | None = "411 01"
    city: str | None = "Göteborg"
    country: str = "SE"
    email: str | None = "faktura@akeri.example"
    phone: str | None = "+46 31 123 45"
    category: str | None = "TRANSP"
    vat_rate: str | None = "25%"
    terms: str | None = "30"
    changed: str = "2024-05-20T10:00:00"

    def xml(self) -> str:
        optional = [
            ("CustomerNumber", self.number),
            ("Name", self.name),
            ("OrganisationNumber", self.org_no),
            ("VatNumber", self.vat_no),
        ]
        optional += [(f"AddressLine{i}", line) for i, line in enumerate(self.address, start=1)]
        optional += [
            ("PostalCode", self.postal_code),
            ("City", self.city),
            ("CountryCode", self.country),
            ("Email", self.email),
            ("Phone", self.phone),
            ("CustomerCategory", self.category),
            ("VatRate", self.vat_rate),
            ("PaymentTermsId", self.terms),
            ("Changed", self.changed),
        ]
        body = "".join(f"<{t}>{escape(v)}</{t}>" for t, v in optional if v is not None)
        return f"<Customer><CustomerCode>{escape(self.code)}</CustomerCode>{body}</Customer>"


@dataclass
class Invoice:
    number: str = "10023"
    kind: str = "Invoice"
    credits: str | None = None
    invoice_date: str = "2024-05-31"
    accounting_date: str = "2024-05-31"
    due_date: str = "2024-06-30"
    terms: str = "30"
    currency: str = "SEK"
    rate: str = "1"
    our_ref: str | None = "Anna Andersson"
    your_ref: str | None = "PO-4711"
    office: str | None = "GBG"
    customer: Customer = field(default_factory=Customer)
    rows: Sequence[Row] = field(default_factory=lambda: [Row()])
    pdf: bytes | None = None
    extra: str = ""

    def xml(self) -> str:
        head = [
            f"<InvoiceNumber>{escape(self.number)}</InvoiceNumber>",
            f"<InvoiceType>{self.kind}</InvoiceType>",
        ]
        if self.credits:
            head.append(f"<CreditedInvoiceNumber>{self.credits}</CreditedInvoiceNumber>")
        head += [
            f"<InvoiceDate>{self.invoice_date}</InvoiceDate>",
            f"<AccountingDate>{self.accounting_date}</AccountingDate>",
            f"<DueDate>{self.due_date}</DueDate>",
            f"<PaymentTermsId>{self.terms}</PaymentTermsId>",
            f"<Currency>{self.currency}</Currency>",
            f"<ExchangeRate>{self.rate}</ExchangeRate>",
        ]
        for tag, value in (
            ("OurReference", self.our_ref),
            ("YourReference", self.your_ref),
            ("Office", self.office),
        ):
            if value is not None:
                head.append(f"<{tag}>{escape(value)}</{tag}>")
        net = sum(float(r.amount) for r in self.rows)
        totals = (
            f"<Totals><NetAmount>{net:.2f}</NetAmount><VatAmount>{net * 0.25:.2f}</VatAmount>"
            f"<TotalAmount>{net * 1.25:.2f}</TotalAmount></Totals>"
        )
        pdf = ""
        if self.pdf is not None:
            pdf = (
                f'<PdfCopy fileName="faktura-{self.number}.pdf">'
                f"{base64.b64encode(self.pdf).decode()}</PdfCopy>"
            )
        rows = "<Rows>" + "".join(r.xml() for r in self.rows) + "</Rows>"
        return (
            "<Invoice>\n"
            + "".join(head)
            + "\n"
            + self.customer.xml()
            + "\n"
            + rows
            + "\n"
            + totals
            + pdf
            + self.extra
            + "\n</Invoice>\n"
        )


def export_xml(
    invoices: Sequence[Invoice] = (),
    *,
    created: str = "2024-06-01T08:15:00",
    period: str = "2024-05",
    period_created: str = "2024-06-01",
    scope: str = "Period",
    encoding: str | None = "UTF-8",
    body: str | None = None,
) -> str:
    declaration = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n' if encoding else '<?xml version="1.0"?>\n'
    )
    header = (
        f"<Header><ExportCreated>{created}</ExportCreated><Scope>{scope}</Scope>"
        f"<Period><PeriodId>{period}</PeriodId><CreatedDate>{period_created}</CreatedDate>"
        "</Period><SystemCurrency>SEK</SystemCurrency></Header>\n"
    )
    content = body if body is not None else "".join(i.xml() for i in invoices)
    return declaration + '<InvoiceExport version="1">\n' + header + content + "</InvoiceExport>\n"


def write_export(folder: Path, name: str, text: str, codec: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(codec))
    return path


def make_pdf(
    lines: Sequence[str] = ("Faktura 10023",), *, compress: bool = False, metadata: bool = True
) -> bytes:
    """A small valid PDF (classic xref) with Helvetica text, optionally with
    an uncompressed content stream and XMP metadata, as invoice printers write."""
    content = (
        "BT /F1 11 Tf 50 780 Td 14 TL\n" + "".join(f"({line}) Tj T*\n" for line in lines) + "ET\n"
    )
    stream = content.encode("latin-1")
    filt = b""
    if compress:
        stream, filt = zlib.compress(stream, 1), b" /Filter /FlateDecode"
    xmp = (
        b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        + b" " * 2000
        + b'</x:xmpmeta><?xpacket end="w"?>'
    )
    catalog = (
        b"<< /Type /Catalog /Pages 2 0 R" + (b" /Metadata 6 0 R" if metadata else b"") + b" >>"
    )
    objects = [
        catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d%s >>\nstream\n" % (len(stream), filt) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(xmp)
        + xmp
        + b"\nendstream",
        b"<< /Producer (Opter Report Engine) /Title (Faktura) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 7 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
