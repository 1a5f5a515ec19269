"""Mapper: canonical records -> Visma.net payloads, shaped by Start text."""

from __future__ import annotations

from typing import Any

import pytest
from vn_support import SAMPLES, map_invoice, sample_invoice, settings

from ledgerbridge.core.errors import ConfigError, RecordError
from ledgerbridge.core.records import Record
from ledgerbridge.plugins.visma_net.mapper import CustomerMapper
from ledgerbridge.plugins.visma_net.source import OpterExportSource

# Fields a Start text setting may add; with no Start text none of them is sent.
SETTING_FIELDS = {
    "overrideNumberSeries",
    "dontEmail",
    "dontPrint",
    "sendToAutoInvoice",
    "paymentMethodId",
    "financialPeriod",
    "exchangeRate",
}


def body(start_text: str = "", number: str = "10023", **overrides: Any) -> dict[str, Any]:
    return map_invoice(sample_invoice(number), startText=start_text, **overrides).body


def customer_record(code: str = "ACME") -> Record:
    for item in OpterExportSource(SAMPLES, entity="customer").read(None):
        if isinstance(item, Record) and item.key == code:
            return item
    raise AssertionError(code)


def map_customer(record: Record, **overrides: Any) -> Any:
    return CustomerMapper(settings(**overrides)).map(record)


# -- Start text, one setting at a time ---------------------------------------------


def test_without_start_text_no_setting_field_is_sent() -> None:
    for number in ("10023", "10024", "10026"):
        assert SETTING_FIELDS.isdisjoint(body(number=number))
    assert "customerClassId" not in map_customer(customer_record()).body


def test_override_number_series() -> None:
    on, off, unset = body("overrideNumberSeries=true"), body("overrideNumberSeries=false"), body()
    assert on["overrideNumberSeries"] == {"value": True}
    assert on["referenceNumber"] == {"value": "10023"}
    assert off["overrideNumberSeries"] == {"value": False}
    assert "referenceNumber" not in off
    # not set: the number is offered; Visma.net's number series decides
    assert "overrideNumberSeries" not in unset and unset["referenceNumber"] == {"value": "10023"}


@pytest.mark.parametrize("key", ["dontEmail", "dontPrint", "sendToAutoInvoice"])
def test_boolean_document_settings(key: str) -> None:
    assert body(f"{key}=true")[key] == {"value": True}
    assert body(f"{key}=FALSE")[key] == {"value": False}
    assert key not in body()
    assert body(f"{key}=true", number="10026")[key] == {"value": True}  # credit note too


def test_payment_method() -> None:
    assert body("paymentMethodId=OCR-OPTER")["paymentMethodId"] == {"value": "OCR-OPTER"}
    assert "paymentMethodId" not in body()


def test_period_date_source() -> None:
    # sample period 2024-05 was created 2024-06-01; invoice 10023 is booked 2024-05-31
    assert body("periodDateSource=CreateDate")["financialPeriod"] == {"value": "202406"}
    assert body("periodDateSource=AccountingDate")["financialPeriod"] == {"value": "202405"}
    assert "financialPeriod" not in body()


def test_include_exchange_rate() -> None:
    assert body("includeExchangeRate=true", number="10025")["exchangeRate"] == {"value": 11.452}
    assert "exchangeRate" not in body("includeExchangeRate=false", number="10025")
    assert "exchangeRate" not in body(number="10025")
    assert body(number="10025")["currencyId"] == {"value": "EUR"}


def test_use_customer_class() -> None:
    record = customer_record("ACME")
    on = map_customer(record, startText="useCustomerClass=true")
    assert on.body["customerClassId"] == {"value": "TRANSP"}
    assert on.references.customer_classes == {"TRANSP": ("customerClassId",)}
    assert "customerClassId" not in map_customer(record, startText="useCustomerClass=false").body


def test_vat_customer_class_mapping_wins_over_category() -> None:
    text = 'useCustomerClass=true\nvatCustomerClassMapping={"EU": "20", "25%": "10"}'
    assert map_customer(customer_record("AERO"), startText=text).body["customerClassId"] == {
        "value": "20"
    }
    assert map_customer(customer_record("ACME"), startText=text).body["customerClassId"] == {
        "value": "10"
    }
    # FJORD's rate 0% is not mapped: the category is used
    fjord = map_customer(customer_record("FJORD"), startText=text)
    assert fjord.body["customerClassId"] == {"value": "EXPORT"}
    only_mapping = map_customer(customer_record("FJORD"), startText="vatCustomerClassMapping={}")
    assert "customerClassId" not in only_mapping.body


