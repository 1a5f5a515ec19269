"""visma_net end to end: Opter export files -> engine -> the emulated Visma.net.

Every test writes export files, points a tenant at the in-process emulator
and asserts on what Visma.net received (emulator state and request journal)
and on the run summary. No network (the CLI tests use the sandbox on
loopback), no sleeping (FakeClock)."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from e2e_support import (
    REAL_TENANT_ID,
    MakeEnv,
    VismaEnv,
    errors_by_record,
    one,
    sent,
)
from vn_builders import Customer, Invoice, Row, export_xml, make_pdf, write_export
from vn_support import SAMPLES

from ledgerbridge.core.cli import make_cli
from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.errors import ConfigError
from ledgerbridge.plugins.visma_net.api import REJECTED
from ledgerbridge.plugins.visma_net.emulator.testing import connection
from ledgerbridge.plugins.visma_net.pdf import reduce_pdf

# Every invoice field a Start text setting controls: absent unless set.
START_TEXT_FIELDS = {
    "overrideNumberSeries",
    "dontEmail",
    "dontPrint",
    "sendToAutoInvoice",
    "paymentMethodId",
    "financialPeriod",
    "exchangeRate",
}


def ts(text: str) -> float:
    """Epoch seconds of a UTC timestamp, for FakeClock."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def eur_invoice(number: str = "10023", **kwargs: Any) -> Invoice:
    """An invoice whose dates make CreateDate and AccountingDate differ."""
    return Invoice(number, currency="EUR", rate="11.4892", accounting_date="2024-05-31", **kwargs)


# -- 1. Start text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start_text", "emulator", "document_number", "sent"),
    [
        (
            "overrideNumberSeries=true",
            {},
            "10023",
            {"referenceNumber": "10023", "overrideNumberSeries": True},
        ),
        ("overrideNumberSeries=false", {}, "100001", {"overrideNumberSeries": False}),
        # not given: the number is offered, Visma.net's series setting decides
        ("", {}, "100001", {"referenceNumber": "10023"}),
        ("", {"manual_numbering": True}, "10023", {"referenceNumber": "10023"}),
    ],
)
def test_override_number_series_decides_the_document_number(
    make_env: MakeEnv,
    start_text: str,
    emulator: dict[str, Any],
    document_number: str,
    sent: dict[str, Any],
) -> None:
    env = make_env(settings=emulator, startText=start_text)
    env.export([Invoice("10023")])
    assert env.run().status == "succeeded"
    doc = one(env.docs("invoices", "10023"))
    assert doc["referenceNumber"] == document_number
    received = doc["received"]
    assert {
        k: received[k] for k in ("referenceNumber", "overrideNumberSeries") if k in received
    } == sent


@pytest.mark.parametrize(
    ("start_text", "field", "value"),
    [
        ("dontEmail=true", "dontEmail", True),
        ("dontEmail=false", "dontEmail", False),
        ("dontPrint=true", "dontPrint", True),
        ("dontPrint=false", "dontPrint", False),
        ("sendToAutoInvoice=true", "sendToAutoInvoice", True),
        ("paymentMethodId=OCR", "paymentMethodId", "OCR"),
        ("periodDateSource=CreateDate", "financialPeriod", "202406"),
        ("periodDateSource=AccountingDate", "financialPeriod", "202405"),
        ("includeExchangeRate=true", "exchangeRate", 11.4892),
        ("includeExchangeRate=false", None, None),
        ("", None, None),
    ],
)
def test_each_start_text_setting_reaches_the_invoice_and_omitted_ones_are_absent(
    make_env: MakeEnv, start_text: str, field: str | None, value: Any
) -> None:
    env = make_env(startText=start_text)
    # the period was created 2024-06-01, the invoice's accounting date is 2024-05-31
    env.export([eur_invoice()], period_created="2024-06-01")
    assert env.run().status == "succeeded"
    doc = one(env.docs("invoices", "10023"))
    received = doc["received"]
    if field is not None:
        assert received[field] == value
    assert not (START_TEXT_FIELDS - {field, "overrideNumberSeries"}) & received.keys()
    assert "overrideNumberSeries" not in received  # not given in any of these cases
    if field == "financialPeriod":
        assert doc["financialPeriod"] == value
    if field == "paymentMethodId":
        assert doc["paymentMethod"]["id"] == "OCR"


@pytest.mark.parametrize(
    ("start_text", "customer_class"),
    [
        ("", None),
        ("useCustomerClass=false", None),
        ("useCustomerClass=true", "TRANSP"),  # the customer category in Opter
        ("vatCustomerClassMapping={“25%”: “10”, “EU”: “20”}", "10"),  # pasted quotes
        ('useCustomerClass=true\nvatCustomerClassMapping={"EU": "20"}', "TRANSP"),
    ],
)
def test_customer_class_settings_reach_the_customer(
    make_env: MakeEnv, start_text: str, customer_class: str | None
) -> None:
    env = make_env(startText=start_text)
    env.export([Invoice("10023", customer=Customer(category="TRANSP", vat_rate="25%"))])
    assert env.run().status == "succeeded"
    customer = one(list(env.state.customers))
    assert customer["received"].get("customerClassId") == customer_class
    assert (customer["customerClass"] or {}).get("id") == customer_class
    # the class is a customer property: never on the invoice
    assert "customerClassId" not in env.invoice("10023")


