"""Reading export files in the encodings Opter users still have.

Opter writes the export in the encoding chosen on the export's General tab
(UTF-8 today; ISO-8859-1, ISO-8859-15, Windows-1252 or CP865 on older
installations). libxml2 only knows some of these, and its errors for a wrong
encoding are hard to act on, so files are decoded here with Python's codecs
and handed to lxml as UTF-8, line for line:

- an encoding stated in the file's XML declaration is honoured; otherwise the
  configured `encoding` is used;
- bytes that are not valid in that encoding (a file declared UTF-8 but saved
  as Windows-1252, say) raise `EncodingMismatch` naming the line and byte;
  everything before the bad byte is handed to lxml first, so every invoice
  completed before it is still read.

The declaration is rewritten to `encoding="UTF-8"` in place, so line numbers
in lxml's messages are the line numbers of the original file.

`NoDoctype` wraps that stream and refuses a DOCTYPE in the prolog before lxml
sees it: a DOCTYPE is the only way to declare entities, so refusing it means
no entity is ever declared, expanded or fetched, whatever libxml2's limits.
"""

from __future__ import annotations

import codecs
import re
from typing import BinaryIO

SUPPORTED_ENCODINGS: dict[str, str] = {
    "UTF-8": "utf-8",
    "ISO-8859-1": "iso8859-1",
    "ISO-8859-15": "iso8859-15",
    "Windows-1252": "cp1252",
    "CP865": "cp865",
}
"""Config value -> Python codec. The config schema's enum lists the keys."""

_DECLARATION = re.compile(rb"^(\xef\xbb\xbf)?<\?xml[^>]*?\?>")
_ENCODING_ATTR = re.compile(rb"""encoding\s*=\s*(["'])([A-Za-z0-9._\-]+)\1""")
_CHUNK = 64 * 1024


class EncodingMismatch(ValueError):
    """The bytes of a file are not valid in the encoding it is read with."""

    def __init__(self, encoding: str, line: int, byte: int, declared: bool) -> None:
        self.encoding = encoding
        self.line = line
        self.byte = byte
        self.declared = declared
        source = "its XML declaration" if declared else "the export's Encoding setting"
        super().__init__(
            f"byte 0x{byte:02X} on line {line} is not valid {encoding} "
            f"(the encoding taken from {source})"
        )


class UnknownEncoding(ValueError):
    """The XML declaration names an encoding Python does not know."""


def codec_for(config_value: str) -> str:
    """Python codec name for a config `encoding` value (case-insensitive)."""
    for name, codec in SUPPORTED_ENCODINGS.items():
        if name.lower() == config_value.lower():
            return codec
    return codecs.lookup(config_value).name


class Utf8Stream:
    """A read-only binary stream that yields the file re-encoded as UTF-8.

    Decoding is incremental (one chunk at a time), so a 100,000-invoice file
    is never held in memory. `encoding` is the codec used when the file has
    no encoding in its XML declaration.
    """

    def __init__(self, raw: BinaryIO, encoding: str) -> None:
        self._raw = raw
        self._fallback = encoding
        self._decoder: codecs.IncrementalDecoder | None = None
        self._encoding = encoding
        self._declared = False
        self._line = 1
        self._pending = b""
        self._eof = False
        self._fault: EncodingMismatch | None = None

    @property
    def encoding(self) -> str:
        """The codec actually used (known after the first read)."""
        return self._encoding

    def read(self, size: int = -1) -> bytes:
        """Return up to about `size` bytes of UTF-8 (lxml calls this).

        After a bad byte, the text before it is returned first and the
        `EncodingMismatch` is raised by the read after that, so lxml parses
        (and the source yields) every invoice that ends before the fault."""
        while not self._eof and (size < 0 or len(self._pending) < size):
            self._fill()
        if not self._pending and self._fault is not None:
            raise self._fault
        if size < 0:
            out, self._pending = self._pending, b""
        else:
            out, self._pending = self._pending[:size], self._pending[size:]
        return out

    def _fill(self) -> None:
        chunk = self._raw.read(_CHUNK)
        if self._decoder is None:
            chunk = self._start(chunk)
        assert self._decoder is not None
        final = not chunk
        try:
            text = self._decoder.decode(chunk, final=final)
        except UnicodeDecodeError as err:
            self._stop_at(err)
            return
        self._line += chunk.count(b"\n")
        self._pending += text.encode("utf-8")
        self._eof = final

    def _stop_at(self, err: UnicodeDecodeError) -> None:
        """Keep the text before the bad byte; the fault is raised once it is read."""
        seen = bytes(err.object)
        good = seen[: err.start]
        line = self._line + good.count(b"\n")
        bad = seen[err.start] if err.start < len(seen) else 0
        self._pending += good.decode(self._encoding).encode("utf-8")
        self._fault = EncodingMismatch(self._encoding, line, bad, self._declared)
        self._eof = True

    def _start(self, chunk: bytes) -> bytes:
        """Pick the encoding from the declaration and rewrite it to UTF-8."""
        while len(chunk) < 512:
            more = self._raw.read(_CHUNK)
            if not more:
                break
            chunk += more
        match = _DECLARATION.match(chunk)
        if chunk.startswith(codecs.BOM_UTF8):
            self._encoding, self._declared = "utf-8", True
        if match is None:
            self._decoder = codecs.getincrementaldecoder(self._encoding)()
            return chunk[3:] if self._declared else chunk
        declaration = match.group(0)
        attr = _ENCODING_ATTR.search(declaration)
        if attr is not None:
            self._encoding = self._declared_codec(attr.group(2).decode("ascii"))
            self._declared = True
        rewritten = _rewrite_declaration(declaration.removeprefix(codecs.BOM_UTF8))
        self._decoder = codecs.getincrementaldecoder(self._encoding)()
        return rewritten + chunk[len(declaration) :]

    def _declared_codec(self, name: str) -> str:
        try:
            declared = codec_for(name)
        except LookupError:
            raise UnknownEncoding(
                f"the XML declaration names the encoding {name!r}, which is not known"
            ) from None
        if self._encoding == "utf-8" and self._declared and declared != "utf-8":
            raise EncodingMismatch("utf-8 (byte order mark)", 1, 0xEF, True)
        return declared