def test_customer_export_and_update_switches() -> None:
    record = customer_record()
    default = map_customer(record)
    assert (default.create, default.update) == (True, True)
    no_update = map_customer(record, startText="disableCustomerUpdate=true")
    assert (no_update.create, no_update.update) == (True, False)
    no_export = map_customer(record, startText="disableCustomerExport=true")
    assert (no_export.create, no_export.update) == (False, False)
    invoice = map_invoice(sample_invoice(), startText="disableCustomerExport=true")
    assert invoice.references.customer_must_exist
    assert not map_invoice(sample_invoice()).references.customer_must_exist


# -- invoice and credit note bodies ----------------------------------------------


def test_invoice_body() -> None:
    payload = map_invoice(sample_invoice("10023"), officeCode="12345-1")
    b = payload.body
    assert payload.kind == "invoice" and payload.endpoint == "/v2/customerinvoice"
    assert b["customerNumber"] == {"value": "ACME"}
    assert b["documentDate"] == {"value": "2024-05-31T00:00:00"}
    assert b["documentDueDate"] == {"value": "2024-06-30T00:00:00"}
    assert b["creditTermsId"] == {"value": "30"}
    assert b["customerRefNumber"] == {"value": "PO-4711"}
    assert b["externalReference"] == {"value": "10023"}
    assert b["branchNumber"] == {"value": "1"}
    third = b["invoiceLines"][2]
    assert third["lineNumber"] == {"value": 3}
    assert third["quantity"] == {"value": 1.5}
    assert third["unitPriceInCurrency"] == {"value": 650.0}
    assert third["discountPercent"] == {"value": 10.0}
    assert third["subaccount"] == [{"segmentId": 1, "segmentValue": "200"}]
    assert third["vatCodeId"] == {"value": "01"}


def test_office_code_without_branch_sends_no_branch() -> None:
    assert "branchNumber" not in body(officeCode="12345")
    with pytest.raises(ConfigError, match="officeCode"):
        settings(officeCode="12345-")


def test_credit_invoice_becomes_a_credit_note() -> None:
    payload = map_invoice(
        sample_invoice("10026"), startText="includeExchangeRate=true\npaymentMethodId=OCR"
    )
    b = payload.body
    assert payload.kind == "credit_note" and payload.endpoint == "/v2/customerCreditNote"
    assert payload.credited_invoice == "10023"
    assert "invoiceLines" not in b and len(b["lines"]) == 1
    line = b["lines"][0]
    assert line["quantity"] == {"value": 1.0}
    assert line["unitPriceInCurrency"] == {"value": 650.0}  # Opter's -650 credited
    assert b["invoiceText"] == {"value": "Credit of invoice 10023"}
    # the credit note DTO has no due date, terms, payment method or exchange rate
    for name in ("documentDueDate", "creditTermsId", "paymentMethodId", "exchangeRate"):
        assert name not in b


def test_use_customer_number_on_invoices() -> None:
    assert body(useCustomerNumber=True)["customerNumber"] == {"value": "10001"}
    assert map_invoice(sample_invoice(), useCustomerNumber=True).customer_key == "10001"


# -- errors ---------------------------------------------------------------------


def test_unknown_vat_rate_names_every_row() -> None:
    with pytest.raises(RecordError) as caught:
        map_invoice(sample_invoice("10023"), vatCodes={"EU": "15"})
    err = caught.value
    assert err.field == "rows[1].vatRate, rows[2].vatRate, rows[3].vatRate"
    assert "'25%'" in err.message
    assert err.fix and "exactly as it appears in Visma.net, e.g. 01" in err.fix


def test_vat_rate_matching_is_exact() -> None:
    with pytest.raises(RecordError) as caught:
        map_invoice(sample_invoice("10024"), vatCodes={"0": "05"})
    assert caught.value.field == "rows[1].vatRate" and caught.value.value == "0%"


