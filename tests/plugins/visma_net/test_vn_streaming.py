"""The source streams: a large export file is never built in memory."""

from __future__ import annotations

import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import vn_support
from lxml import etree
from vn_builders import Invoice, export_xml

from ledgerbridge.core.records import Record


def write_large_export(path: Path, count: int) -> int:
    """Write an export with `count` invoices, without holding it in memory."""
    template = Invoice(number="@@NUMBER@@").xml()
    head, tail = export_xml(body="@@BODY@@").split("@@BODY@@")
    with path.open("w", encoding="utf-8") as fh:
        fh.write(head)
        for number in range(1, count + 1):
            fh.write(template.replace("@@NUMBER@@", str(100000 + number)))
        fh.write(tail)
    return path.stat().st_size


class CountingSource(vn_support.CountingSource):
    """Counts the bytes read from export files and the elements kept alive."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.most_siblings = 0

    def _parse(self, path: Path) -> Generator[tuple[str, etree._Element], None, None]:
        for kind, element in super()._parse(path):
            parent = element.getparent()
            self.most_siblings = max(self.most_siblings, len(parent) if parent is not None else 0)
            yield kind, element


def test_first_record_of_a_50k_invoice_file_comes_quickly_and_lazily(tmp_path: Path) -> None:
    size = write_large_export(tmp_path / "big.xml", 50_000)
    assert size > 40_000_000
    source = CountingSource(tmp_path)
    started = time.perf_counter()
    first = next(iter(source.read(None)))
    elapsed = time.perf_counter() - started
    assert isinstance(first, Record) and first.key == "100001"
    assert source.bytes_read[0] < 1_000_000, "the source read far ahead of the first invoice"
    assert elapsed < 2.0


def test_processed_invoices_are_released(tmp_path: Path) -> None:
    write_large_export(tmp_path / "big.xml", 3_000)
    source = CountingSource(tmp_path)
    count = sum(1 for item in source.read(None) if isinstance(item, Record))
    assert count == 3_000
    # Only the invoices of the chunk being parsed are in the tree (lxml parses
    # ahead by a buffer of some 30 kB), never the thousands before them.
    assert source.most_siblings < 100
