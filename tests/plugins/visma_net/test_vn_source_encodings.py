"""Encodings: only text encodings are read, any decoding fault is its file's
alone, UTF-16 is read with a byte-order mark and named without one, and no
control character U+0080-U+009F ever reaches a record (ISO-8859-1 is read as
Windows-1252)."""

from __future__ import annotations

import codecs
import io
from pathlib import Path
from typing import Any

import pytest
from e2e_support import MakeEnv, errors_by_record
from vn_builders import Customer, Invoice, Row, export_xml, write_export
from vn_support import read

from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.plugins.visma_net import encoding
from ledgerbridge.plugins.visma_net.encoding import Utf8Stream
from ledgerbridge.plugins.visma_net.textcodecs import (
    SUPPORTED_ENCODINGS,
    ControlCharacter,
    UnknownEncoding,
    text_codec,
)

NAME = "Åkeri “Öst” AB"
DESCRIPTION = "Frakt Göteborg – Oslo, 5 €"


def text(declared: str | None = "UTF-8") -> str:
    invoice = Invoice("1", customer=Customer(name=NAME), rows=[Row(description=DESCRIPTION)])
    return export_xml([invoice], encoding=declared)


def latin_text(declared: str) -> str:
    """An export with letters every Latin code page has."""
    invoice = Invoice("1", customer=Customer(name="Åkeri Öst AB"), rows=[Row("Frakt Malmö")])
    return export_xml([invoice], encoding=declared)


def with_good_file(folder: Path, content: bytes) -> list[Record | Rejected]:
    """`content` as a.xml beside a good b.xml (exported later): what is read."""
    (folder / "a.xml").write_bytes(content)
    write_export(folder, "b.xml", export_xml([Invoice("2")], created="2024-06-02T00:00:00"))
    return read(folder)


def the_fault(items: list[Record | Rejected]) -> Rejected:
    """The one Rejected, a.xml's, with the good file's invoice still read."""
    [fault] = [i for i in items if isinstance(i, Rejected)]
    assert fault.key == "a.xml"
    assert [i.key for i in items if isinstance(i, Record)] == ["2"]
    assert fault.error.field == "encoding"
    assert fault.error.rule and fault.error.fix
    return fault


def line_of(content: str, needle: str) -> int:
    return next(n for n, x in enumerate(content.splitlines(), start=1) if needle in x)


# -- only text encodings -------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["zlib", "rot13", "base64", "hex", "bz2", "unicode_escape", "utf-7", "idna", "cp037"]
)
def test_a_declared_encoding_that_is_not_a_text_encoding_fails_its_file_alone(
    tmp_path: Path, name: str
) -> None:
    content = text().replace('encoding="UTF-8"', f'encoding="{name}"').encode("ascii", "replace")
    fault = the_fault(with_good_file(tmp_path, content))
    assert fault.error.message.startswith(
        f"file a.xml, line 1: the XML declaration names the "
        f"encoding '{name}', which is not a text encoding"
    )
    assert fault.error.value == name
    assert "Encoding" in (fault.error.fix or "")


def test_an_unknown_encoding_names_itself(tmp_path: Path) -> None:
    content = text().replace('encoding="UTF-8"', 'encoding="latin-99"').encode()
    fault = the_fault(with_good_file(tmp_path, content))
    assert "encoding 'latin-99', which is not known" in fault.error.message


def test_a_zlib_file_stops_no_flow_and_the_others_reach_visma_net(make_env: MakeEnv) -> None:
    env = make_env()
    env.export([Invoice("81001")], name="a.xml", created="2024-06-01T08:00:00")
    bad = export_xml([Invoice("81002")]).replace('encoding="UTF-8"', 'encoding="zlib"')
    write_export(env.folder, "b.xml", bad)
    env.export([Invoice("81003")], name="c.xml", created="2024-06-01T10:00:00")
    summary = env.run()
    assert [f.stopped for f in summary.flows] == [None, None]
    assert sorted(d["received"]["externalReference"] for d in env.docs("invoices")) == [
        "81001",
        "81003",
    ]
    errors = errors_by_record(summary)
    assert set(errors) == {"customer b.xml", "invoice b.xml"}
    assert "file b.xml, line 1" in errors["invoice b.xml"]["message"]
    assert "'zlib'" in errors["invoice b.xml"]["message"]