def test_structured_start_text_settings_work_like_the_pasted_lines(make_env: MakeEnv) -> None:
    env = make_env(
        startTextSettings={
            "overrideNumberSeries": True,
            "dontEmail": True,
            "paymentMethodId": "BG",
            "periodDateSource": "AccountingDate",
            "useCustomerClass": True,
        }
    )
    env.export([eur_invoice()], period_created="2024-06-01")
    assert env.run().status == "succeeded"
    doc = one(env.docs("invoices", "10023"))
    received = doc["received"]
    assert doc["referenceNumber"] == "10023"
    assert (received["overrideNumberSeries"], received["dontEmail"]) == (True, True)
    assert (received["paymentMethodId"], received["financialPeriod"]) == ("BG", "202405")
    assert not {"dontPrint", "sendToAutoInvoice", "exchangeRate"} & received.keys()
    assert one(list(env.state.customers))["received"]["customerClassId"] == "TRANSP"


def test_disable_customer_export_sends_no_customer_and_fails_only_the_unknown_one(
    make_env: MakeEnv,
) -> None:
    env = make_env(
        settings={"customers": [{"number": "ACME", "name": "Åkeri Öst AB"}]},
        startText="disableCustomerExport=true",
    )
    ghost = Customer(code="GHOST", name="Ghost AB")
    env.export([Invoice("10023"), Invoice("10024", customer=ghost)])
    summary = env.run()
    assert [f.name for f in summary.flows] == ["invoices"]
    assert (summary.succeeded, summary.failed) == (1, 1)
    assert env.sandbox.journal.find(path_startswith="/v1/customer", method="POST") == []
    assert env.sandbox.journal.find(method="PUT") == []
    assert env.invoice("10023")["customerNumber"] == "ACME"
    assert env.docs("invoices", "10024") == []
    err = errors_by_record(summary)["invoice 10024"]
    assert err["message"] == (
        "invoice 10024: Customer GHOST does not exist in Visma.net and the customer export "
        "is disabled"
    )
    assert (err["field"], err["value"], err["retryable"]) == ("customer", "GHOST", False)
    assert "create customer GHOST in Visma.net" in err["fix"]


# -- 2. Other settings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("office_code", "sent_branch", "booked_branch"),
    [("12345-2", "2", "2"), ("12345", None, "1")],  # no branch: Visma.net's main branch
)
def test_office_code_branch_is_sent_as_branch_number(
    make_env: MakeEnv, office_code: str, sent_branch: str | None, booked_branch: str
) -> None:
    env = make_env(officeCode=office_code)
    env.export([Invoice("10023"), Invoice("10024", kind="Credit", credits="10023")])
    assert env.run().status == "succeeded"
    for table, number in (("invoices", "10023"), ("credit_notes", "10024")):
        doc = one(env.docs(table, number))
        assert doc["received"].get("branchNumber") == sent_branch
        assert doc["branchNumber"]["number"] == booked_branch


def test_use_customer_number_matches_and_creates_customers_by_number(make_env: MakeEnv) -> None:
    env = make_env(
        settings={"customers": [{"number": "10001", "name": "Åkeri Öst AB"}]},
        useCustomerNumber=True,
    )
    nord = Customer(code="NORD", number="10002", name="Nordfrakt Logistik AB")
    env.export([Invoice("10023"), Invoice("10024", customer=nord)])
    summary = env.run()
    assert (summary.succeeded, summary.failed) == (4, 0)  # 2 customers (1 matched), 2 invoices
    assert (summary.flows[0].created, summary.flows[0].updated) == (1, 0)
    created = one(env.posts("/v1/customer"))
    assert created.body["number"] == {"value": "10002"}
    assert sorted(c["number"] for c in env.state.customers) == ["10001", "10002"]
    assert env.invoice("10023")["customerNumber"] == "10001"
    assert env.invoice("10024")["customerNumber"] == "10002"


