"""The export-file source: encodings, validation, filters, cursors, customers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from vn_builders import Customer, Invoice, Row, export_xml, write_export
from vn_support import SAMPLES, read

from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.plugins.visma_net.source import OpterExportSource, as_filter


def records(items: list[Record | Rejected]) -> list[Record]:
    return [i for i in items if isinstance(i, Record)]


def rejected(items: list[Record | Rejected]) -> list[Rejected]:
    return [i for i in items if isinstance(i, Rejected)]


# -- samples and encodings -----------------------------------------------------


def test_samples_read_in_cursor_order() -> None:
    items = read(SAMPLES)
    assert rejected(items) == []
    assert [r.key for r in records(items)] == ["10023", "10024", "10025", "10026", "10031"]
    cursors = [r.updated_at or "" for r in records(items)]
    assert cursors == sorted(cursors)
    assert cursors[0] == "2024-06-01T08:15:00Z#period-2024-05.xml#00000001"


def customer_name(folder: Path, **kwargs: object) -> str:
    """The name of the one customer in `folder` (invoices carry only its key)."""
    [customer] = records(read(folder, entity="customer", **kwargs))
    return str(customer.data["name"])


def test_sample_invoice_data() -> None:
    first = records(read(SAMPLES, include_pdf=True))[0]
    assert first.entity == "invoice"
    assert first.data["customer"] == {
        "customerCode": "ACME",
        "customerNumber": "10001",
        "customerCategory": "TRANSP",
        "vatRate": "25%",
    }
    assert first.data["rows"][0]["description"] == "Frakt Göteborg–Oslo"
    assert first.data["rows"][2]["subaccount"] == {"segment": 1, "value": "200"}
    assert first.attachments["pdf"].startswith(b"%PDF-1.4")
    assert first.data["pdf"] == {"fileName": "faktura-10023.pdf"}
    credit = records(read(SAMPLES, invoices=["10026"]))[0]
    assert credit.data["type"] == "credit" and credit.data["creditedInvoiceNumber"] == "10023"


def test_windows_1252_sample_with_swedish_letters() -> None:
    record = records(read(SAMPLES, invoices=["10031"]))[0]
    assert customer_name(SAMPLES, invoices=["10031"]) == "Smålands Åkeri & Lager AB"
    assert record.data["rows"][0]["description"] == "Hämtning Växjö – Kalmar, kylgods"
    assert record.data["rows"][1]["description"] == "Miljötillägg “grön frakt”"


@pytest.mark.parametrize(
    ("declared", "codec", "text"),
    [
        ("ISO-8859-1", "iso8859-1", "Ærø Fragt ApS, Åsane, Malmö"),
        ("ISO-8859-15", "iso8859-15", "Åkeri € Öst"),
        ("windows-1252", "cp1252", "Åkeri – Öst"),
        ("IBM865", "cp865", "Fjordfrakt Åsane Ærø"),
    ],
)
def test_declared_encoding_is_honoured(
    tmp_path: Path, declared: str, codec: str, text: str
) -> None:
    inv = Invoice(customer=Customer(name=text), rows=[Row(description=f"Frakt {text}")])
    write_export(tmp_path, "a.xml", export_xml([inv], encoding=declared), codec)
    [record] = records(read(tmp_path, encoding="UTF-8"))
    assert customer_name(tmp_path, encoding="UTF-8") == text
    assert record.data["rows"][0]["description"] == f"Frakt {text}"
    assert record.data["rows"][0]["description"] == f"Frakt {text}"


def test_configured_encoding_is_used_without_a_declaration(tmp_path: Path) -> None:
    inv = Invoice(customer=Customer(name="Ærø Fragt ApS"), rows=[Row(description="Fjord")])
    write_export(tmp_path, "a.xml", export_xml([inv], encoding=None), "cp865")
    assert customer_name(tmp_path, encoding="CP865") == "Ærø Fragt ApS"


def test_encoding_mismatch_is_a_clear_error(tmp_path: Path) -> None:
    inv = Invoice(customer=Customer(name="Åkeri Öst AB"))
    # declared UTF-8, saved as Windows-1252: 0xC5 (Å) is not valid UTF-8
    text = export_xml([inv], encoding="UTF-8")
    write_export(tmp_path, "a.xml", text, "cp1252")
    [item] = read(tmp_path)
    assert isinstance(item, Rejected)
    err = item.error
    line = next(n for n, x in enumerate(text.splitlines(), start=1) if "Åkeri" in x)
    assert f"file a.xml, line {line}:" in err.message
    assert "0xC5" in err.message and "utf-8" in err.message
    assert err.field == "encoding"
    assert err.fix and "Encoding" in err.fix


# -- malformed files and XSD violations ------------------------------------------


def test_malformed_file_is_rejected_with_line_and_the_next_file_goes_on(tmp_path: Path) -> None:
    good = export_xml([Invoice(number="3001")], created="2024-06-02T10:00:00")
    broken = export_xml([Invoice(number="2001"), Invoice(number="2002")]).replace(
        "<InvoiceNumber>2002</InvoiceNumber>", "<InvoiceNumber>2002</InvoiceNr>"
    )
    write_export(tmp_path, "a-broken.xml", broken)
    write_export(tmp_path, "b-good.xml", good)
    items = read(tmp_path)
    assert [i.key for i in items] == ["2001", "a-broken.xml", "3001"]
    fault = items[1]
    assert isinstance(fault, Rejected)
    line = broken.splitlines().index(next(x for x in broken.splitlines() if "2002" in x)) + 1
    assert f"file a-broken.xml, line {line}" in fault.error.message
    assert "not well-formed" in fault.error.message
    assert fault.error.rule == "an export file must be well-formed XML"
    assert fault.error.fix
    assert isinstance(items[2], Record)


def test_file_that_is_not_an_export(tmp_path: Path) -> None:
    write_export(tmp_path, "x.xml", "<?xml version='1.0'?><Orders/>")
    write_export(tmp_path, "y.xml", "not xml at all")
    items = read(tmp_path)
    assert len(items) == 2 and all(isinstance(i, Rejected) for i in items)
    messages = sorted(i.error.message for i in rejected(items))
    assert "root element is <Orders>" in messages[0]
    assert "not well-formed" in messages[1]


def test_xsd_violation_fails_that_invoice_only(tmp_path: Path) -> None:
    bad = Invoice(number="4002", rows=[Row(quantity="two")])
    write_export(
        tmp_path, "a.xml", export_xml([Invoice(number="4001"), bad, Invoice(number="4003")])
    )
    items = read(tmp_path)
    assert [i.key for i in items] == ["4001", "4002", "4003"]
    fault = items[1]
    assert isinstance(fault, Rejected)
    assert fault.error.field == "Rows/Row/Quantity"
    assert "file a.xml, line" in fault.error.message and "'two'" in fault.error.message
    assert "XSD" in (fault.error.rule or "")
    assert fault.error.fix


def test_credit_without_credited_invoice_is_rejected(tmp_path: Path) -> None:
    write_export(tmp_path, "a.xml", export_xml([Invoice(number="5001", kind="Credit")]))
    [item] = read(tmp_path)
    assert isinstance(item, Rejected)
    assert item.error.field == "CreditedInvoiceNumber"


# -- filters and the cursor -------------------------------------------------------


def _two_periods(folder: Path) -> None:
    may = [Invoice(number="1001"), Invoice(number="1002")]
    june = [Invoice(number="1101"), Invoice(number="1102")]
    write_export(
        folder, "may.xml", export_xml(may, period="2024-05", created="2024-06-01T08:00:00")
    )
    write_export(
        folder, "june.xml", export_xml(june, period="2024-06", created="2024-07-01T08:00:00")
    )


def test_period_and_invoice_filters(tmp_path: Path) -> None:
    _two_periods(tmp_path)
    assert [r.key for r in read(tmp_path, periods=["2024-06"])] == ["1101", "1102"]
    assert [r.key for r in read(tmp_path, invoices=["1002", "1101"])] == ["1002", "1101"]
    assert [r.key for r in read(tmp_path, periods=["2024-05"], invoices=["1101"])] == []


def test_params_may_be_strings_or_lists() -> None:
    assert as_filter(None) is None and as_filter([]) is None
    assert as_filter("1001") == {"1001"}
    assert as_filter("1001, 1002") == {"1001", "1002"}
    assert as_filter(["1001", "1002,1003"]) == {"1001", "1002", "1003"}
    source = OpterExportSource.from_config(
        {"exportFolder": "x", "encoding": "Windows-1252"}, {"period": "2024-05"}, "invoice"
    )
    assert source.periods == {"2024-05"} and source.codec == "cp1252"


def test_since_is_ignored_every_file_is_read(tmp_path: Path) -> None:
    # A cursor cannot tell new files from old ones; the engine skips what was
    # sent by content hash (see the source's module docstring).
    _two_periods(tmp_path)
    everything = records(read(tmp_path))
    assert [r.key for r in everything] == ["1001", "1002", "1101", "1102"]
    assert [r.key for r in read(tmp_path, since=everything[-1].updated_at)] == [
        "1001",
        "1002",
        "1101",
        "1102",
    ]


def test_files_are_ordered_by_export_time_not_name(tmp_path: Path) -> None:
    write_export(
        tmp_path, "a.xml", export_xml([Invoice(number="2")], created="2024-06-02T00:00:00")
    )
    write_export(
        tmp_path, "b.xml", export_xml([Invoice(number="1")], created="2024-06-01T00:00:00")
    )
    assert [r.key for r in read(tmp_path)] == ["1", "2"]


def test_export_time_zone_is_normalised_to_utc(tmp_path: Path) -> None:
    write_export(tmp_path, "a.xml", export_xml([Invoice()], created="2024-06-01T10:15:00+02:00"))
    [record] = records(read(tmp_path))
    assert (record.updated_at or "").startswith("2024-06-01T08:15:00Z#")


# -- customers ------------------------------------------------------------------


def test_each_customer_once_latest_version(tmp_path: Path) -> None:
    old = Customer(code="ACME", name="Acme Old", changed="2024-05-01T00:00:00")
    new = Customer(code="ACME", name="Acme New", changed="2024-05-25T00:00:00")
    other = Customer(code="BETA", number="20002", name="Beta AB", changed="2024-05-10T00:00:00")
    first = [Invoice(number="1", customer=new), Invoice(number="2", customer=other)]
    write_export(tmp_path, "a.xml", export_xml(first, created="2024-06-01T00:00:00"))
    write_export(
        tmp_path,
        "b.xml",
        export_xml([Invoice(number="3", customer=old)], created="2024-06-02T00:00:00"),
    )
    items = records(read(tmp_path, entity="customer"))
    assert [(r.key, r.data["name"]) for r in items] == [("BETA", "Beta AB"), ("ACME", "Acme New")]
    assert items[1].updated_at == "2024-05-25T00:00:00Z#ACME"
    assert items[0].entity == "customer"
    later = read(tmp_path, entity="customer", since=items[-1].updated_at)
    assert [r.key for r in later] == ["BETA", "ACME"]  # since is ignored


def test_customer_key_per_use_customer_number(tmp_path: Path) -> None:
    invs = [
        Invoice(number="1", customer=Customer(code="ACME", number="10001")),
        Invoice(number="2", customer=Customer(code="NONUM", number=None)),
    ]
    write_export(tmp_path, "a.xml", export_xml(invs))
    by_code = read(tmp_path, entity="customer")
    assert sorted(r.key for r in records(by_code)) == ["ACME", "NONUM"]
    by_number = read(tmp_path, entity="customer", use_customer_number=True)
    assert [r.key for r in records(by_number)] == ["10001"]
    [fault] = rejected(by_number)
    assert fault.key == "NONUM" and "sales ledger number" in fault.error.message
    assert "line" in fault.error.message


def test_sample_folder_can_be_copied_and_read(tmp_path: Path) -> None:
    for path in SAMPLES.glob("*.xml"):
        shutil.copy(path, tmp_path)
    assert len(records(read(tmp_path, entity="customer"))) == 4
