"""Reduce PDF file size: lossless recompression and metadata removal."""

from __future__ import annotations

import re
import zlib

from vn_builders import make_pdf

from ledgerbridge.plugins.visma_net.pdf import reduce_pdf

LINES = [f"Rad {n}: Frakt Goteborg-Oslo, 1 pall, 1 250,00 SEK" for n in range(120)]


def objects(pdf: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(0) for m in re.finditer(rb"(\d+) 0 obj.*?endobj", pdf, re.S)}


def content_text(pdf: bytes) -> bytes:
    """The decoded page content stream."""
    for body in objects(pdf).values():
        match = re.search(rb"<<([^>]*)>>\nstream\n(.*)\nendstream", body, re.S)
        if match and b"/Type" not in match.group(1):
            data = match.group(2)
            return zlib.decompress(data) if b"FlateDecode" in match.group(1) else data
    raise AssertionError("no content stream")


def check_xref(pdf: bytes) -> None:
    """Every in-use xref entry points at its object; startxref at the table."""
    start = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
    assert pdf[start:].startswith(b"xref")
    entries = re.findall(rb"(\d{10}) 00000 n ", pdf[start:])
    for number, offset in enumerate(entries, start=1):
        if int(offset):
            assert pdf[int(offset) :].startswith(b"%d 0 obj" % number)


def test_uncompressed_pdf_gets_much_smaller_and_keeps_its_content() -> None:
    original = make_pdf(LINES, compress=False, metadata=True)
    reduced = reduce_pdf(original)
    print(f"uncompressed: {len(original)} -> {len(reduced)} bytes")
    assert len(reduced) < len(original) * 0.4
    assert content_text(reduced) == content_text(original)
    assert reduced.startswith(b"%PDF-1.4") and reduced.rstrip().endswith(b"%%EOF")
    check_xref(reduced)


def test_metadata_and_info_are_dropped() -> None:
    reduced = reduce_pdf(make_pdf(LINES))
    assert b"/Metadata" not in reduced and b"xmpmeta" not in reduced
    assert b"Opter Report Engine" not in reduced and b"/Info" not in reduced
    assert b"/BaseFont /Helvetica" in reduced


def test_fast_compressed_pdf_is_recompressed() -> None:
    original = make_pdf(LINES, compress=True, metadata=False)
    reduced = reduce_pdf(original)
    assert len(reduced) < len(original)
    assert content_text(reduced) == content_text(original)


def test_reduction_is_idempotent_and_never_grows() -> None:
    once = reduce_pdf(make_pdf(LINES))
    assert reduce_pdf(once) == once


def test_pdfs_it_cannot_rewrite_are_returned_unchanged() -> None:
    encrypted = make_pdf(LINES).replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt 9 0 R")
    assert reduce_pdf(encrypted) == encrypted
    assert reduce_pdf(b"not a pdf") == b"not a pdf"
    xref_stream = b"%PDF-1.5\n1 0 obj\n<< /Type /XRef /Length 0 >>\nstream\n\nendstream\nendobj\n"
    assert reduce_pdf(xref_stream) == xref_stream