@pytest.mark.parametrize("include", [True, False])
def test_include_pdf_copy_attaches_the_exact_pdf(make_env: MakeEnv, include: bool) -> None:
    pdf = make_pdf(["Faktura 10023", "Åkeri Öst AB"])
    credit_pdf = make_pdf(["Kreditfaktura 10024"])
    env = make_env(includePdfCopy=include)
    env.export(
        [
            Invoice("10023", pdf=pdf),
            Invoice("10024", kind="Credit", credits="10023", pdf=credit_pdf),
        ]
    )
    assert env.run().status == "succeeded"
    attachments = {a["document"]: a for a in env.state.attachments}
    if not include:
        assert attachments == {}
        assert env.sandbox.journal.find(path_glob="*/attachment") == []
        return
    invoice_number = one(env.docs("invoices", "10023"))["referenceNumber"]
    credit_number = one(env.docs("credit_notes", "10024"))["referenceNumber"]
    assert sorted(attachments) == [f"credit_note:{credit_number}", f"invoice:{invoice_number}"]
    first = attachments[f"invoice:{invoice_number}"]
    assert (first["name"], first["contentType"]) == ("faktura-10023.pdf", "application/pdf")
    assert first["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert first["size"] == len(pdf)
    assert (
        attachments[f"credit_note:{credit_number}"]["sha256"]
        == hashlib.sha256(credit_pdf).hexdigest()
    )


def test_reduce_pdf_size_attaches_a_smaller_pdf(make_env: MakeEnv) -> None:
    pdf = make_pdf(
        [f"Rad {i}: Frakt Göteborg-Oslo 1 250,00" for i in range(40)], compress=False, metadata=True
    )
    env = make_env(includePdfCopy=True, reducePdfSize=True)
    env.export([Invoice("10023", pdf=pdf)])
    assert env.run().status == "succeeded"
    attached = one(list(env.state.attachments))
    assert attached["size"] < len(pdf) * 0.8
    assert attached["sha256"] == hashlib.sha256(reduce_pdf(pdf)).hexdigest()


@pytest.mark.parametrize(
    ("declaration", "config_encoding"),
    [("windows-1252", "UTF-8"), (None, "Windows-1252")],
    ids=["declared-in-file", "from-config"],
)
def test_windows_1252_file_arrives_with_its_letters(
    make_env: MakeEnv, declaration: str | None, config_encoding: str
) -> None:
    env = make_env(encoding=config_encoding)
    customer = Customer(name="Älvsjö Åkeri AB", city="Göteborg")
    row = Row(description="Frakt Göteborg–Oslo, bränsletillägg")
    env.export(
        [Invoice("10023", customer=customer, rows=[row])], encoding=declaration, codec="cp1252"
    )
    assert env.run().status == "succeeded"
    received = one(list(env.state.customers))["received"]
    assert received["name"] == "Älvsjö Åkeri AB"
    assert received["mainAddress"]["city"] == "Göteborg"
    line = one(env.invoice("10023")["invoiceLines"])
    assert line["description"] == "Frakt Göteborg–Oslo, bränsletillägg"


def test_vat_codes_match_exactly_and_a_code_visma_lacks_fails_preflight(
    make_env: MakeEnv,
) -> None:
    env = make_env(vatCodes={"25%": "1", "12%": "02"})  # "1" is not Visma.net's "01"
    env.export(
        [
            Invoice("10023"),
            Invoice("10024", rows=[Row(vat_rate="12%", account="3002")]),
        ]
    )
    summary = env.run()
    assert (summary.succeeded, summary.failed) == (2, 1)
    assert one(env.posts("/v2/customerinvoice")).body["externalReference"] == {"value": "10024"}
    assert one(env.invoice("10024")["invoiceLines"])["vatCodeId"] == "02"
    err = errors_by_record(summary)["invoice 10023"]
    assert err["message"] == (
        "invoice 10023: VAT code '1' is not one of Visma.net's VAT codes; "
        "Visma.net has '01', and '1' is not '01'"
    )
    assert (err["field"], err["value"]) == ("invoiceLines[1].vatCodeId", "1")
    assert "exactly as it appears in Visma.net, e.g. 01" in err["fix"]


MERGE_ROWS = """<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/Rows">
    <Rows>
      <Row>
        <Description>Transport enligt bilaga (<xsl:value-of select="count(Row)"/> rader)<!--
        --></Description>
        <Quantity>1</Quantity>
        <UnitPrice><xsl:value-of select="sum(Row/Amount)"/></UnitPrice>
        <Amount><xsl:value-of select="sum(Row/Amount)"/></Amount>
        <VatRate><xsl:value-of select="Row[1]/VatRate"/></VatRate>
        <AccountNumber><xsl:value-of select="Row[1]/AccountNumber"/></AccountNumber>
      </Row>
    </Rows>
  </xsl:template>
</xsl:stylesheet>"""


@pytest.mark.parametrize(
    ("xslt", "expected"),
    [
        (  # the shipped example: article prefix, zero rows dropped
            str(SAMPLES / "row-xslt-example.xsl"),
            [
                ("FRAKT: Frakt Göteborg–Oslo", 2.0, 500.0, "3010"),
                ("TULL: Tullhantering", 1.0, 300.0, "3001"),
            ],
        ),
        (MERGE_ROWS, [("Transport enligt bilaga (3 rader)", 1.0, 1300.0, "3010")]),
    ],
    ids=["rename-and-drop", "merge"],
)
def test_row_xslt_reshapes_the_rows_visma_receives(
    make_env: MakeEnv, xslt: str, expected: list[tuple[str, float, float, str]]
) -> None:
    env = make_env(rowXslt=xslt)
    rows = [
        Row(quantity="2", unit_price="500.00", amount="1000.00"),
        Row(description="Avgift", article=None, unit_price="0.00", amount="0.00"),
        Row(
            description="Tullhantering",
            article="TULL",
            unit_price="300.00",
            amount="300.00",
            vat_rate="0%",
            account="3001",
        ),
    ]
    env.export([Invoice("10023", rows=rows)])
    summary = env.run()
    assert summary.status == "succeeded", summary.errors
    lines = env.invoice("10023")["invoiceLines"]
    got = [
        (ln["description"], ln["quantity"], ln["unitPriceInCurrency"], ln["accountNumber"])
        for ln in lines
    ]
    assert got == expected
    assert [ln["lineNumber"] for ln in lines] == list(range(1, len(expected) + 1))


# -- 3. Customers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visma_modified", "start_text", "updated"),
    [
        ("2024-05-10T00:00:00", "", True),  # Opter changed it on 2024-05-20: newer
        ("2024-05-25T00:00:00", "", False),  # Visma.net changed it after Opter did
        ("2024-05-20T10:00:00", "", False),  # same moment: Visma.net's stays
        ("2024-05-10T00:00:00", "disableCustomerUpdate=true", False),
    ],
)
def test_customers_are_created_when_missing_and_updated_only_when_opter_is_newer(
    make_env: MakeEnv, visma_modified: str, start_text: str, updated: bool
) -> None:
    clock = FakeClock(ts(visma_modified))
    env = make_env(
        settings={"customers": [{"number": "ACME", "name": "Åkeri Öst (gammalt namn)"}]},
        clock=clock,
        startText=start_text,
    )
    clock.advance(ts("2024-06-02T00:00:00") - clock.now())
    acme = Customer(name="Åkeri Öst AB", changed="2024-05-20T10:00:00")
    nord = Customer(code="NORD", number="10002", name="Nordfrakt Logistik AB")
    env.export([Invoice("10023", customer=acme), Invoice("10024", customer=nord)])
    summary = env.run()
    assert summary.status == "succeeded"
    customers = summary.flows[0]
    assert (customers.name, customers.created, customers.updated) == ("customers", 1, int(updated))
    # missing: created, whatever disableCustomerUpdate says
    assert one(env.posts("/v1/customer")).body["number"] == {"value": "NORD"}
    puts = env.sandbox.journal.find(method="PUT")
    stored = env.state.customers.get("ACME")
    assert stored is not None
    if updated:
        assert [p.path for p in puts] == ["/v1/customer/ACME"]
        assert stored["name"] == "Åkeri Öst AB"
        assert stored["lastModifiedDateTime"] == "2024-06-02T00:00:00Z"
    else:
        assert puts == []
        assert stored["name"] == "Åkeri Öst (gammalt namn)"
    assert env.invoice("10023")["customerNumber"] == "ACME"


