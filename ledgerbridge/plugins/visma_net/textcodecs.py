"""Which encodings an export file may be in, and the faults of one that is not.

Python's codec registry holds more than text encodings: `zlib`, `base64`,
`hex`, `rot13` and `bz2` transform bytes or strings, `unicode_escape` and
`utf-7` turn plain ASCII into other characters (`\\x3c` or `+ADw-` would
become `<`), `idna` and `punycode` are for host names. A file whose XML
declaration names one of them must be refused as that file's fault, never
crash the run, so a declared name is accepted only when it is a *text
encoding*:

- UTF-8; UTF-16 and UTF-32 only with a byte-order mark (without one their
  byte order is a guess, and a declaration cannot even be found);
- an ASCII-compatible single- or multi-byte character set: ISO-8859-x,
  Windows-125x, the DOS code pages (CP437, CP850, CP865, ...), KOI8, Mac
  Roman and the stateless CJK encodings. "ASCII-compatible" is checked, not
  assumed: every printable ASCII byte must decode to itself, which also
  refuses EBCDIC code pages.

ISO-8859-1 (declared or configured) is read as Windows-1252, its superset, as
every browser does: an "ISO-8859-1" file from a Windows machine holds "€",
"–" and curly quotes as bytes 0x80-0x9F, which ISO-8859-1 would turn into
invisible control characters. A byte Windows-1252 leaves undefined (0x81,
0x8D, 0x8F, 0x90, 0x9D) is a fault. Control characters U+0080-U+009F are
refused in every encoding (see `ControlCharacter`).
"""

from __future__ import annotations

import codecs
import re

SUPPORTED_ENCODINGS: dict[str, str] = {
    "UTF-8": "utf-8",
    "ISO-8859-1": "cp1252",
    "ISO-8859-15": "iso8859-15",
    "Windows-1252": "cp1252",
    "CP865": "cp865",
}
"""Config value -> Python codec. The config schema's enum lists the keys."""

_TEXT_FAMILIES = re.compile(
    r"^(utf-8|ascii|iso8859-\d{1,2}|cp\d{3,5}|koi8-[a-z]|mac-[a-z]+|tis-620|ptcp154|kz1048"
    r"|shift_jis|shift_jis_2004|shift_jisx0213|euc_jp|euc_jis_2004|euc_jisx0213|euc_kr"
    r"|gb2312|gbk|gb18030|big5|big5hkscs|johab)$"
)
"""Canonical codec names that are character sets (the stateful ISO-2022
family and HZ are left out: a fault in them cannot be located reliably)."""

_WIDE = {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}
_ASCII_PROBE = bytes(range(0x20, 0x7F)) + b"\t\n\r"
_READ_AS = {"iso8859-1": "cp1252"}
"""Codecs read as a superset (see the module docstring)."""

BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
"""Byte-order marks and the codec each one means."""

_WIDE_WITHOUT_BOM = (b"<\x00?\x00", b"\x00<\x00?", b"<\x00\x00\x00", b"\x00\x00\x00<")


class EncodingProblem(ValueError):
    """A file cannot be decoded: the file's refusal, never the run's.

    line: where it was found (1 for the declaration); field `encoding`."""

    line: int = 1
    fix: str | None = None


class EncodingMismatch(EncodingProblem):
    """The bytes of a file are not valid in the encoding it is read with."""

    def __init__(self, encoding: str, line: int, byte: int, declared: bool, how: str = "") -> None:
        self.encoding = encoding
        self.line = line
        self.byte = byte
        self.declared = declared
        source = "its XML declaration" if declared else "the export's Encoding setting"
        super().__init__(
            f"byte 0x{byte:02X} on line {line} is not valid {encoding} "
            f"(the encoding taken from {source}{how})"
        )


