"""Realistic Opter-style export files, generated: for the demo, benchmarks and
load tests. Written invoice by invoice, so a 100,000-invoice period never
sits in memory.
"""

from __future__ import annotations

import base64
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

CUSTOMERS = [
    (
        "ACME",
        "10001",
        "Åkeri Öst AB",
        "556677-8899",
        "Storgatan 1",
        "411 01",
        "Göteborg",
        "SE",
        "TRANSP",
        "25%",
    ),
    (
        "NORD",
        "10002",
        "Nordfrakt Logistik AB",
        "556123-4567",
        "Hamngatan 12",
        "211 22",
        "Malmö",
        "SE",
        "TRANSP",
        "25%",
    ),
    (
        "FJORD",
        "10003",
        "Fjordtransport AS",
        "987654321",
        "Bryggen 3",
        "5003",
        "Bergen",
        "NO",
        "EXPORT",
        "EU",
    ),
    (
        "DANSK",
        "10004",
        "Dansk Gods ApS",
        "DK12345678",
        "Vesterbrogade 9",
        "1620",
        "København",
        "DK",
        "EXPORT",
        "EU",
    ),
    (
        "SKOG",
        "10005",
        "Skogsbolaget i Norr AB",
        "556999-0001",
        "Sågvägen 4",
        "901 30",
        "Umeå",
        "SE",
        "SKOG",
        "12%",
    ),
]
ARTICLES = [
    ("FRAKT", "Frakt Göteborg–Oslo", "3010", "25%"),
    ("BRÄNSLE", "Bränsletillägg", "3011", "25%"),
    ("LAGER", "Lagerhållning pall/dygn", "3040", "25%"),
    ("TULL", "Tullhantering", "3001", "0%"),
    ("TIMME", "Chaufförstimme", "3000", "25%"),
]


@dataclass
class PeriodSpec:
    period: str = "2024-05"
    invoices: int = 25
    rows: int = 5
    pdf: bool = True
    first_number: int = 10001
    seed: int = 7
    credit_every: int = 12  # every 12th document credits the one before it
    bad_vat_rate: str | None = None  # put this VAT rate on one invoice's row (demo errors)


