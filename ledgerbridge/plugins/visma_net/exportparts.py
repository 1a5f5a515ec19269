"""What one export file yields, in a form both flows read: parsed once a run.

The customers flow and the invoices flow read the same export files, the
customers first (the invoices depend on them). Parsing is most of what a
new or changed file costs the source (lxml, an XSD check per invoice and per
customer, the PDF copies), so the customers flow, when the invoices flow
will read the same files, parses each file once for both: per invoice it
makes the invoices flow's item (a Record or a Rejected) and its own (the
customer, or a Rejected), and spools them in the run's parse cache
(core/parsecache.py). The invoices flow replays the spool instead of parsing.

Nothing else changes: the items are made by the same code as when each flow
parses for itself, so records, Rejected items and their messages are the
same; each flow still reports its own. A file whose bytes changed between
the two flows' reads (another digest), read with other settings, not read by
the customers flow (settled for it, or of a period not asked for), or not
kept in the spool (its limits) is parsed by the invoices flow itself. The
header of each file is still read by each flow (a few kB): it orders the
files and names the bad ones. Memory stays bounded by one invoice: the spool
is on disk, written and read one item at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.parsecache import ParseCache
from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.plugins.visma_net import filefaults
from ledgerbridge.plugins.visma_net.exportformat import (
    PdfTooLarge,
    customer_data,
    invoice_data,
    pdf_copy,
)
from ledgerbridge.plugins.visma_net.keys import customer_key

_POSITION_DIGITS = 8
UNREADABLE = (etree.Error, ValueError)
"""Errors turning one element into data (an lxml internal error, an
xs:dateTime Python cannot represent): they fail that element, never the run."""
Validate = Callable[[Path, etree._Element, str], None]
"""Raises the XSD errors of an element as one RecordError naming the third argument."""
PARTS_FORMAT = "visma_net.export-parts/1"
"""Part of every parse key: a change to what `Element` holds gives other keys."""


@dataclass(frozen=True)
class _File:
    """An export file with what its header says (or why it has none), and
    its origin: the digest of its bytes and of the reading settings."""

    path: Path
    created: str
    header: dict[str, Any] | None
    error: RecordError | None
    origin: str | None = None
    digest: str | None = None  # of its bytes alone: the parse cache's key

    @property
    def prefix(self) -> str:
        return f"{self.created}#{self.path.name}#"

    def cursor(self, position: int) -> str:
        return f"{self.prefix}{position:0{_POSITION_DIGITS}d}"


@dataclass(frozen=True)
class Element:
    """One top-level element after the header, as each flow makes of it.

    invoice:  the invoices flow's item, with the invoices flow's origin when
              spooled for it (a reader sets its own if it differs); None
              when not made.
    customer: the customers flow's (key, data), or its Rejected; None for an
              element that is not an invoice, or when not made."""

    invoice: Record | Rejected | None
    customer: tuple[str, dict[str, Any]] | Rejected | None = None


@dataclass(frozen=True)
class Fault:
    """The rest of the file cannot be read; `position` is the cursor
    position the invoices flow gives its Rejected."""

    error: RecordError
    position: int


Part = Element | Fault


@dataclass(frozen=True)
class SharedParse:
    """How a source uses the run's parse cache.

    spools: a later flow of the run reads the same files: parse each for both
            flows and keep what it yields; else replay what an earlier flow
            kept, or parse for this flow alone."""

    cache: ParseCache
    spools: bool


class PartMaker:
    """Turns a file's top-level elements into its parts: for one flow
    (`entity`), or for both (the items each flow would make itself)."""

    def __init__(
        self,
        *,
        entity: str,
        invoices: frozenset[str] | None,
        include_pdf: bool,
        use_customer_number: bool,
        validate: Validate,
    ) -> None:
        self.entity = entity
        self.invoices = invoices
        self.include_pdf = include_pdf
        self.use_customer_number = use_customer_number
        self.validate = validate

    def parts(
        self, file: _File, events: Iterable[tuple[str, Any]], *, both: bool
    ) -> Iterator[Part]:
        """`events`: the source's ("header" | "invoice" | "other", element),
        then ("error", RecordError) if the file cannot be read to its end."""
        invoices = both or self.entity == "invoice"
        customers = both or self.entity == "customer"
        position = 0
        for kind, item in events:
            if kind == "error":
                yield Fault(item, position + 1)
                return
            if kind == "header":
                continue
            position += 1
            if kind == "other":
                if invoices:
                    error = filefaults.unexpected_element(file.path, item)
                    key = f"{file.path.name}:{item.sourceline}"
                    cursor = file.cursor(position)
                    yield Element(Rejected("invoice", key, error, cursor, origin=file.origin))
                continue
            number = (item.findtext("InvoiceNumber") or "").strip()
            if self.invoices is not None and number not in self.invoices:
                continue
            invoice = self.invoice(file, item, number, file.cursor(position)) if invoices else None
            customer = item.find("Customer") if customers else None
            yield Element(invoice, None if customer is None else self.customer(file, customer))

    # -- invoices --------------------------------------------------------

    def invoice(
        self, file: _File, element: etree._Element, number: str, cursor: str
    ) -> Record | Rejected:
        """The invoice's record, or a Rejected for it alone, whatever fails."""
        key = number or f"{file.path.name}:{element.sourceline}"
        try:
            return self._invoice_record(file, element, key, cursor)
        except RecordError as err:
            return Rejected("invoice", key, err, cursor, origin=file.origin)
        except UNREADABLE as err:
            error = filefaults.unreadable(file.path, element, f"invoice {key}", err)
            return Rejected("invoice", key, error, cursor, origin=file.origin)

    def _invoice_record(
        self, file: _File, element: etree._Element, key: str, cursor: str
    ) -> Record:
        self.validate(file.path, element, f"invoice {key}")
        assert file.header is not None
        data = invoice_data(element, file.header)
        if data["type"] == "credit" and not data.get("creditedInvoiceNumber"):
            raise filefaults.credit_without_reference(file.path, element)
        attachments: dict[str, bytes] = {}
        pdf = self._pdf(file.path, element) if self.include_pdf else None
        if pdf is not None:
            data["pdf"] = {"fileName": pdf[0]}
            attachments["pdf"] = pdf[1]
        return Record("invoice", key, data, cursor, attachments, origin=file.origin)

    @staticmethod
    def _pdf(path: Path, element: etree._Element) -> tuple[str, bytes] | None:
        try:
            return pdf_copy(element)
        except PdfTooLarge as err:
            raise filefaults.pdf_too_large(path, element, err) from None

    # -- customers -------------------------------------------------------

    def customer(
        self, file: _File, element: etree._Element
    ) -> tuple[str, dict[str, Any]] | Rejected:
        """(key, data) of the customer, or a Rejected for it alone, whatever fails."""
        code = (element.findtext("CustomerCode") or "").strip()
        key = code or f"{file.path.name}:{element.sourceline}"
        try:
            self.validate(file.path, element, f"customer {key}")
            data = customer_data(element)
        except RecordError as err:
            return Rejected("customer", key, err)
        except UNREADABLE as err:
            error = filefaults.unreadable(file.path, element, f"customer {key}", err)
            return Rejected("customer", key, error)
        try:
            return customer_key(data, self.use_customer_number), data
        except RecordError as err:
            err.message = f"{err.message} (file {file.path.name}, line {element.sourceline})"
            return Rejected("customer", key, err)