# -- 4. Credit invoices ------------------------------------------------------------------


def test_credit_invoice_becomes_a_credit_note(make_env: MakeEnv) -> None:
    env = make_env(
        startText="overrideNumberSeries=true\npaymentMethodId=BG\nincludeExchangeRate=true",
        includePdfCopy=True,
    )
    credit_rows = [Row(quantity="-2", unit_price="500.00", amount="-1000.00")]
    pdf = make_pdf(["Kreditfaktura 10024"])
    env.export(
        [
            Invoice("10023"),
            Invoice("10024", kind="Credit", credits="10023", rows=credit_rows, pdf=pdf),
        ]
    )
    summary = env.run()
    assert summary.status == "succeeded"
    assert [e.body["externalReference"] for e in env.posts("/v2/customerinvoice")] == [
        {"value": "10023"}
    ]
    note = one(env.docs("credit_notes", "10024"))
    assert note["documentType"] == "CreditNote" and note["referenceNumber"] == "10024"
    received = note["received"]
    assert received["invoiceText"] == "Credit of invoice 10023"
    # the credit note DTO has neither payment method nor exchange rate
    assert not {"paymentMethodId", "exchangeRate", "invoiceLines"} & received.keys()
    line = one(received["lines"])
    assert (line["quantity"], line["unitPriceInCurrency"]) == (2.0, 500.0)
    assert note["amountInCurrency"] == 1250.0
    assert env.docs("invoices", "10024") == []
    attached = one(env.sandbox.journal.find(method="POST", path_glob="*/attachment"))
    assert attached.path == "/v1/customerCreditNote/10024/attachment"


# -- 5. Bad input ------------------------------------------------------------------------