def write_period(path: Path, spec: PeriodSpec) -> Path:
    """Write one period's export file; returns its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created = f"{_next_month(spec.period)}-01T06:00:00"
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<InvoiceExport version="1">\n')
        fh.write(
            f"<Header><ExportCreated>{created}</ExportCreated><Scope>Period</Scope>"
            f"<Period><PeriodId>{spec.period}</PeriodId><CreatedDate>{created[:10]}</CreatedDate>"
            "</Period><SystemCurrency>SEK</SystemCurrency></Header>\n"
        )
        for chunk in _invoices(spec):
            fh.write(chunk)
        fh.write("</InvoiceExport>\n")
    return path


def _invoices(spec: PeriodSpec) -> Iterator[str]:
    rng = random.Random(spec.seed)
    last_date = f"{spec.period}-28"
    for i in range(spec.invoices):
        number = str(spec.first_number + i)
        credit = bool(spec.credit_every) and i % spec.credit_every == spec.credit_every - 1
        customer = CUSTOMERS[i % len(CUSTOMERS)]
        rows = [_row(rng, customer, credit) for _ in range(spec.rows)]
        if spec.bad_vat_rate and i == spec.invoices // 2:
            rows[-1] = rows[-1].replace(
                f"<VatRate>{customer[9]}</VatRate>", f"<VatRate>{spec.bad_vat_rate}</VatRate>"
            )
        foreign = customer[7] != "SE"
        yield _invoice(spec, number, credit, customer, rows, foreign, last_date)


def _row(rng: random.Random, customer: tuple[str, ...], credit: bool) -> str:
    article, text, account, rate = ARTICLES[rng.randrange(len(ARTICLES))]
    rate = customer[9] if customer[9] in ("EU", "12%") else rate
    qty = rng.randint(1, 12)
    price = rng.choice([95.0, 450.0, 1250.0, 2890.0, 640.0])
    amount = qty * price * (-1 if credit else 1)
    return (
        f"<Row><ArticleNumber>{escape(article)}</ArticleNumber><Description>{escape(text)}"
        f"</Description><Quantity>{qty}</Quantity><Unit>st</Unit><UnitPrice>{price:.2f}</UnitPrice>"
        f"<Amount>{amount:.2f}</Amount><VatRate>{escape(rate)}</VatRate>"
        f"<AccountNumber>{account}</AccountNumber></Row>"
    )


def _invoice(
    spec: PeriodSpec,
    number: str,
    credit: bool,
    c: tuple[str, ...],
    rows: list[str],
    foreign: bool,
    date: str,
) -> str:
    currency, rate = {"NO": ("NOK", "0.9812"), "DK": ("DKK", "1.5530")}.get(c[7], ("SEK", "1"))
    credits = f"<CreditedInvoiceNumber>{int(number) - 1}</CreditedInvoiceNumber>" if credit else ""
    pdf = ""
    if spec.pdf:
        blob = base64.b64encode(make_pdf(f"Faktura {number}")).decode()
        pdf = f'<PdfCopy fileName="faktura-{number}.pdf">{blob}</PdfCopy>'
    customer = (
        f"<Customer><CustomerCode>{c[0]}</CustomerCode><CustomerNumber>{c[1]}</CustomerNumber>"
        f"<Name>{escape(c[2])}</Name><OrganisationNumber>{c[3]}</OrganisationNumber>"
        f"<AddressLine1>{escape(c[4])}</AddressLine1><PostalCode>{c[5]}</PostalCode>"
        f"<City>{escape(c[6])}</City><CountryCode>{c[7]}</CountryCode>"
        f"<Email>faktura@{c[0].lower()}.example</Email><CustomerCategory>{c[8]}</CustomerCategory>"
        f"<VatRate>{escape(c[9])}</VatRate><PaymentTermsId>30</PaymentTermsId>"
        f"<Changed>{spec.period}-02T09:00:00</Changed></Customer>"
    )
    return (
        f"<Invoice><InvoiceNumber>{number}</InvoiceNumber>"
        f"<InvoiceType>{'Credit' if credit else 'Invoice'}</InvoiceType>{credits}"
        f"<InvoiceDate>{date}</InvoiceDate><AccountingDate>{date}</AccountingDate>"
        f"<DueDate>{_next_month(spec.period)}-27</DueDate><PaymentTermsId>30</PaymentTermsId>"
        f"<Currency>{currency if foreign else 'SEK'}</Currency><ExchangeRate>{rate}</ExchangeRate>"
        f"<OurReference>Anna Andersson</OurReference><YourReference>PO-{number}</YourReference>"
        f"{customer}<Rows>{''.join(rows)}</Rows>{_totals(rows)}{pdf}</Invoice>\n"
    )


_AMOUNT = re.compile(r"<Amount>(-?[0-9.]+)</Amount><VatRate>([^<]*)</VatRate>")
_RATES = {"25%": 0.25, "12%": 0.12, "6%": 0.06}


def _totals(rows: list[str]) -> str:
    net = vat = 0.0
    for row in rows:
        for amount, rate in _AMOUNT.findall(row):
            net += float(amount)
            vat += float(amount) * _RATES.get(rate, 0.0)
    return (
        f"<Totals><NetAmount>{net:.2f}</NetAmount><VatAmount>{vat:.2f}</VatAmount>"
        f"<TotalAmount>{net + vat:.2f}</TotalAmount></Totals>"
    )


def make_pdf(text: str) -> bytes:
    """A small, valid one-page PDF with the invoice's title."""
    content = f"BT /F1 14 Tf 60 780 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _next_month(period: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    return f"{year + month // 12}-{month % 12 + 1:02d}"
