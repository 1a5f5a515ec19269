"""One export file as a stream of top-level elements, in bounded memory.

`TopLevel` walks lxml's `iterparse` events and yields the Header and each
Invoice once complete, then frees it. What it cannot free is the element
being read: libxml2 holds it whole until its end tag. `SizeGuard` bounds
that: it sits between the decoded stream and lxml and counts what lxml reads
since the last top-level element ended. An invoice over `FileLimits` (bytes,
or tags and attributes, which cost far more memory than their bytes) raises
`ElementTooLarge` while it is still being read, so memory stays bounded by
the limits, whatever the largest element in a file: a 200 MB PDF copy stops
being read at 64 MB. lxml's own `huge_tree` switch cannot do this: it only
knows libxml2's two fixed limits (10 MB per text node, or 1 GB), and a PDF
copy up to `PDF_MAX_BYTES` (25 MB, some 34 MB of base64) needs more than the
first.

A streaming parser cannot skip the rest of an element it stopped reading, so
an invoice over a limit fails with the rest of its file (naming the invoice);
the other files go on. The counts are per lxml read (32 kB), so a limit is
exact to some 32 kB.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lxml import etree

from ledgerbridge.core.errors import RecordError
from ledgerbridge.plugins.visma_net import filefaults

INVOICE_MAX_BYTES = 64 * 1024 * 1024
"""Largest invoice in an export file, as UTF-8: room for a PDF copy of
`PDF_MAX_BYTES` in base64 and thousands of rows."""
INVOICE_MAX_MARKUP = 400_000
"""Most tags and attributes (`<` and `=`) in one invoice: some 20,000 rows.
Each costs libxml2 a node of some 100 bytes, so a byte limit alone would let
64 MB of `<a/><a/>...` take gigabytes."""


@dataclass(frozen=True)
class FileLimits:
    """How much of one top-level element (an invoice) is read before it is refused.

    Counted per lxml read of 32 kB, which may hold several small invoices:
    limits under some 64 kB or 20,000 would refuse ordinary invoices."""

    max_bytes: int = INVOICE_MAX_BYTES
    max_markup: int = INVOICE_MAX_MARKUP


class ElementTooLarge(Exception):
    """The element being read is over a `FileLimits` limit."""

    def __init__(self, what: str, rule: str) -> None:
        super().__init__(what)
        self.what = what
        self.rule = rule


class FileFault(Exception):
    """The file cannot be read further; carries the error for the rest of it."""

    def __init__(self, error: RecordError) -> None:
        super().__init__(error.message)
        self.error = error


class Readable(Protocol):
    def read(self, size: int = -1) -> bytes: ...


class SizeGuard:
    """A read-only stream passed through unchanged, counting what lxml reads
    since `checkpoint()` (the end of the last top-level element)."""

    def __init__(self, inner: Readable, limits: FileLimits) -> None:
        self._inner = inner
        self._limits = limits
        self._bytes = 0
        self._markup = 0

    def read(self, size: int = -1) -> bytes:
        """The next bytes (lxml calls this); ElementTooLarge over a limit."""
        data = self._inner.read(size)
        self._bytes += len(data)
        self._markup += data.count(b"<") + data.count(b"=")
        if self._bytes > self._limits.max_bytes:
            raise ElementTooLarge(
                f"it is over {_mb(self._limits.max_bytes)} in the file",
                f"an invoice may be at most {_mb(self._limits.max_bytes)} in the export file "
                "(a PDF copy at most 25 MB)",
            )
        if self._markup > self._limits.max_markup:
            raise ElementTooLarge(
                f"it has more than {self._limits.max_markup:,} tags and attributes",
                f"an invoice may have at most {self._limits.max_markup:,} tags and attributes "
                "(some 20,000 rows)",
            )
        return data

    def checkpoint(self) -> None:
        """A top-level element ended: the next one starts counting from zero."""
        self._bytes = self._markup = 0


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.3g} MB"


class TopLevel:
    """("header" | "invoice" | "other", element) for each child of the root,
    each released once the caller is done with it; `current` is the child
    being read (named when it is too large)."""

    def __init__(self, path: Path, parser: etree.iterparse, guard: SizeGuard) -> None:
        self.path = path
        self.parser = parser
        self.guard = guard
        self.current: etree._Element | None = None

    def __iter__(self) -> Iterator[tuple[str, etree._Element]]:
        depth = 0
        for event, element in self.parser:
            if event == "start":
                depth += 1
                if depth == 1:
                    _check_root(self.path, element)
                elif depth == 2:
                    self.current = element
                continue
            depth -= 1
            if depth == 1:
                _check_no_entities(self.path, element)
                kind = {"Header": "header", "Invoice": "invoice"}.get(element.tag, "other")
                yield kind, element
                self.current = None
                _release(element)
                self.guard.checkpoint()

    def too_large(self, err: ElementTooLarge) -> RecordError:
        return filefaults.too_large(self.path, self.current, err.what, err.rule)


def _release(element: etree._Element) -> None:
    """Free a processed top-level element and the siblings before it."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _check_root(path: Path, root: etree._Element) -> None:
    if root.getroottree().docinfo.doctype:  # NoDoctype refuses it first; kept as a backstop
        raise FileFault(filefaults.doctype_error(path, root.sourceline or 1))
    if root.tag != "InvoiceExport":
        raise FileFault(filefaults.wrong_root(path, root))
    if root.get("version") != "1":
        raise FileFault(filefaults.wrong_version(path, root))


def _check_no_entities(path: Path, element: etree._Element) -> None:
    """Refuse the file at an entity reference (possible only with a DOCTYPE,
    which is refused before; kept so that no entity node ever reaches the XSD
    validation, where libxml2 fails with an internal error)."""
    entity = next(element.iter(etree.Entity), None)
    if entity is None:
        return
    line = entity.sourceline or element.sourceline
    raise FileFault(filefaults.entity_error(path, line, str(entity.text)))
