"""Reduce PDF file size ("Reduce PDF file size" on the invoice export).

What Opter's setting does, per its help page: "The file size is reduced by
deleting all text formatting (bold, italic, underlined) and by changing the
font to one that uses less storage space." That rewrites page content and
font resources and needs a full PDF library; it is NOT done here.

What `reduce_pdf` does, with the standard library only, losslessly:

- compresses every stream that has no filter with Flate (zlib level 9), and
  recompresses every plain FlateDecode stream at level 9 (Opter-style
  invoice PDFs are often written with uncompressed or fast-compressed page
  content);
- drops XMP metadata streams (`/Metadata`) and the document information
  dictionary (`/Info`: producer, creator, dates), which viewers do not need;
- drops objects nothing refers to (left behind by incremental updates);
- writes one clean cross-reference table.

Images (DCTDecode, etc.) and embedded fonts are kept as they are, so the
saving depends on how much uncompressed content the PDF has. PDFs it cannot
safely rewrite (encrypted, cross-reference streams or object streams, i.e.
PDF 1.5 compressed structure, or anything it fails to parse) are returned
unchanged, and so is any result that is not smaller.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

_OBJ = re.compile(rb"(?<![0-9])(\d+)\s+(\d+)\s+obj\b")
_REF = re.compile(rb"(\d+)\s+(\d+)\s+R\b")
_LENGTH = re.compile(rb"/Length\s+(\d+)(\s+(\d+)\s+R)?")
_STREAM = re.compile(rb"stream\r?\n")
_SIMPLE_INT = re.compile(rb"^\s*(\d+)\s*$")
_METADATA_REF = re.compile(rb"/Metadata\s+\d+\s+\d+\s+R")


class _Unsupported(Exception):
    """The PDF uses a feature this rewriter does not handle."""


@dataclass
class _Object:
    number: int
    head: bytes  # everything before `stream` (or the whole body)
    data: bytes | None  # raw stream bytes, None when not a stream


def reduce_pdf(data: bytes) -> bytes:
    """A smaller equivalent of `data`, or `data` itself (see module doc)."""
    try:
        objects, trailer = _parse(data)
        out = _write(objects, trailer, _version(data))
    except (_Unsupported, ValueError, zlib.error):
        return data
    return out if len(out) < len(data) else data


# -- reading -----------------------------------------------------------------


def _version(data: bytes) -> bytes:
    match = re.match(rb"%PDF-(\d\.\d)", data)
    if match is None:
        raise _Unsupported("not a PDF")
    return match.group(1)


def _parse(data: bytes) -> tuple[dict[int, _Object], bytes]:
    trailer = _trailer(data)
    simple = _simple_ints(data)
    objects: dict[int, _Object] = {}
    position = 0
    while (match := _OBJ.search(data, position)) is not None:
        obj, position = _read_object(data, match, simple)
        objects[obj.number] = obj  # a later definition replaces an earlier one
    if not objects:
        raise _Unsupported("no objects")
    return objects, trailer


def _trailer(data: bytes) -> bytes:
    at = data.rfind(b"trailer")
    if at < 0:
        raise _Unsupported("cross-reference stream")
    end = data.find(b"startxref", at)
    trailer = data[at + len(b"trailer") : end if end > 0 else len(data)].strip()
    if b"/Encrypt" in trailer:
        raise _Unsupported("encrypted")
    return trailer


def _simple_ints(data: bytes) -> dict[int, int]:
    """Objects whose whole body is an integer (indirect stream lengths)."""
    found = {}
    for match in re.finditer(rb"(?<![0-9])(\d+)\s+\d+\s+obj\s*(\d+)\s*endobj", data):
        found[int(match.group(1))] = int(match.group(2))
    return found


def _read_object(
    data: bytes, match: re.Match[bytes], simple: dict[int, int]
) -> tuple[_Object, int]:
    number, start = int(match.group(1)), match.end()
    if match.group(2) != b"0":
        raise _Unsupported("object generations other than 0")
    end = data.find(b"endobj", start)
    if end < 0:
        raise _Unsupported("unterminated object")
    stream = _STREAM.search(data, start, end)
    if stream is None or b"/Length" not in data[start : stream.start()]:
        return _Object(number, data[start:end].strip(), None), end + len(b"endobj")
    head = data[start : stream.start()]
    if re.search(rb"/Type\s*/(ObjStm|XRef)\b", head):
        raise _Unsupported("object or cross-reference streams")
    length = _stream_length(head, simple)
    body = data[stream.end() : stream.end() + length]
    close = data.find(b"endobj", stream.end() + length)
    if close < 0 or len(body) != length:
        raise _Unsupported("stream length")
    return _Object(number, head.strip(), body), close + len(b"endobj")


def _stream_length(head: bytes, simple: dict[int, int]) -> int:
    match = _LENGTH.search(head)
    if match is None:
        raise _Unsupported("stream without length")
    if match.group(2) is None:
        return int(match.group(1))
    try:
        return simple[int(match.group(1))]
    except KeyError:
        raise _Unsupported("unresolved stream length") from None


# -- shrinking ---------------------------------------------------------------


def _shrink(obj: _Object) -> _Object:
    head = _METADATA_REF.sub(b"", obj.head)
    if obj.data is None:
        return _Object(obj.number, head, None)
    data = obj.data
    filters = re.search(rb"/Filter\s*(/\w+|\[[^\]]*\])", head)
    if filters is None:
        data = zlib.compress(data, 9)
        head = head.replace(b"<<", b"<< /Filter /FlateDecode", 1)
    elif filters.group(1) == b"/FlateDecode":
        recompressed = zlib.compress(zlib.decompress(data), 9)
        data = recompressed if len(recompressed) < len(data) else data
    head = _LENGTH.sub(b"/Length %d" % len(data), head, count=1)
    return _Object(obj.number, head, data)


def _reachable(objects: dict[int, _Object], roots: list[int]) -> list[int]:
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        number = todo.pop()
        if number in seen or number not in objects:
            continue
        seen.add(number)
        todo.extend(int(m.group(1)) for m in _REF.finditer(objects[number].head))
    return sorted(seen)


def _is_metadata(obj: _Object) -> bool:
    return obj.data is not None and re.search(rb"/Type\s*/Metadata\b", obj.head) is not None


# -- writing -----------------------------------------------------------------


def _write(objects: dict[int, _Object], trailer: bytes, version: bytes) -> bytes:
    root = re.search(rb"/Root\s+(\d+)\s+\d+\s+R", trailer)
    if root is None:
        raise _Unsupported("no /Root")
    kept = {n: _shrink(o) for n, o in objects.items() if not _is_metadata(o)}
    numbers = _reachable(kept, [int(root.group(1))])
    out = bytearray(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in numbers:
        offsets[number] = len(out)
        out += _serialise(kept[number])
    size = max(numbers) + 1
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += (
            (b"%010d 00000 n \n" % offsets[number])
            if number in offsets
            else b"0000000000 00000 f \n"
        )
    ident = re.search(rb"/ID\s*\[[^\]]*\]", trailer)
    extra = b" " + ident.group(0) if ident else b""
    out += b"trailer\n<< /Size %d /Root %s 0 R%s >>\n" % (size, root.group(1), extra)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _serialise(obj: _Object) -> bytes:
    text = b"%d 0 obj\n" % obj.number + obj.head
    if obj.data is not None:
        text += b"\nstream\n" + obj.data + b"\nendstream"
    return text + b"\nendobj\n"