def test_malformed_file_and_invalid_invoice_fail_alone(make_env: MakeEnv) -> None:
    env = make_env()
    broken = export_xml([Invoice("10020")], created="2024-06-01T07:00:00")
    broken = broken.replace("</Invoice>", "</Invoic>", 1)
    write_export(env.folder, "broken.xml", broken)
    bad_quantity = Invoice("10032", rows=[Row(quantity="två")])
    env.export([Invoice("10031"), bad_quantity, Invoice("10033")], name="good.xml")
    summary = env.run()
    assert sorted(d["received"]["externalReference"] for d in env.state.invoices) == [
        "10031",
        "10033",
    ]
    errors = errors_by_record(summary)
    malformed = errors["invoice broken.xml"]
    assert malformed["message"].startswith("file broken.xml, line ")
    assert "is not well-formed XML" in malformed["message"]
    assert malformed["rule"] == "an export file must be well-formed XML"
    assert malformed["fix"]
    invalid = errors["invoice 10032"]
    assert invalid["message"].startswith("file good.xml, line ")
    assert "invoice 10032 does not follow the export format" in invalid["message"]
    assert invalid["field"] == "Rows/Row/Quantity"
    assert "opter-invoice-export.xsd" in invalid["rule"]
    assert summary.flows[1].failed == 2 and summary.flows[1].succeeded == 2


def test_unknown_vat_rate_fails_that_invoice_with_the_fix(make_env: MakeEnv) -> None:
    env = make_env()
    env.export([Invoice("10023", rows=[Row(), Row(vat_rate="7%")]), Invoice("10024")])
    summary = env.run()
    assert (summary.flows[1].succeeded, summary.flows[1].failed) == (1, 1)
    assert [d["received"]["externalReference"] for d in env.state.invoices] == ["10024"]
    err = errors_by_record(summary)["invoice 10023"]
    assert err["message"] == "VAT rate '7%' has no Visma.net VAT code"
    assert (err["field"], err["value"]) == ("rows[2].vatRate", "7%")
    assert "matched exactly as text" in err["rule"]
    assert err["fix"].startswith('add "7%": "<code>" to vatCodes')


def test_too_long_customer_name_fails_the_customer_and_its_invoices_only(
    make_env: MakeEnv,
) -> None:
    env = make_env()
    long_name = "Långa Namnets Åkeri AB" + "x" * 278  # 300 characters
    env.export([Invoice("10023", customer=Customer(code="LONG", name=long_name)), Invoice("10024")])
    summary = env.run()
    assert [c["number"] for c in env.state.customers] == ["ACME"]
    assert [d["received"]["externalReference"] for d in env.state.invoices] == ["10024"]
    errors = errors_by_record(summary)
    err = errors["customer LONG"]
    assert err["message"] == "customer name is 300 characters long; Visma.net allows 255"
    assert (err["field"], err["rule"]) == ("name", "name may have at most 255 characters")
    assert "shorten the customer's name" in err["fix"]
    follow = errors["invoice 10023"]
    assert "Customer LONG could not be transferred to Visma.net" in follow["message"]
    assert follow["fix"]


@pytest.mark.parametrize(
    ("settings", "config", "message", "fields", "fixes"),
    [
        (
            {"without": {"accounts": ["3040"], "currencies": ["NOK"], "credit_terms": ["20"]}},
            {},
            "invoice 10024: Account 3040 is missing in Visma.net; Payment terms 20 is missing in "
            "Visma.net; Currency NOK is missing in Visma.net",
            "invoiceLines[2].accountNumber, creditTermsId, currencyId",
            ("create the account", "create the credit terms", "activate the currency"),
        ),
        (  # an office branch and a payment method Visma.net lacks fail every invoice
            {},
            {"officeCode": "12345-9", "startText": "paymentMethodId=SWISH"},
            "invoice 10024: Branch 9 is missing in Visma.net; Payment method SWISH is missing "
            "in Visma.net",
            "branchNumber, paymentMethodId",
            ("correct the branch after the dash", "correct paymentMethodId in Start text"),
        ),
    ],
    ids=["account-terms-currency", "branch-payment-method"],
)
def test_preflight_lists_every_missing_master_data_item_in_one_error(
    make_env: MakeEnv,
    settings: dict[str, Any],
    config: dict[str, Any],
    message: str,
    fields: str,
    fixes: tuple[str, ...],
) -> None:
    env = make_env(settings=settings, **config)
    bad = Invoice(
        "10024",
        currency="NOK",
        rate="0.98",
        terms="20",
        rows=[Row(), Row(account="3040", description="Lager")],
    )
    env.export([Invoice("10023"), bad])
    summary = env.run()
    errors = errors_by_record(summary)
    err = errors["invoice 10024"]
    assert err["message"] == message
    assert err["field"] == fields
    assert err["rule"].startswith("every account, payment term")
    for fix in fixes:
        assert fix in err["fix"]
    posted = [e.body["externalReference"]["value"] for e in env.posts("/v2/customerinvoice")]
    assert "10024" not in posted
    if not config:  # only 10024 uses what is missing: 10023 goes through
        assert posted == ["10023"] and list(errors) == ["invoice 10024"]