def _rewrite_declaration(declaration: bytes) -> bytes:
    """The declaration with encoding="UTF-8" (added when it had none)."""
    if _ENCODING_ATTR.search(declaration):
        return _ENCODING_ATTR.sub(b'encoding="UTF-8"', declaration, count=1)
    return declaration.replace(b"?>", b' encoding="UTF-8"?>', 1)


class DoctypeFound(ValueError):
    """An export file has a DOCTYPE (and so, possibly, entity declarations)."""

    def __init__(self, line: int) -> None:
        self.line = line
        super().__init__(f"the file has a DOCTYPE on line {line}")


_DOCTYPE = b"<!DOCTYPE"
_SKIPPED = ((b"<?", b"?>"), (b"<!--", b"-->"))
_SPACE = b" \t\r\n"


class NoDoctype:
    """A read-only UTF-8 stream passed through unchanged, except that a
    DOCTYPE in the prolog raises `DoctypeFound` before lxml receives it.

    Export files never have one; refusing it here (rather than relying on
    lxml's entity options) means a file cannot declare entities at all, so
    nothing is expanded, fetched or left as an entity node that breaks the
    XSD validation. Only the prolog (before the root element) is examined.
    """

    def __init__(self, inner: Utf8Stream) -> None:
        self._inner = inner
        self._prolog = b""
        self._line = 1
        self._done = False

    def read(self, size: int = -1) -> bytes:
        """Return the next bytes (lxml calls this); see the class docstring."""
        data = self._inner.read(size)
        if not self._done:
            self._prolog += data
            self._check(at_end=not data)
        return data

    def _check(self, at_end: bool) -> None:
        """Consume the prolog's declaration, PIs, comments and spaces; stop at
        the first other markup, or wait for more bytes when it is cut off."""
        while True:
            rest = self._prolog.lstrip(_SPACE)
            self._consume(len(self._prolog) - len(rest))
            if len(rest) < len(_DOCTYPE) and not at_end:
                return
            if rest[: len(_DOCTYPE)].upper() == _DOCTYPE:
                raise DoctypeFound(self._line)
            skipped = _skipped_length(rest)
            if skipped is None:
                self._done = self._done or at_end
                return
            if skipped == 0:
                self._done, self._prolog = True, b""
                return
            self._consume(skipped)

    def _consume(self, length: int) -> None:
        self._line += self._prolog[:length].count(b"\n")
        self._prolog = self._prolog[length:]


def _skipped_length(text: bytes) -> int | None:
    """Length of the PI or comment `text` starts with; 0 when it starts with
    something else; None when it is not complete yet."""
    for start, end in _SKIPPED:
        if text.startswith(start):
            found = text.find(end, len(start))
            return None if found < 0 else found + len(end)
    return 0
