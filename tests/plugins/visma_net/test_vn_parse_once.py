"""A new or changed export file is parsed once a run for both flows
(exportparts.py, core/parsecache.py), and both flows still get exactly the
items they got when each parsed the file itself.

`parsed` counts the invoice elements lxml hands the source, per file: a
file parsed once counts its invoices once.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from vn_builders import Customer, Invoice, export_xml, make_pdf, write_export

from ledgerbridge.core.parsecache import ParseCache
from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.plugins.visma_net.exportparts import SharedParse
from ledgerbridge.plugins.visma_net.source import OpterExportSource

Items = list[Record | Rejected]


def awkward_folder(folder: Path) -> dict[str, int]:
    """Files with every kind of fault a source reports, and the invoice
    elements in each: good invoices with PDF copies, an invoice failing the
    XSD, a credit note without its reference, an element that is no invoice,
    a customer without a customer number, a file cut off mid-invoice, a file
    without a header, and a file of another period."""
    folder.mkdir(exist_ok=True)
    pdf = make_pdf()
    no_number = Customer(code="NONUM", number=None, changed="2024-05-21T10:00:00")
    body = "".join(
        [
            Invoice("10001", pdf=pdf).xml(),
            Invoice("10002", invoice_date="2024-13-45").xml(),
            "<Note>not an invoice</Note>\n",
            Invoice("10003", kind="Credit", pdf=pdf).xml(),
            Invoice("10004", customer=no_number, pdf=pdf).xml(),
        ]
    )
    write_export(folder, "a.xml", export_xml(body=body, created="2024-06-01T08:00:00"))
    cut = export_xml([Invoice("20001", pdf=pdf), Invoice("20002")], created="2024-06-01T09:00:00")
    write_export(folder, "b.xml", cut[: cut.index("<Invoice>", cut.index("20001")) + 60])
    headless = export_xml([Invoice("30001")]).replace("<ExportCreated>", "<Created>", 1)
    write_export(folder, "c.xml", headless)
    other = export_xml([Invoice("40001")], period="2024-04", created="2024-06-01T07:00:00")
    write_export(folder, "d.xml", other)
    return {"a.xml": 4, "b.xml": 1, "d.xml": 1}


def read_both(folder: Path, cache: ParseCache | None, **settings: Any) -> tuple[Items, Items]:
    """The customers flow's items, then the invoices flow's, as the plugin
    builds their sources (sharing `cache`, when given)."""

    def source(entity: Any, spools: bool) -> OpterExportSource:
        shared = None if cache is None else SharedParse(cache, spools=spools)
        return OpterExportSource(folder, entity=entity, shared=shared, **settings)

    customers = list(source("customer", True).read(None))
    return customers, list(source("invoice", False).read(None))


SETTINGS = [
    {},
    {"include_pdf": True},
    {"include_pdf": True, "use_customer_number": True},
    {"invoices": ["10001", "10004", "20001"]},
    {"periods": ["2024-05"]},
]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(s) or "defaults")
def test_both_flows_get_the_same_items_parsing_each_file_once(
    tmp_path: Path, parsed: Counter[str], settings: dict[str, Any]
) -> None:
    invoices = awkward_folder(tmp_path / "export")
    if "periods" in settings:  # d.xml is of another period: not parsed at all
        del invoices["d.xml"]
    before = read_both(tmp_path / "export", None, **settings)
    assert parsed == {name: 2 * count for name, count in invoices.items()}
    parsed.clear()

    cache = ParseCache(tmp_path)
    try:
        after = read_both(tmp_path / "export", cache, **settings)
        assert parsed == invoices  # once, for both flows
        assert cache.stats.replayed == len(invoices)
    finally:
        cache.close()
    assert after == before  # records, attachments, Rejected items, messages, origins
    assert [str(r.error) for r in after[1] if isinstance(r, Rejected)] == [
        str(r.error) for r in before[1] if isinstance(r, Rejected)
    ]


def test_the_items_say_what_they_said_before(tmp_path: Path) -> None:
    """What `after == before` compares above is not empty: every fault is there."""
    awkward_folder(tmp_path / "export")
    cache = ParseCache(tmp_path)
    try:
        customers, invoices = read_both(tmp_path / "export", cache, include_pdf=True)
    finally:
        cache.close()
    failed = [r.key for r in invoices if isinstance(r, Rejected)]
    assert failed == ["c.xml", "10002", "a.xml:16", "10003", "b.xml"]
    sent = [r for r in invoices if isinstance(r, Record)]
    assert [r.key for r in sent] == ["40001", "10001", "10004", "20001"]
    assert all(r.attachments["pdf"] == make_pdf() for r in sent if r.key != "40001")
    assert [r.key for r in customers if isinstance(r, Rejected)] == ["c.xml", "b.xml"]
    assert len({r.origin for r in invoices} & {r.origin for r in customers}) == 0


def test_a_file_changed_between_the_two_flows_is_parsed_again(
    tmp_path: Path, parsed: Counter[str]
) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write_export(folder, "a.xml", export_xml([Invoice("10001")]))
    cache = ParseCache(tmp_path)
    try:
        customers = OpterExportSource(folder, entity="customer", shared=SharedParse(cache, True))
        list(customers.read(None))
        write_export(folder, "a.xml", export_xml([Invoice("10001"), Invoice("10002")]))
        shared = SharedParse(cache, False)
        invoices = list(OpterExportSource(folder, shared=shared).read(None))
        assert [r.key for r in invoices] == ["10001", "10002"]  # the new bytes, not the spool
        assert parsed == {"a.xml": 3} and cache.stats.replayed == 0
    finally:
        cache.close()


def test_a_reader_that_does_not_spool_keeps_nothing(tmp_path: Path, parsed: Counter[str]) -> None:
    """The invoices flow, last to read, parses for itself alone on a miss."""
    awkward_folder(tmp_path / "export")
    cache = ParseCache(tmp_path)
    try:
        shared = SharedParse(cache, spools=False)
        list(OpterExportSource(tmp_path / "export", shared=shared).read(None))
        assert cache.stats.spooled == 0 and cache.size == 0
    finally:
        cache.close()