def test_bad_start_text_is_a_config_error_listing_every_problem(
    make_env: MakeEnv, lb_cli: Any
) -> None:
    bad = "dontEmial=true\ndontPrint=yes\nperiodDateSource=Today\nvatCustomerClassMapping={25%: 10}"
    env = make_env()
    env.sandbox.serve()  # on loopback: the CLI run below could reach it
    env.configure(startText=bad)
    env.export([Invoice("10023")])
    with pytest.raises(ConfigError) as info:
        env.run()
    problems = info.value.problems
    assert len(problems) == 4
    text = str(info.value)
    assert "line 1: dontEmial=true" in text and "did you mean dontEmail?" in text
    assert "line 2: dontPrint=yes" in text and "must be true or false" in text
    assert "line 3: periodDateSource=Today" in text and "CreateDate or AccountingDate" in text
    assert "line 4: vatCustomerClassMapping" in text and "must be JSON" in text
    assert len(env.sandbox.journal) == 0
    result = lb_cli("run", "acme", "visma_net")
    assert result.exit_code == 2
    for needle in (
        "dontEmial=true",
        "dontPrint=yes",
        "periodDateSource=Today",
        "vatCustomerClassMapping",
    ):
        assert needle in result.output
    assert len(env.sandbox.journal) == 0


# -- 6. Rejected credentials ------------------------------------------------------------


@pytest.mark.parametrize("refused", ["tenant", "client"])
def test_rejected_credentials_abort_without_revealing_the_tenant_id(
    make_env: MakeEnv, lb_cli: Any, refused: str
) -> None:
    secrets = {"visma_tenant_id": REAL_TENANT_ID}
    if refused == "client":
        secrets["visma_client_secret"] = "not-the-secret"
    env = make_env(secrets=secrets)
    env.export([Invoice("10023")])
    summary = env.run()
    assert summary.status == "aborted"
    assert summary.message is not None
    # the seed's tenant-id message only when the tenant id was refused
    expected = REJECTED if refused == "tenant" else "Visma Connect did not accept client id"
    assert summary.message.startswith(expected)
    assert REJECTED == "The user details were not accepted by Visma.net (tenant id: ••••)"
    assert env.writes() == [] and list(env.state.invoices) == []
    # served on loopback, so the CLI's own run reaches the emulator too
    env.sandbox.serve()
    env.configure(secrets=secrets)
    run = lb_cli("run", "acme", "visma_net")
    assert run.exit_code == 3
    assert expected in run.output
    status = lb_cli("status", "--json")
    errors = lb_cli("errors")
    places = {
        "summary": json.dumps(summary.to_json(), ensure_ascii=False),
        "state db": env.db_dump(),
        "cli run": run.output,
        "cli status": status.output,
        "cli errors": errors.output,
        "sandbox journal": json.dumps([e.to_dict() for e in env.sandbox.journal], default=str),
    }
    workspace = env.workspace.path
    for path in workspace.rglob("*"):
        if path.is_file() and path.name != "secrets.json":
            places[str(path.relative_to(workspace))] = path.read_bytes().decode("utf-8", "replace")
    if refused == "tenant":
        assert "••••" in places["state db"]
    for where, text in places.items():
        assert REAL_TENANT_ID not in text, where


# -- 7. No duplicates ------------------------------------------------------------------


def test_rerun_and_full_rerun_send_nothing(make_env: MakeEnv) -> None:
    env = make_env(includePdfCopy=True)
    env.export(
        [
            Invoice("10023", pdf=make_pdf()),
            Invoice("10024", pdf=make_pdf()),
            Invoice("10025", kind="Credit", credits="10024"),
        ]
    )
    first = env.run()
    assert (first.succeeded, first.failed) == (4, 0)
    writes = len(env.writes())
    assert writes == 6  # 1 customer, 2 invoices, 1 credit note, 2 attachments

    # every run reads the whole folder; what was sent is skipped by content hash
    again = env.run()
    assert (again.succeeded, again.failed, again.skipped) == (0, 0, 4)
    full = env.run(full=True)
    assert (full.succeeded, full.failed, full.skipped) == (0, 0, 4)
    assert len(env.writes()) == writes
    assert len(env.state.invoices) == 2 and len(env.state.credit_notes) == 1
    assert len(env.state.attachments) == 2


def test_dropped_answer_after_create_is_found_not_resent(make_env: MakeEnv) -> None:
    env = make_env(includePdfCopy=True, startText="overrideNumberSeries=true")
    pdfs = {n: make_pdf([f"Faktura {n}"]) for n in ("10023", "10024", "10025")}
    env.export([Invoice(n, pdf=pdf) for n, pdf in pdfs.items()])
    env.sandbox.faults.add("POST /v2/customerinvoice: drop-after @2")

    first = env.run()
    assert (first.succeeded, first.failed) == (3, 1)
    err = one(first.errors)
    # the second POST to arrive lost its answer; with invoices in flight together
    # that may be any of them
    dropped = err["record"].removeprefix("invoice ")
    assert dropped in pdfs and err["retryable"] is True
    assert len(env.state.invoices) == 3  # Visma.net did create it
    assert env.state.attachments_of(f"invoice:{dropped}") == []  # but got no PDF

    second = env.run()
    assert (second.succeeded, second.failed) == (1, 0)
    assert len(env.posts("/v2/customerinvoice")) == 3  # 10024 was not posted again
    for number, pdf in pdfs.items():
        one(env.docs("invoices", number))
        attached = one(env.state.attachments_of(f"invoice:{number}"))
        assert attached["revision"] == 1
        assert (
            env.state.attachments.get(attached["id"])["sha256"] == hashlib.sha256(pdf).hexdigest()
        )
    assert env.run(full=True).skipped == 4
    assert len(env.writes()) == 1 + 3 + 3