class ControlCharacter(EncodingMismatch):
    """A decoded character is a C1 control (U+0080-U+009F).

    No invoice text holds one; it is what Windows-1252 letters become when a
    file is read as ISO-8859-1 or ISO-8859-15, or when text was converted to
    UTF-8 from the wrong code page. Sending it would put an invisible control
    character where "€" or "–" was meant."""

    def __init__(self, encoding: str, line: int, char: str, declared: bool) -> None:
        source = "its XML declaration" if declared else "the export's Encoding setting"
        hint = (
            "the text was probably converted to UTF-8 from Windows-1252 as if it were ISO-8859-1"
            if encoding == "utf-8"
            else "the file is probably in Windows-1252"
        )
        EncodingProblem.__init__(
            self,
            f"character U+{ord(char):04X} on line {line} is a control character, not text "
            f"(read as {encoding}, the encoding taken from {source}): {hint}",
        )
        self.encoding, self.line, self.byte, self.declared = encoding, line, ord(char), declared


class UnknownEncoding(EncodingProblem):
    """The XML declaration names an encoding that is not a text encoding read here."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"the XML declaration names the encoding {name!r}, {why}")
        self.name = name


class WideWithoutBom(EncodingProblem):
    """The file is in UTF-16 or UTF-32 but has no byte-order mark."""

    def __init__(self) -> None:
        super().__init__(
            "the file is in UTF-16 (or UTF-32) without a byte-order mark, so its byte order "
            "is unknown"
        )
        self.fix = (
            "save the file as UTF-8 (Encoding UTF-8 in the invoice export), or as UTF-16 "
            "with a byte-order mark, and export again"
        )


class DeclaredWide(EncodingProblem):
    """The declaration names UTF-16/UTF-32, but the file is in single bytes."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"the XML declaration names the encoding {name!r}, but the file is not in it: it "
            "has no byte-order mark and its declaration is written in single bytes"
        )
        self.fix = (
            "correct the declaration to the encoding the file is in (e.g. UTF-8), or save the "
            "file as UTF-16 with a byte-order mark; then export again"
        )


class BomMismatch(EncodingProblem):
    """The byte-order mark and the declaration name different encodings."""

    def __init__(self, bom: str, declared: str) -> None:
        super().__init__(
            f"the file starts with a {bom.upper()} byte-order mark but its XML declaration "
            f"names the encoding {declared!r}"
        )
        self.fix = "save the file again in one encoding, with a declaration that names it"


def text_codec(name: str) -> str:
    """The codec a file (or config) naming `name` is read with; UnknownEncoding
    when `name` is not a text encoding (see the module docstring)."""
    for label, codec in SUPPORTED_ENCODINGS.items():
        if label.lower() == name.lower():
            return codec
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        raise UnknownEncoding(name, "which is not known") from None
    if canonical in _WIDE:
        return canonical
    if not _TEXT_FAMILIES.match(canonical) or not _ascii_compatible(canonical):
        raise UnknownEncoding(name, "which is not a text encoding an export file can be in")
    return _READ_AS.get(canonical, canonical)


def codec_for(config_value: str) -> str:
    """Python codec for a config `encoding` value (case-insensitive)."""
    return text_codec(config_value)


def is_wide(codec: str) -> bool:
    """UTF-16 or UTF-32: readable only with a byte-order mark."""
    return codec in _WIDE


def same_wide_family(bom_codec: str, declared_codec: str) -> bool:
    """A declaration naming UTF-16 agrees with a UTF-16 LE or BE mark."""
    return declared_codec.split("-")[:2] == bom_codec.split("-")[:2]


def bom(head: bytes) -> tuple[str, int] | None:
    """(codec, length) of the byte-order mark `head` starts with."""
    for mark, codec in BOMS:
        if head.startswith(mark):
            return codec, len(mark)
    return None


def looks_wide(head: bytes) -> bool:
    """UTF-16/32 without a byte-order mark: `<?` with NUL bytes between."""
    return head.startswith(_WIDE_WITHOUT_BOM)


def read_as_note(label: str, codec: str) -> str:
    """': ISO-8859-1, which is read as Windows-1252, ...' when a superset is used."""
    try:
        canonical = codecs.lookup(label).name
    except LookupError:
        return ""
    if _READ_AS.get(canonical) == codec:
        return f": {label}, which is read as Windows-1252, its superset"
    return ""


def _ascii_compatible(codec: str) -> bool:
    try:
        return _ASCII_PROBE.decode(codec) == _ASCII_PROBE.decode("ascii")
    except (UnicodeError, LookupError):
        return False
