"""Reading export files in the encodings Opter users still have.

Opter writes the export in the encoding chosen on the export's General tab
(UTF-8 today; ISO-8859-1, ISO-8859-15, Windows-1252 or CP865 on older
installations). libxml2 only knows some of these, and its errors for a wrong
encoding are hard to act on, so files are decoded here with Python's codecs
and handed to lxml as UTF-8, line for line:

- a byte-order mark decides first (UTF-8, UTF-16 or UTF-32; a declaration
  naming another encoding is a fault); then an encoding stated in the file's
  XML declaration; otherwise the configured `encoding`. Only text encodings
  are accepted (see textcodecs.py: `zlib` or `rot13` in a declaration is the
  file's fault, never the run's), and ISO-8859-1 is read as Windows-1252;
- bytes that are not valid in that encoding (a file declared UTF-8 but saved
  as Windows-1252, say), a control character U+0080-U+009F, or any other
  decoding fault raise an `EncodingProblem` naming the line; everything
  before it is handed to lxml first, so every invoice completed before it is
  still read.

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

from ledgerbridge.plugins.visma_net.textcodecs import (
    SUPPORTED_ENCODINGS,
    BomMismatch,
    ControlCharacter,
    DeclaredWide,
    EncodingMismatch,
    EncodingProblem,
    UnknownEncoding,
    WideWithoutBom,
    bom,
    codec_for,
    is_wide,
    looks_wide,
    read_as_note,
    same_wide_family,
    text_codec,
)

__all__ = [
    "SUPPORTED_ENCODINGS",
    "DoctypeFound",
    "EncodingMismatch",
    "EncodingProblem",
    "NoDoctype",
    "UnknownEncoding",
    "Utf8Stream",
    "codec_for",
]

_DECLARATION = re.compile(rb"^<\?xml[^>]*?\?>")
_ENCODING_ATTR = re.compile(rb"""encoding\s*=\s*(["'])([A-Za-z0-9._\-]+)\1""")
_TEXT_DECLARATION = re.compile(r"^<\?xml[^>]*?\?>")
_TEXT_ENCODING_ATTR = re.compile(r"""encoding\s*=\s*(["'])([A-Za-z0-9._\-]+)\1""")
_CONTROL = re.compile("[\x80-\x9f]")
_CHUNK = 64 * 1024


class Utf8Stream:
    """A read-only binary stream that yields the file re-encoded as UTF-8.

    Decoding is incremental (one chunk at a time), so a 100,000-invoice file
    is never held in memory. `encoding` (a config value or codec name) is
    used when the file has neither a byte-order mark nor an encoding in its
    XML declaration.
    """

    def __init__(self, raw: BinaryIO, encoding: str) -> None:
        self._raw = raw
        self._label = encoding
        self._encoding = text_codec(encoding)
        self._decoder: codecs.IncrementalDecoder | None = None
        self._declared = False
        self._check_declaration = False
        self._line = 1
        self._pending = b""
        self._eof = False
        self._fault: EncodingProblem | None = None

    @property
    def encoding(self) -> str:
        """The codec actually used (known after the first read)."""
        return self._encoding

    def read(self, size: int = -1) -> bytes:
        """Return up to about `size` bytes of UTF-8 (lxml calls this).

        After a fault, the text before it is returned first and the
        `EncodingProblem` is raised by the read after that, so lxml parses
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
        try:
            self._fill_once()
        except EncodingProblem as problem:
            self._fault, self._eof = problem, True

    def _fill_once(self) -> None:
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
        except Exception as err:  # any other codec fault is the file's, never the run's
            raise EncodingProblem(
                f"the file cannot be decoded as {self._encoding} from line {self._line} "
                f"({type(err).__name__}: {err})"
            ) from None
        self._accept(text)
        self._eof = final

    def _accept(self, text: str) -> None:
        """Hand decoded text on, up to a control character (a fault)."""
        if self._check_declaration:
            text = self._declaration_in_text(text)
        control = _CONTROL.search(text)
        if control is None:
            self._push(text)
            return
        self._push(text[: control.start()])
        raise ControlCharacter(self._encoding, self._line, control.group(), self._declared)

    def _push(self, text: str) -> None:
        self._line += text.count("\n")
        self._pending += text.encode("utf-8")

    def _stop_at(self, err: UnicodeDecodeError) -> None:
        """Keep the text before the bad byte; the fault is raised once it is read."""
        seen = bytes(err.object)
        try:
            good = seen[: err.start].decode(self._encoding)
        except UnicodeDecodeError:  # a multi-byte state cut in two: report where we are
            good = ""
        self._accept(good)
        bad = seen[err.start] if err.start < len(seen) else 0
        note = read_as_note(self._label, self._encoding)
        raise EncodingMismatch(self._encoding, self._line, bad, self._declared, note)

    def _start(self, chunk: bytes) -> bytes:
        """Pick the encoding (byte-order mark, declaration, config) and rewrite
        a single-byte declaration to UTF-8; the rest is left to decode."""
        while len(chunk) < 512:
            more = self._raw.read(_CHUNK)
            if not more:
                break
            chunk += more
        mark = bom(chunk)
        if mark is not None:
            self._encoding, self._label, self._declared = mark[0], mark[0], True
            self._check_declaration = True  # read in the decoded text
            self._decoder = codecs.getincrementaldecoder(self._encoding)()
            return chunk[mark[1] :]
        if looks_wide(chunk):
            raise WideWithoutBom()
        match = _DECLARATION.match(chunk)
        attr = _ENCODING_ATTR.search(match.group(0)) if match else None
        if attr is not None:
            name = attr.group(2).decode("ascii")
            declared = text_codec(name)
            if is_wide(declared):
                raise DeclaredWide(name)
            self._encoding, self._label, self._declared = declared, name, True
        self._decoder = codecs.getincrementaldecoder(self._encoding)()
        if match is None:
            return chunk
        declaration = match.group(0)
        return _rewrite_declaration(declaration) + chunk[len(declaration) :]

    def _declaration_in_text(self, text: str) -> str:
        """Check the declaration of a file with a byte-order mark against the
        mark, and rewrite it to UTF-8."""
        self._check_declaration = False
        match = _TEXT_DECLARATION.match(text)
        if match is None:
            return text
        declaration = match.group(0)
        attr = _TEXT_ENCODING_ATTR.search(declaration)
        if attr is None:
            return declaration.replace("?>", ' encoding="UTF-8"?>', 1) + text[len(declaration) :]
        name = attr.group(2)
        try:
            declared = text_codec(name)
        except UnknownEncoding:
            raise BomMismatch(self._encoding, name) from None
        agrees = declared == self._encoding or (
            is_wide(declared) and same_wide_family(self._encoding, declared)
        )
        if not agrees:
            raise BomMismatch(self._encoding, name)
        rewritten = _TEXT_ENCODING_ATTR.sub('encoding="UTF-8"', declaration, count=1)
        return rewritten + text[len(declaration) :]


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