def drop_customer_answer(make_env: MakeEnv) -> tuple[VismaEnv, Any]:
    env = make_env()
    env.export([Invoice("10023")])
    env.sandbox.faults.add("POST /v1/customer: drop-after x1")
    return env, env.run()


def test_dropped_customer_answer_is_found_not_resent(make_env: MakeEnv) -> None:
    env, first = drop_customer_answer(make_env)
    assert one(first.errors)["record"] == "customer ACME"
    assert one(first.errors)["retryable"] is True
    one(env.docs("invoices", "10023"))  # the customer exists, so its invoice went on
    second = env.run()
    assert (second.succeeded, second.failed) == (1, 0)
    assert len(env.posts("/v1/customer")) == 1
    assert [c["number"] for c in env.state.customers] == ["ACME"]


def test_dropped_customer_answer_is_not_reported_as_a_refusal(make_env: MakeEnv) -> None:
    _, first = drop_customer_answer(make_env)
    err = one(first.errors)
    assert "refused" not in err["message"]
    assert "correct the customer" not in (err["fix"] or "")


def test_throttled_and_unavailable_reads_are_retried_transparently(make_env: MakeEnv) -> None:
    env = make_env()
    env.sandbox.faults.add("GET /v1/vat: 503 x1")
    env.sandbox.faults.add("GET /v1/customer/*: 429 retry-after=7 x1")
    env.export([Invoice("10023")])
    summary = env.run()
    assert (summary.status, summary.succeeded, summary.failed) == ("succeeded", 2, 0)
    assert [e.status for e in env.sandbox.journal.find(path="/v1/vat")] == [503, 200]
    assert [e.status for e in env.sandbox.journal.find(path="/v1/customer/ACME")][:2] == [429, 404]
    assert 7 in env.clock.sleeps
    one(env.docs("invoices", "10023"))


def test_invoice_changed_after_sending_is_refused_not_resent(make_env: MakeEnv) -> None:
    env = make_env()
    env.export([Invoice("10023")])
    assert env.run().succeeded == 2
    changed = Invoice("10023", rows=[Row(unit_price="1100.00", amount="1100.00")])
    env.export([changed], created="2024-06-03T08:00:00")
    summary = env.run()
    assert (summary.succeeded, summary.failed) == (0, 1)
    err = errors_by_record(summary)["invoice 10023"]
    assert err["message"] == (
        "Invoice 10023 changed in Opter after it was sent to Visma.net as 100001; "
        "an invoice is sent once"
    )
    assert "credit the invoice in Opter" in err["fix"]
    doc = one(env.docs("invoices", "10023"))
    assert one(doc["invoiceLines"])["unitPriceInCurrency"] == 1000.0
    assert len(env.posts("/v2/customerinvoice")) == 1


# -- 8. --period and --invoice --------------------------------------------------------------


def two_periods(env: VismaEnv) -> None:
    env.export(
        [Invoice("10023"), Invoice("10024")], period="2024-05", created="2024-06-01T08:00:00"
    )
    env.export(
        [Invoice("10040", invoice_date="2024-06-28", accounting_date="2024-06-28")],
        period="2024-06",
        created="2024-07-01T08:00:00",
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"period": ["2024-06"]}, ["10040"]),
        ({"period": ["2024-05"]}, ["10023", "10024"]),
        ({"invoice": ["10023"]}, ["10023"]),
        ({"invoice": ["10024", "10040"]}, ["10024", "10040"]),
    ],
)
def test_period_and_invoice_params_restrict_what_is_sent(
    make_env: MakeEnv, params: dict[str, list[str]], expected: list[str]
) -> None:
    env = make_env()
    two_periods(env)
    summary = env.run(params=params)
    assert summary.status == "succeeded"
    assert sent(env) == expected


@pytest.mark.parametrize("params", [{"invoice": ["10024"]}, {"period": ["2024-06"]}])
def test_a_restricted_run_does_not_hide_the_rest_from_later_runs(
    make_env: MakeEnv, params: dict[str, list[str]]
) -> None:
    env = make_env()
    two_periods(env)
    env.run(params=params)
    env.run()
    assert sent(env) == ["10023", "10024", "10040"]


def test_invoice_option_on_the_command_line(make_env: MakeEnv, lb_cli: Any) -> None:
    env = make_env()
    env.sandbox.serve()
    env.configure()
    two_periods(env)
    result = lb_cli("run", "acme", "visma_net", "--invoice", "10024", "--period", "2024-05")
    assert result.exit_code == 0, result.output
    assert "✔ acme/visma_net run 1: 2 succeeded, 0 failed, 0 skipped" in result.output
    assert sent(env) == ["10024"]


