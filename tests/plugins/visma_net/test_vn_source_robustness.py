"""The export-file source never loses an invoice or a customer, and one bad
file or invoice never stops the others.

- every run reads every file: no cursor can skip a file that arrives late,
  sorts earlier or was half-written (the engine skips what was sent by hash);
- a DOCTYPE or an entity fails its file alone, an lxml or date error its
  invoice or customer alone;
- an invoice exported again hashes the same when only its customer's details
  or its (unsent) PDF changed;
- large PDF copies are read, too large ones fail their invoice alone;
- an encoding fault loses no invoice completed before it.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from e2e_support import MakeEnv, errors_by_record, sent
from lxml import etree
from vn_builders import Customer, Invoice, Row, export_xml, make_pdf, write_export
from vn_support import keys, read

from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.plugins.visma_net import exportformat, source
from ledgerbridge.plugins.visma_net.encoding import (
    DoctypeFound,
    EncodingMismatch,
    NoDoctype,
    Utf8Stream,
)
from ledgerbridge.plugins.visma_net.source import OpterExportSource

ENTITY_RULE = "export files may not contain a DOCTYPE or entities"


def last_cursor(items: list[Record | Rejected]) -> str:
    return max(i.updated_at or "" for i in items)


def with_doctype(xml: str, doctype: str) -> str:
    return xml.replace("<InvoiceExport", doctype + "\n<InvoiceExport", 1)


# -- 1. every file is read on every run ----------------------------------------------


def test_a_file_arriving_late_with_an_older_export_time_is_read(tmp_path: Path) -> None:
    write_export(tmp_path, "later.xml", export_xml([Invoice("2")], created="2024-06-01T09:00:00"))
    since = last_cursor(read(tmp_path))
    write_export(tmp_path, "earlier.xml", export_xml([Invoice("1")], created="2024-06-01T08:00:00"))
    assert keys(read(tmp_path, since)) == ["1", "2"]


def test_a_file_with_the_same_export_time_and_an_earlier_name_is_read(tmp_path: Path) -> None:
    write_export(tmp_path, "b.xml", export_xml([Invoice("2")], created="2024-06-01T09:00:00"))
    since = last_cursor(read(tmp_path))
    write_export(tmp_path, "a.xml", export_xml([Invoice("1")], created="2024-06-01T09:00:00"))
    assert keys(read(tmp_path, since)) == ["1", "2"]


def test_a_half_written_file_is_read_once_complete(tmp_path: Path) -> None:
    write_export(tmp_path, "c.xml", export_xml([Invoice("2")], created="2024-06-01T09:00:00"))
    full = export_xml([Invoice("1")], created="2024-06-01T08:00:00")
    partial = write_export(tmp_path, "b.xml", full[:60])
    os.utime(partial, (4_000_000_000, 4_000_000_000))  # copied "now": a late mtime
    first = read(tmp_path)
    assert [type(i).__name__ for i in first] == ["Rejected", "Record"]
    write_export(tmp_path, "b.xml", full)
    assert keys(read(tmp_path, last_cursor(first))) == ["1", "2"]


def test_order_and_cursors_do_not_depend_on_modification_times(tmp_path: Path) -> None:
    write_export(tmp_path, "z-broken.xml", "not xml")
    write_export(tmp_path, "a-broken.xml", "<InvoiceExport")
    write_export(
        tmp_path, "x.xml", export_xml([Invoice("2"), Invoice("3")], created="2024-06-02T00:00:00")
    )
    write_export(tmp_path, "y.xml", export_xml([Invoice("1")], created="2024-06-01T00:00:00"))
    os.utime(tmp_path / "a-broken.xml", (4_000_000_000, 4_000_000_000))
    items = read(tmp_path)
    assert keys(items) == ["a-broken.xml", "z-broken.xml", "1", "2", "3"]
    cursors = [i.updated_at or "" for i in items]
    assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors)


def test_late_files_reach_visma_net_and_sent_ones_are_skipped(make_env: MakeEnv) -> None:
    env = make_env()
    env.export([Invoice("20002")], name="b.xml", created="2024-06-01T09:00:00")
    env.run()
    env.export([Invoice("20001")], name="a.xml", created="2024-06-01T09:00:00")
    env.export([Invoice("20000")], name="c.xml", created="2024-06-01T07:00:00")
    second = env.run()
    assert sent(env) == ["20000", "20001", "20002"]
    invoices = next(f for f in second.flows if f.name == "invoices")
    # b.xml, whose every invoice is settled, is not read again
    assert (invoices.created, invoices.skipped, invoices.failed) == (2, 0, 0)


# -- 2. every customer on every run ----------------------------------------------------


def test_a_new_customer_with_an_older_changed_time_is_read(tmp_path: Path) -> None:
    beta = Customer(code="BETA", name="Beta AB", changed="2024-05-10T00:00:00")
    write_export(
        tmp_path, "a.xml", export_xml([Invoice("1", customer=beta)], created="2024-06-01T00:00:00")
    )
    since = last_cursor(read(tmp_path, entity="customer"))
    alfa = Customer(code="ALFA", name="Alfa AB", changed="2023-01-01T00:00:00")
    write_export(
        tmp_path, "b.xml", export_xml([Invoice("2", customer=alfa)], created="2024-07-01T00:00:00")
    )
    assert keys(read(tmp_path, since, entity="customer")) == ["ALFA", "BETA"]


def test_a_new_customer_with_an_older_changed_time_reaches_visma_net(make_env: MakeEnv) -> None:
    env = make_env()
    beta = Customer(code="BETA", number="2", name="Beta AB", changed="2024-05-10T00:00:00")
    env.export([Invoice("50001", customer=beta)], created="2024-06-01T08:00:00")
    env.run()
    alfa = Customer(code="ALFA", number="1", name="Alfa AB", changed="2023-01-01T00:00:00")
    env.export([Invoice("50002", customer=alfa)], created="2024-07-01T08:00:00")
    second = env.run()
    assert second.errors == []
    assert sorted(env.state.customers.keys()) == ["ALFA", "BETA"]
    assert sent(env) == ["50001", "50002"]


# -- 3. DOCTYPEs, entities and lxml errors fail their file or element alone ---------------


def test_a_doctype_fails_its_file_alone_naming_file_line_rule_and_fix(tmp_path: Path) -> None:
    write_export(tmp_path, "a.xml", export_xml([Invoice("1")], created="2024-06-01T08:00:00"))
    evil = export_xml(
        [Invoice("2", customer=Customer(name="XNAMEX"))], created="2024-06-01T09:00:00"
    )
    evil = with_doctype(evil, '<!DOCTYPE InvoiceExport [<!ENTITY co "Co AB">]>')
    write_export(tmp_path, "b.xml", evil.replace("XNAMEX", "&co;"))
    write_export(tmp_path, "c.xml", export_xml([Invoice("3")], created="2024-06-01T10:00:00"))
    for entity in ("invoice", "customer"):
        items = read(tmp_path, entity=entity)
        [fault] = [i for i in items if isinstance(i, Rejected)]
        assert fault.key == "b.xml"
        assert fault.error.message.startswith("file b.xml, line 2: the file has a DOCTYPE")
        assert fault.error.rule == ENTITY_RULE and fault.error.fix
    assert keys(read(tmp_path)) == ["b.xml", "1", "3"]  # files without a header first


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE InvoiceExport [<!ENTITY % p SYSTEM "file:///etc/hostname"> %p;]>',
        '<!DOCTYPE InvoiceExport SYSTEM "http://127.0.0.1:9/x.dtd">',
        '<!-- a comment --><?pi x?>\n<!doctype InvoiceExport [<!ENTITY a "aaaa">]>',
    ],
)
def test_every_kind_of_doctype_is_refused(tmp_path: Path, doctype: str) -> None:
    write_export(tmp_path, "a.xml", with_doctype(export_xml([Invoice("1")]), doctype))
    [fault] = read(tmp_path)
    assert isinstance(fault, Rejected) and fault.error.rule == ENTITY_RULE


def test_an_undeclared_entity_fails_the_rest_of_its_file_with_the_entity_rule(
    tmp_path: Path,
) -> None:
    xml = export_xml([Invoice("1"), Invoice("2", customer=Customer(name="A &co; B"))])
    write_export(tmp_path, "a.xml", xml.replace("&amp;co;", "&co;"))
    items = read(tmp_path)
    assert keys(items) == ["1", "a.xml"]
    fault = items[1]
    assert isinstance(fault, Rejected) and fault.error.rule == ENTITY_RULE
    line = next(n for n, x in enumerate(xml.splitlines(), start=1) if "&amp;co;" in x)
    assert fault.error.message.startswith(f"file a.xml, line {line}: the file uses an entity")


def test_a_doctype_past_the_stream_guard_is_still_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "NoDoctype", lambda stream: stream)
    doctype = '<!DOCTYPE InvoiceExport [<!ENTITY co "Co AB">]>'
    write_export(tmp_path, "a.xml", with_doctype(export_xml([Invoice("1")]), doctype))
    [fault] = read(tmp_path)
    assert isinstance(fault, Rejected) and fault.error.rule == ENTITY_RULE


def _split_reads(text: bytes, size: int) -> bytes:
    out = b""
    stream = NoDoctype(Utf8Stream(io.BytesIO(text), "utf-8"))
    while chunk := stream.read(size):
        out += chunk
    return out


def test_the_doctype_guard_reads_across_chunks_and_skips_comments() -> None:
    clean = b'<?xml version="1.0"?>\n<!-- <!DOCTYPE x> -->\n<InvoiceExport/>'
    assert _split_reads(clean, 3) == clean.replace(b"?>", b' encoding="UTF-8"?>', 1)
    for size in (1, 2, 5, 64):
        with pytest.raises(DoctypeFound) as found:
            _split_reads(b"<?xml version='1.0'?>\n\n  <!DOCTYPE a>\n<a/>", size)
        assert found.value.line == 3


def test_an_lxml_error_fails_that_invoice_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = exportformat.export_schema()

    class Flaky:
        """The real XSD, failing like libxml2 does on an entity node for invoice 2."""

        error_log = real.error_log

        def validate(self, element: etree._Element) -> bool:
            if element.findtext("InvoiceNumber") == "2":
                raise etree.XMLSchemaValidateError("Internal error in XML Schema validation.")
            return bool(real.validate(element))

    monkeypatch.setattr(source, "export_schema", Flaky)
    write_export(tmp_path, "a.xml", export_xml([Invoice("1"), Invoice("2"), Invoice("3")]))
    items = read(tmp_path)
    assert keys(items) == ["1", "2", "3"]
    fault = items[1]
    assert isinstance(fault, Rejected)
    assert "invoice 2 cannot be read (XMLSchemaValidateError" in fault.error.message


def test_a_time_python_cannot_represent_fails_its_file_or_customer_alone(tmp_path: Path) -> None:
    # 24:00:00 is a valid xs:dateTime, but not a Python datetime
    odd = Customer(code="ODD", changed="2024-06-01T24:00:00")
    write_export(tmp_path, "a.xml", export_xml([Invoice("1", customer=odd), Invoice("2")]))
    write_export(tmp_path, "b.xml", export_xml([Invoice("3")], created="2024-06-01T24:00:00"))
    invoices = read(tmp_path)
    assert keys(invoices) == ["b.xml", "1", "2"]
    customers = read(tmp_path, entity="customer")
    assert sorted(keys(customers)) == ["ACME", "ODD", "b.xml"]
    odd_fault = next(i for i in customers if i.key == "ODD")
    assert isinstance(odd_fault, Rejected) and "line" in odd_fault.error.message


def test_a_doctype_file_stops_no_flow(make_env: MakeEnv) -> None:
    env = make_env()
    env.export([Invoice("60001")], name="a.xml", created="2024-06-01T08:00:00")
    evil = export_xml([Invoice("60002", customer=Customer(code="ENT", name="X"))])
    evil = with_doctype(evil, '<!DOCTYPE InvoiceExport [<!ENTITY co "Co AB">]>')
    write_export(env.folder, "b.xml", evil.replace("<Name>X<", "<Name>&co;<"))
    env.export([Invoice("60003")], name="c.xml", created="2024-06-01T10:00:00")
    summary = env.run()
    assert [f.stopped for f in summary.flows] == [None, None]
    assert sent(env) == ["60001", "60003"]
    assert set(errors_by_record(summary)) == {"customer b.xml", "invoice b.xml"}


# -- 4. an invoice exported again hashes the same -----------------------------------------


def _hash_of(folder: Path, name: str, invoice: Invoice, **kwargs: Any) -> str:
    write_export(folder, name, export_xml([invoice]))
    [record] = read(folder, invoices=[invoice.number], **kwargs)
    (folder / name).unlink()
    assert isinstance(record, Record)
    return record.hash


def test_customer_details_do_not_change_an_invoices_hash(tmp_path: Path) -> None:
    before = Customer(phone="+46 31 111", address=("Storgatan 1",), changed="2024-05-20T10:00:00")
    after = Customer(phone="+46 31 222", address=("Hamngatan 9",), changed="2024-06-10T10:00:00")
    first = _hash_of(tmp_path, "a.xml", Invoice("1", customer=before))
    assert _hash_of(tmp_path, "b.xml", Invoice("1", customer=after)) == first
    renumbered = Customer(code="OTHER")
    assert _hash_of(tmp_path, "c.xml", Invoice("1", customer=renumbered)) != first


def test_the_pdf_is_carried_and_hashed_only_with_include_pdf(tmp_path: Path) -> None:
    old, new = make_pdf(["Utskriven 2024-06-01"]), make_pdf(["Utskriven 2024-06-15"])
    without = _hash_of(tmp_path, "a.xml", Invoice("1", pdf=old))
    assert _hash_of(tmp_path, "b.xml", Invoice("1", pdf=new)) == without
    write_export(tmp_path, "a.xml", export_xml([Invoice("1", pdf=old)]))
    [plain] = read(tmp_path)
    [with_pdf] = read(tmp_path, include_pdf=True)
    assert isinstance(plain, Record) and isinstance(with_pdf, Record)
    assert plain.attachments == {} and "pdf" not in plain.data
    assert with_pdf.attachments["pdf"] == old
    config = {"exportFolder": "x", "includePdfCopy": True}
    assert OpterExportSource.from_config(config, {}, "invoice").include_pdf is True
    assert OpterExportSource.from_config({"exportFolder": "x"}, {}, "invoice").include_pdf is False


def test_an_invoice_exported_again_is_not_refused(make_env: MakeEnv) -> None:
    env = make_env()
    customer = Customer(phone="+46 31 111", changed="2024-05-20T10:00:00")
    env.export([Invoice("70001", customer=customer, pdf=make_pdf(["1 June"]))])
    env.run()
    customer = Customer(phone="+46 31 222", changed="2024-06-10T10:00:00")
    env.export([Invoice("70001", customer=customer, pdf=make_pdf(["15 June"]))])
    second = env.run()
    assert second.errors == []
    invoices = next(f for f in second.flows if f.name == "invoices")
    # the new file's copy is unchanged; the first file, settled, is not read again
    assert (invoices.skipped, invoices.failed) == (1, 0)
    assert sent(env) == ["70001"]


# -- 5. large PDF copies ----------------------------------------------------------------


def test_a_pdf_over_ten_megabytes_is_read_and_the_file_goes_on(tmp_path: Path) -> None:
    pdf = make_pdf() + os.urandom(8_000_000)  # some 10.7 MB of base64: over libxml2's default
    write_export(tmp_path, "a.xml", export_xml([Invoice("1"), Invoice("2", pdf=pdf), Invoice("3")]))
    items = read(tmp_path, include_pdf=True)
    assert keys(items) == ["1", "2", "3"]
    assert isinstance(items[1], Record) and items[1].attachments["pdf"] == pdf


def test_a_pdf_over_the_limit_fails_its_invoice_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = make_pdf()
    monkeypatch.setattr(exportformat, "PDF_MAX_BYTES", len(pdf) - 1)
    write_export(tmp_path, "a.xml", export_xml([Invoice("1"), Invoice("2", pdf=pdf), Invoice("3")]))
    items = read(tmp_path, include_pdf=True)
    assert keys(items) == ["1", "2", "3"]
    fault = items[1]
    assert isinstance(fault, Rejected)
    assert fault.error.field == "PdfCopy" and "PDF copy is" in fault.error.message
    assert "at most" in (fault.error.rule or "") and "includePdfCopy" in (fault.error.fix or "")
    assert isinstance(read(tmp_path)[1], Record)  # not read at all without includePdfCopy


def test_the_pdf_limit_is_25_megabytes() -> None:
    assert exportformat.PDF_MAX_BYTES == 25 * 1_048_576
    assert "more than the 25 MB" in str(exportformat.PdfTooLarge(26 * 1_048_576))


# -- 6. an encoding fault loses nothing before it ---------------------------------------------


def test_every_invoice_before_an_encoding_fault_is_read(tmp_path: Path) -> None:
    text = export_xml([Invoice(str(1000 + i)) for i in range(300)]).encode()
    at = text.index(b"<InvoiceNumber>1250</InvoiceNumber>")
    (tmp_path / "a.xml").write_bytes(text[:at] + b"<!-- \xe9 -->" + text[at:])
    items = read(tmp_path)
    assert keys(items) == [str(1000 + i) for i in range(250)] + ["a.xml"]
    fault = items[-1]
    assert isinstance(fault, Rejected) and "0xE9" in fault.error.message


def test_the_stream_returns_the_text_before_a_bad_byte_then_raises() -> None:
    stream = Utf8Stream(io.BytesIO(b"<a>\xc3\xa5 ok\n\xff</a>"), "utf-8")
    assert stream.read(1000) == "<a>å ok\n".encode()
    with pytest.raises(EncodingMismatch) as fault:
        stream.read(1000)
    assert fault.value.line == 2 and fault.value.byte == 0xFF


def test_rows_are_unaffected_by_the_customer_subset(tmp_path: Path) -> None:
    invoice = Invoice("1", rows=[Row(description="Frakt Malmö")])
    write_export(tmp_path, "a.xml", export_xml([invoice]))
    [record] = read(tmp_path)
    assert isinstance(record, Record)
    assert record.data["rows"][0]["description"] == "Frakt Malmö"
    assert set(record.data["customer"]) <= set(exportformat.INVOICE_CUSTOMER_FIELDS)
