"""Memory is bounded by the size of one invoice: an invoice over the limits
(bytes, or tags and attributes) is refused while it is being read, naming
it, and the other files go on. Tests inject small limits; the default
limits' memory figures are measured in bench/bench_vn_memory.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from e2e_support import MakeEnv, errors_by_record
from vn_builders import Invoice, Row, export_xml, make_pdf, write_export
from vn_support import CountingSource, keys, read

from ledgerbridge.core.records import Rejected
from ledgerbridge.plugins.visma_net import exportfile, exportformat, source
from ledgerbridge.plugins.visma_net.exportfile import FileLimits
from ledgerbridge.plugins.visma_net.source import OpterExportSource

SMALL = FileLimits(max_bytes=200_000, max_markup=20_000)
"""Well above what one lxml read (32 kB) can hold, well below the defaults."""


def big_pdf(size: int) -> bytes:
    return make_pdf() + os.urandom(size)


def test_an_invoice_over_the_byte_limit_is_refused_naming_it(tmp_path: Path) -> None:
    xml = export_xml([Invoice("1"), Invoice("2", pdf=big_pdf(400_000)), Invoice("3")])
    write_export(tmp_path, "a.xml", xml)
    write_export(tmp_path, "b.xml", export_xml([Invoice("4")], created="2024-06-02T00:00:00"))
    for include_pdf in (False, True):
        items = read(tmp_path, limits=SMALL, include_pdf=include_pdf)
        assert keys(items) == ["1", "a.xml", "4"]
        fault = items[1]
        assert isinstance(fault, Rejected)
        line = next(n for n, x in enumerate(xml.splitlines(), start=1) if ">2<" in x) - 1
        assert fault.error.message.startswith(
            f"file a.xml, line {line}: invoice 2 is too large to read: it is over 0.191 MB"
        )
        assert "invoices from here on were not read" in fault.error.message
        assert fault.error.rule == (
            "an invoice may be at most 0.191 MB in the export file (a PDF copy at most 25 MB)"
        )
        assert "smaller PDF copy" in (fault.error.fix or "")
        assert fault.error.details["invoice"] == "2"


def test_the_oversized_invoice_is_refused_while_it_is_read_not_after(tmp_path: Path) -> None:
    """The parser stops within some lxml reads of the limit: a 5 MB PDF copy
    is never read to its end (before the guard, all of it was held)."""
    write_export(tmp_path, "a.xml", export_xml([Invoice("1", pdf=big_pdf(5_000_000))]))
    source = CountingSource(tmp_path, limits=SMALL)
    [fault] = list(source.read(None))
    assert isinstance(fault, Rejected) and "too large" in fault.error.message
    assert source.bytes_read[0] < 600_000


def test_an_invoice_with_too_many_tags_is_refused(tmp_path: Path) -> None:
    """Tiny elements cost far more memory than their bytes: counted apart."""
    rows = [Row(description=f"rad {i}") for i in range(1_500)]  # some 27,000 tags
    write_export(tmp_path, "a.xml", export_xml([Invoice("1"), Invoice("2", rows=rows)]))
    items = read(tmp_path, limits=FileLimits(max_bytes=10_000_000, max_markup=20_000))
    assert keys(items) == ["1", "a.xml"]
    fault = items[1]
    assert isinstance(fault, Rejected)
    assert "invoice 2 is too large to read: it has more than 20,000 tags and attributes" in (
        fault.error.message
    )
    assert "(some 20,000 rows)" in (fault.error.rule or "")


def test_invoices_under_the_limits_are_all_read(tmp_path: Path) -> None:
    """The count starts again at every invoice: a file may hold any number."""
    invoices = [Invoice(str(i), rows=[Row(), Row()]) for i in range(1, 301)]
    write_export(tmp_path, "a.xml", export_xml(invoices))
    assert keys(read(tmp_path, limits=SMALL)) == [str(i) for i in range(1, 301)]


def test_an_element_without_an_invoice_number_is_named_by_its_tag(tmp_path: Path) -> None:
    blob = "x" * 300_000
    write_export(tmp_path, "a.xml", export_xml(body=f"<Stuff>{blob}</Stuff>"))
    [fault] = read(tmp_path, limits=SMALL)
    assert isinstance(fault, Rejected)
    assert "<Stuff> is too large to read" in fault.error.message


def test_the_default_limit_holds_the_largest_pdf_copy() -> None:
    """A PDF copy of 25 MB is some 34 MB of base64: it fits, with room for rows,
    so a PDF over its own limit still fails its invoice alone."""
    base64_size = exportformat.PDF_MAX_BYTES * 4 // 3
    assert base64_size * 1.5 < exportfile.INVOICE_MAX_BYTES
    assert FileLimits() == FileLimits(exportfile.INVOICE_MAX_BYTES, exportfile.INVOICE_MAX_MARKUP)
    assert exportfile.INVOICE_MAX_BYTES == 64 * 1_048_576


def test_the_limits_come_from_the_config_path_too() -> None:
    source = OpterExportSource.from_config({"exportFolder": "x"}, {}, "invoice")
    assert source.limits == FileLimits()


def test_an_oversized_invoice_stops_no_flow(
    make_env: MakeEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "FileLimits", lambda: SMALL)  # what the engine's source gets
    env = make_env()
    env.export([Invoice("92001"), Invoice("92002", pdf=big_pdf(400_000))], name="a.xml")
    env.export([Invoice("92003")], name="b.xml")
    summary = env.run()
    assert [f.stopped for f in summary.flows] == [None, None]
    sent = sorted(d["received"]["externalReference"] for d in env.docs("invoices"))
    assert sent == ["92001", "92003"]
    error = errors_by_record(summary)["invoice a.xml"]
    assert "invoice 92002 is too large to read" in error["message"]