def test_customer_name_too_long() -> None:
    record = customer_record()
    long_name = "Å" * 256
    too_long = Record("customer", record.key, {**record.data, "name": long_name}, record.updated_at)
    with pytest.raises(RecordError) as caught:
        map_customer(too_long)
    err = caught.value
    assert err.field == "name"
    assert "256 characters" in err.message and "255" in err.message
    assert err.rule == "name may have at most 255 characters"
    assert err.fix and "shorten the customer's name" in err.fix
    ok = Record("customer", record.key, {**record.data, "name": "Å" * 255}, record.updated_at)
    assert map_customer(ok).body["name"] == {"value": "Å" * 255}


def test_invoice_number_too_long_for_visma_net_numbering() -> None:
    record = sample_invoice()
    long_number = Record("invoice", "X", {**record.data, "invoiceNumber": "2024-0000000001"})
    assert body_of(long_number)["referenceNumber"] == {"value": "2024-0000000001"}
    longer = Record("invoice", "X", {**record.data, "invoiceNumber": "2024-00000000012"})
    with pytest.raises(RecordError, match="at most 15"):
        body_of(longer, start_text="overrideNumberSeries=true")
    assert "referenceNumber" not in body_of(longer, start_text="overrideNumberSeries=false")


def body_of(record: Record, start_text: str = "") -> dict[str, Any]:
    return map_invoice(record, startText=start_text).body


# -- attachments ------------------------------------------------------------------


def test_pdf_copy_only_when_included() -> None:
    record = sample_invoice("10023", include_pdf=True)
    assert map_invoice(record).attachment is None
    name, blob = map_invoice(record, includePdfCopy=True).attachment or ("", b"")
    assert name == "faktura-10023.pdf" and blob == record.attachments["pdf"]
    _, reduced = map_invoice(record, includePdfCopy=True, reducePdfSize=True).attachment or (
        "",
        b"",
    )
    assert reduced.startswith(b"%PDF") and len(reduced) < len(blob)
    assert (
        map_invoice(sample_invoice("10024", include_pdf=True), includePdfCopy=True).attachment
        is None
    )


# -- row amounts agree with what Visma.net will compute ---------------------------


def with_rows(*rows: dict[str, Any]) -> Record:
    invoice = sample_invoice("10023")
    base = dict(invoice.data["rows"][0])
    data = {**invoice.data, "rows": [{**base, **r} for r in rows]}
    return Record(invoice.entity, invoice.key, data, invoice.updated_at, invoice.attachments)


def test_row_amounts_must_match_quantity_times_price_less_discount() -> None:
    record = with_rows(
        {"quantity": "3", "unitPrice": "333.33", "amount": "999.99"},
        {"quantity": "2", "unitPrice": "100.00", "discountPercent": "10", "amount": "180.00"},
        {"quantity": "2", "unitPrice": "100.00", "amount": "250.00"},
    )
    with pytest.raises(RecordError) as info:
        map_invoice(record)
    err = info.value
    assert err.field == "rows[3].amount" and err.value == "250.00"
    assert "row 3: amount 250.00 is not quantity 2 x unit price 100.00 = 200.00" in err.message
    assert "correct the row in Opter" in (err.fix or "")


def test_row_amounts_within_a_cent_are_accepted() -> None:
    record = with_rows({"quantity": "3", "unitPrice": "0.335", "amount": "1.00"})
    assert len(map_invoice(record).body["invoiceLines"]) == 1


def test_an_invoice_row_with_the_wrong_sign_is_refused() -> None:
    record = with_rows({"quantity": "2", "unitPrice": "100.00", "amount": "-200.00"})
    with pytest.raises(RecordError) as info:
        map_invoice(record)
    assert info.value.field == "rows[1].amount"


def test_a_long_invoice_number_is_only_refused_when_it_must_be_used() -> None:
    invoice = sample_invoice("10023")
    long = Record(
        invoice.entity,
        "1234567890123456",
        {**invoice.data, "invoiceNumber": "1234567890123456"},
        invoice.updated_at,
        invoice.attachments,
    )
    assert "referenceNumber" not in map_invoice(long).body  # Visma.net numbers it
    with pytest.raises(RecordError, match="16 characters"):
        map_invoice(long, startText="overrideNumberSeries=true")