def test_any_decoding_fault_is_the_files_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a codec raises (not only UnicodeDecodeError) fails the file."""
    real = codecs.getincrementaldecoder

    class Broken(codecs.IncrementalDecoder):
        def decode(self, input: bytes, final: bool = False) -> str:
            raise RuntimeError("the codec broke")

    def decoder(name: str) -> Any:
        return Broken if name == "iso8859-15" else real(name)

    monkeypatch.setattr(encoding.codecs, "getincrementaldecoder", decoder)
    content = latin_text("ISO-8859-15").encode("iso8859-15")
    fault = the_fault(with_good_file(tmp_path, content))
    assert "cannot be decoded as iso8859-15" in fault.error.message
    assert "the codec broke" in fault.error.message


def test_every_accepted_name_is_a_text_encoding_that_reads_ascii_as_ascii() -> None:
    ascii_text = bytes(range(0x20, 0x7F)) + b"\t\n\r"
    for name in [*SUPPORTED_ENCODINGS, "latin1", "cp850", "windows-1250", "koi8-r", "gb18030"]:
        codec = text_codec(name)
        assert ascii_text.decode(codec) == ascii_text.decode("ascii"), name
    for name in ["zlib", "rot13", "utf-7", "unicode_escape", "punycode", "cp500", "undefined"]:
        with pytest.raises(UnknownEncoding):
            text_codec(name)


# -- UTF-16 ------------------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_a_byte_order_mark_are_read(tmp_path: Path, codec: str) -> None:
    declared = "UTF-16" if "16" in codec else "UTF-32"
    bom = codecs.BOM_UTF16_BE if codec == "utf-16-be" else b""
    write_export(tmp_path, "a.xml", text(declared), codec)
    if bom:
        (tmp_path / "a.xml").write_bytes(bom + (tmp_path / "a.xml").read_bytes())
    [record] = read(tmp_path)
    assert isinstance(record, Record)
    assert record.data["rows"][0]["description"] == DESCRIPTION
    [customer] = read(tmp_path, entity="customer")
    assert isinstance(customer, Record) and customer.data["name"] == NAME


def test_utf16_without_a_byte_order_mark_is_named(tmp_path: Path) -> None:
    content = text("UTF-16").encode("utf-16-le")
    fault = the_fault(with_good_file(tmp_path, content))
    assert "the file is in UTF-16 (or UTF-32) without a byte-order mark" in fault.error.message
    assert "UTF-8" in (fault.error.fix or "")


def test_a_single_byte_file_declaring_utf16_is_named(tmp_path: Path) -> None:
    fault = the_fault(with_good_file(tmp_path, text("UTF-16").encode()))
    assert "names the encoding 'UTF-16', but the file is not in it" in fault.error.message


@pytest.mark.parametrize(
    ("mark", "codec", "declared"),
    [(codecs.BOM_UTF8, "utf-8", "ISO-8859-1"), (b"", "utf-16", "UTF-8")],
)
def test_a_byte_order_mark_and_a_declaration_that_disagree_are_named(
    tmp_path: Path, mark: bytes, codec: str, declared: str
) -> None:
    fault = the_fault(with_good_file(tmp_path, mark + text(declared).encode(codec)))
    assert "byte-order mark but its XML declaration names the encoding" in fault.error.message
    assert f"'{declared}'" in fault.error.message


def test_lines_are_counted_in_characters_in_a_utf16_file(tmp_path: Path) -> None:
    content = text("UTF-16").replace("“", "\x93")
    fault = the_fault(with_good_file(tmp_path, content.encode("utf-16")))
    assert f"line {line_of(content, chr(0x93))}:" in fault.error.message


# -- no control characters: ISO-8859-1 is read as Windows-1252 ----------------------------


@pytest.mark.parametrize("declared", ["ISO-8859-1", "latin1", None])
def test_an_iso_8859_1_file_with_windows_1252_letters_is_read_as_windows_1252(
    tmp_path: Path, declared: str | None
) -> None:
    write_export(tmp_path, "a.xml", text(declared), "cp1252")
    [record] = read(tmp_path, encoding="ISO-8859-1")
    assert isinstance(record, Record)
    assert record.data["rows"][0]["description"] == DESCRIPTION  # "–" and "€", not \x96 \x80
    [customer] = read(tmp_path, entity="customer", encoding="ISO-8859-1")
    assert isinstance(customer, Record) and customer.data["name"] == NAME


def test_a_byte_windows_1252_leaves_undefined_is_refused(tmp_path: Path) -> None:
    content = text("ISO-8859-1")
    raw = content.encode("cp1252").replace("€".encode("cp1252"), b"\x81")
    fault = the_fault(with_good_file(tmp_path, raw))
    line = line_of(content, "€")
    assert fault.error.message.startswith(f"file a.xml, line {line}: byte 0x81 on line {line}")
    assert "ISO-8859-1, which is read as Windows-1252" in fault.error.message


def test_control_characters_are_refused_in_iso_8859_15(tmp_path: Path) -> None:
    raw = (
        latin_text("ISO-8859-15").encode("iso8859-15").replace(b"\xd6st", b"\x93\xd6st")
    )  # a cp1252 quote
    fault = the_fault(with_good_file(tmp_path, raw))
    assert "character U+0093" in fault.error.message and "control character" in fault.error.message
    assert "probably in Windows-1252" in fault.error.message


def test_control_characters_are_refused_in_utf8(tmp_path: Path) -> None:
    content = text().replace("–", "\x96")  # cp1252's dash read as ISO-8859-1, then UTF-8
    fault = the_fault(with_good_file(tmp_path, content.encode()))
    line = line_of(content, "\x96")
    assert fault.error.message.startswith(f"file a.xml, line {line}: character U+0096")


def test_the_stream_hands_on_the_text_before_a_control_character() -> None:
    stream = Utf8Stream(io.BytesIO("<a>ok\n\u0085</a>".encode()), "UTF-8")
    assert stream.read(1000) == b"<a>ok\n"
    with pytest.raises(ControlCharacter) as fault:
        stream.read(1000)
    assert fault.value.line == 2