# -- 9. The demo --------------------------------------------------------------------------


def test_demo_runs_through_the_emulator_and_leaves_an_inspectable_workspace(
    tmp_path: Path, lb_cli: Any
) -> None:
    folder = tmp_path / "d"
    result = lb_cli("demo", "--dir", str(folder), "--connector", "visma_net")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "== Opter invoice export -> Visma.net (visma_net) ==" in out
    assert "✘ demo-visma-net/visma_net run 1: failed: 28 succeeded, 1 failed, 0 skipped" in out
    assert "VAT rate '6%' has no Visma.net VAT code" in out
    assert "POST /v2/customerinvoice" in out
    status = CliRunner().invoke(
        make_cli(), ["--workspace", str(folder), "status", "--json"], catch_exceptions=False
    )
    assert status.exit_code == 0, status.output
    item = one(json.loads(status.output)["status"])
    assert (item["tenant"], item["connector"]) == ("demo-visma-net", "visma_net")
    last = item["last_run"]
    assert (last["id"], last["status"], last["skipped"], last["failed"]) == (3, "succeeded", 29, 0)
    assert item["pending_writes"] == 0 and item["links"] == 29  # 5 customers, 24 invoices


def test_the_demo_ends_by_fixing_its_failing_invoice_and_replaying_it_to_green(
    tmp_path: Path, lb_cli: Any
) -> None:
    folder = tmp_path / "d"
    out = lb_cli("demo", "--dir", str(folder), "--connector", "visma_net").output
    steps = ["1. Last night's run", "2. Why", "3. Fix", "4. Replay only what failed", "5. Confirm"]
    places = [out.index(s) for s in steps]
    assert places == sorted(places)
    why = out[places[1] : places[2]]
    assert "field: rows[5].vatRate" in why and "value: 6%" in why
    fix = out[places[2] : places[3]]
    assert 'add "6%": "03" under vatCodes' in fix
    assert "$ ledgerbridge enable demo-visma-net visma_net --config " in fix
    replay = out[places[3] : places[4]]
    assert "$ ledgerbridge replay 1 --failed" in replay
    assert "  created invoice 10013" in replay
    assert "✔ demo-visma-net/visma_net run 2: 1 succeeded, 0 failed, 0 skipped" in replay
    confirm = out[places[4] :]
    assert "No open failures." in confirm
    assert "✔ demo-visma-net/visma_net run 3: 0 succeeded, 0 failed, 29 skipped" in confirm
    # the fix is in the tenant's saved config, as `enable` would have left it
    saved = lb_cli("--workspace", str(folder), "tenant", "show", "demo-visma-net", "--json")
    assert '"6%": "03"' in saved.output.replace("\n", "").replace("  ", "")
    errors = lb_cli("--workspace", str(folder), "errors", "--all", "--json")
    (failure,) = json.loads(errors.output)["errors"]
    assert (failure["key"], failure["state"]) == ("10013", "fixed")
    runs = json.loads(
        lb_cli("demo", "--dir", str(folder), "--connector", "visma_net", "--json").output
    )["runs"]
    assert [(r["status"], r["failed"]) for r in runs] == [
        ("failed", 1),
        ("succeeded", 0),
        ("succeeded", 0),
    ]


def test_invoice_changed_while_its_answer_was_lost_is_refused_not_resent(
    make_env: MakeEnv,
) -> None:
    env = make_env()
    env.export([Invoice("10023")])
    env.sandbox.faults.add("POST /v2/customerinvoice: drop-after x1")
    first = env.run()
    assert one(first.errors)["retryable"] is True
    changed = Invoice("10023", rows=[Row(unit_price="1100.00", amount="1100.00")])
    env.export([changed], created="2024-06-03T08:00:00")
    second = env.run()
    err = errors_by_record(second)["invoice 10023"]
    assert "an invoice is sent once" in err["message"]
    third = env.run(full=True)
    assert "invoice 10023" in errors_by_record(third)  # still refused, still told
    assert len(env.posts("/v2/customerinvoice")) == 1
    assert one(env.docs("invoices", "10023"))


def test_debug_logging_of_a_whole_run_reveals_no_secret(
    make_env: MakeEnv, lb_cli: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """-vv logs every request and response; tenant id, client secret and the
    tokens the emulator issues (prefixed vn_) must all be masked."""
    env = make_env(includePdfCopy=True)
    env.export([Invoice("10023", pdf=make_pdf(["Faktura 10023"]))])
    env.sandbox.serve()
    env.configure(includePdfCopy=True)
    conn = connection(env.sandbox)
    with caplog.at_level(logging.DEBUG):
        result = lb_cli("-vv", "run", "acme", "visma_net")
    assert result.exit_code == 0, result.output
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST" in logged and "/connect/token" in logged  # the requests were logged
    for secret in (conn["tenantId"], conn["clientSecret"], "vn_"):
        assert secret not in logged, secret
        assert secret not in result.output, secret
