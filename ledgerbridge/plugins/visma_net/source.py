"""The source: Opter-style invoice export files in a folder.

`OpterExportSource(folder, entity="invoice" | "customer", ...)` reads every
`*.xml` export file in `folder` and yields, for entity "invoice", one
`Record(entity="invoice", key=<invoice number>)` per invoice with the PDF copy
in `attachments["pdf"]`, and for entity "customer", one
`Record(entity="customer", key=<customer code, or customer number when
useCustomerNumber is on>)` per customer: each customer once per run, the
version with the latest `Changed` timestamp (on a tie, the later file wins).

Streaming: files are parsed with lxml `iterparse` and every invoice element is
cleared once turned into a record, so memory does not grow with the file.
The customers flow keeps one small dict entry per distinct customer.

Validation: the header, and then each invoice on its own, are validated
against the XSD; a failing invoice yields `Rejected` naming file, line, field,
rule and fix, and the file goes on. A file that is not well-formed XML or not
in its encoding yields the invoices before the fault and then one `Rejected`
for the rest of the file. Other files always go on.

Cursor (Record.updated_at), compared as a string by the engine:

- invoices: ``<ExportCreated as YYYY-MM-DDTHH:MM:SSZ>#<file name>#<position>``
  where position is the 8-digit ordinal of the invoice in its file. Files are
  read in ascending (ExportCreated, file name) order and invoices in file
  order, so cursors ascend. `read(since)` yields only invoices whose cursor is
  greater than `since`; files entirely at or before it are not opened beyond
  their header. A file without a readable header sorts by its modification
  time instead.
- customers: ``<Changed as YYYY-MM-DDTHH:MM:SSZ>#<customer key>``, yielded in
  ascending order; files exported before the `since` timestamp are skipped
  (a customer changed later cannot be in them).

A Rejected item fails like a record, so the engine's cursor stops before it
and the next run reads the file again: correct the file in place, or export
the invoices again from Opter (a new file).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from lxml import etree

from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.plugins.visma_net.encoding import (
    EncodingMismatch,
    UnknownEncoding,
    Utf8Stream,
    codec_for,
)
from ledgerbridge.plugins.visma_net.exportformat import (
    customer_data,
    export_schema,
    header_data,
    invoice_data,
    pdf_copy,
)
from ledgerbridge.plugins.visma_net.keys import customer_key

Entity = Literal["invoice", "customer"]
_POSITION_DIGITS = 8
_LAST_POSITION = "9" * _POSITION_DIGITS
_RESEND_FIX = (
    "export the invoices again from Opter, or correct the file; either is read on the next run"
)


@dataclass(frozen=True)
class _File:
    """An export file with what its header says (or why it has none)."""

    path: Path
    created: str
    header: dict[str, Any] | None
    error: RecordError | None

    @property
    def prefix(self) -> str:
        return f"{self.created}#{self.path.name}#"

    def cursor(self, position: int) -> str:
        return f"{self.prefix}{position:0{_POSITION_DIGITS}d}"


class _FileFault(Exception):
    """The file cannot be read further; carries the error for the rest of it."""

    def __init__(self, error: RecordError) -> None:
        super().__init__(error.message)
        self.error = error


def as_filter(value: Any) -> frozenset[str] | None:
    """A run parameter (`--period`, `--invoice`) as a set of values, or None
    when not given. Accepts one string, a comma-separated string or a list."""
    if value is None or value == "" or value == []:
        return None
    items = [value] if isinstance(value, str) else list(value)
    parts = {p.strip() for item in items for p in str(item).split(",")}
    return frozenset(p for p in parts if p) or None


class OpterExportSource:
    """Reads Opter-style invoice export files (see the module docstring)."""

    def __init__(
        self,
        folder: Path | str,
        *,
        entity: Entity = "invoice",
        encoding: str = "UTF-8",
        use_customer_number: bool = False,
        periods: Iterable[str] | None = None,
        invoices: Iterable[str] | None = None,
        pattern: str = "*.xml",
    ) -> None:
        self.folder = Path(folder)
        self.entity: Entity = entity
        self.codec = codec_for(encoding)
        self.use_customer_number = use_customer_number
        self.periods = frozenset(periods) if periods else None
        self.invoices = frozenset(invoices) if invoices else None
        self.pattern = pattern

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        params: Mapping[str, Any],
        entity: Entity,
        base: Path | None = None,
    ) -> OpterExportSource:
        """Build from a tenant's visma_net config and the run's params
        (`period`, `invoice`); a relative exportFolder is taken from `base`."""
        folder = Path(config["exportFolder"])
        if base is not None and not folder.is_absolute():
            folder = base / folder
        return cls(
            folder,
            entity=entity,
            encoding=config.get("encoding", "UTF-8"),
            use_customer_number=bool(config.get("useCustomerNumber", False)),
            periods=as_filter(params.get("period")),
            invoices=as_filter(params.get("invoice")),
        )

    def read(self, since: str | None) -> Iterator[Record | Rejected]:
        if self.entity == "customer":
            return self._read_customers(since)
        return self._read_invoices(since)

    def _open(self, path: Path) -> BinaryIO:
        """Open an export file (a seam for tests that count bytes read)."""
        return path.open("rb")

    # -- files -----------------------------------------------------------

    def _files(self) -> list[_File]:
        """Every export file in cursor order, each with its header read."""
        files = [self._scan(path) for path in sorted(self.folder.glob(self.pattern))]
        return sorted(files, key=lambda f: f.prefix)

    def _scan(self, path: Path) -> _File:
        events = self._events(path)
        try:
            for kind, item in events:
                if kind == "header":
                    return self._file_with_header(path, item)
                return _File(path, _mtime(path), None, self._header_error(path, kind, item))
        finally:
            events.close()
        return _File(path, _mtime(path), None, self._header_error(path, "end", None))

    def _file_with_header(self, path: Path, element: etree._Element) -> _File:
        schema = export_schema()
        if not schema.validate(element):
            return _File(path, _mtime(path), None, _xsd_error(path, schema, "Header"))
        header = header_data(element)
        return _File(path, header["exportCreated"], header, None)

    def _header_error(self, path: Path, kind: str, item: Any) -> RecordError:
        if kind == "error":
            error: RecordError = item
            return error
        return _file_error(
            path,
            1,
            "the file has no Header before its first Invoice",
            rule="an export file starts with a Header (ExportCreated, Scope, Period)",
            fix="check that the file is an Opter invoice export; " + _RESEND_FIX,
        )

    def _events(self, path: Path) -> Generator[tuple[str, Any], None, None]:
        """("header" | "invoice" | "other", element) in document order, then
        ("error", RecordError) if the file cannot be read to its end."""
        try:
            yield from self._parse(path)
        except _FileFault as fault:
            yield "error", fault.error
        except etree.XMLSyntaxError as err:
            yield "error", _syntax_error(path, err)
        except EncodingMismatch as err:
            yield "error", _encoding_error(path, err)
        except UnknownEncoding as err:
            yield "error", _file_error(path, 1, str(err), rule=_ENCODING_RULE, fix=_ENCODING_FIX)
        except OSError as err:
            yield (
                "error",
                _file_error(
                    path,
                    None,
                    f"cannot read the file: {err.strerror or err}",
                    rule="export files must be readable",
                    fix="check the file and its permissions",
                ),
            )

    def _parse(self, path: Path) -> Iterator[tuple[str, etree._Element]]:
        with self._open(path) as raw:
            parser = etree.iterparse(
                Utf8Stream(raw, self.codec),
                events=("start", "end"),
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                remove_comments=True,
                remove_pis=True,
            )
            depth = 0
            for event, element in parser:
                if event == "start":
                    depth += 1
                    if depth == 1:
                        _check_root(path, element)
                    continue
                depth -= 1
                if depth == 1:
                    kind = {"Header": "header", "Invoice": "invoice"}.get(element.tag, "other")
                    yield kind, element
                    _release(element)

    # -- invoices --------------------------------------------------------

    def _read_invoices(self, since: str | None) -> Iterator[Record | Rejected]:
        for file in self._files():
            if since is not None and file.prefix + _LAST_POSITION <= since:
                continue
            if file.error is not None:
                yield Rejected("invoice", file.path.name, file.error, file.cursor(0))
                continue
            assert file.header is not None
            if self.periods is not None and file.header["period"]["id"] not in self.periods:
                continue
            yield from self._file_invoices(file, since)

    def _file_invoices(self, file: _File, since: str | None) -> Iterator[Record | Rejected]:
        position = 0
        for kind, item in self._events(file.path):
            if kind == "error":
                yield Rejected("invoice", file.path.name, item, file.cursor(position + 1))
                return
            if kind == "header":
                continue
            position += 1
            cursor = file.cursor(position)
            if since is not None and cursor <= since:
                continue
            if kind == "other":
                yield Rejected(
                    "invoice",
                    f"{file.path.name}:{item.sourceline}",
                    _unexpected_element(file.path, item),
                    cursor,
                )
                continue
            number = (item.findtext("InvoiceNumber") or "").strip()
            if self.invoices is not None and number not in self.invoices:
                continue
            yield self._invoice(file, item, number, cursor)

    def _invoice(
        self, file: _File, element: etree._Element, number: str, cursor: str
    ) -> Record | Rejected:
        key = number or f"{file.path.name}:{element.sourceline}"
        schema = export_schema()
        if not schema.validate(element):
            return Rejected("invoice", key, _xsd_error(file.path, schema, f"invoice {key}"), cursor)
        assert file.header is not None
        data = invoice_data(element, file.header)
        if data["type"] == "credit" and not data.get("creditedInvoiceNumber"):
            return Rejected("invoice", key, _credit_without_reference(file.path, element), cursor)
        attachments: dict[str, bytes] = {}
        pdf = pdf_copy(element)
        if pdf is not None:
            data["pdf"] = {"fileName": pdf[0]}
            attachments["pdf"] = pdf[1]
        return Record("invoice", key, data, cursor, attachments)

    # -- customers -------------------------------------------------------

    def _read_customers(self, since: str | None) -> Iterator[Record | Rejected]:
        since_time = since.split("#", 1)[0] if since else None
        latest: dict[str, tuple[str, dict[str, Any]]] = {}
        rejected: dict[str, Rejected] = {}
        for file in self._files():
            if since_time is not None and file.created < since_time:
                continue
            for item in self._file_customers(file):
                if isinstance(item, Rejected):
                    rejected[item.key] = item
                    continue
                key, data = item
                if key not in latest or data["changed"] >= latest[key][0]:
                    latest[key] = (data["changed"], data)
        yield from rejected.values()
        for cursor, key, data in sorted((f"{c}#{k}", k, d) for k, (c, d) in latest.items()):
            if since is None or cursor > since:
                yield Record("customer", key, data, cursor)

    def _file_customers(self, file: _File) -> Iterator[tuple[str, dict[str, Any]] | Rejected]:
        if file.error is not None:
            yield Rejected("customer", file.path.name, file.error)
            return
        assert file.header is not None
        if self.periods is not None and file.header["period"]["id"] not in self.periods:
            return
        for kind, item in self._events(file.path):
            if kind == "error":
                yield Rejected("customer", file.path.name, item)
                return
            if kind != "invoice":
                continue
            number = (item.findtext("InvoiceNumber") or "").strip()
            if self.invoices is not None and number not in self.invoices:
                continue
            customer = item.find("Customer")
            if customer is not None:
                yield self._customer(file, customer)

    def _customer(
        self, file: _File, element: etree._Element
    ) -> tuple[str, dict[str, Any]] | Rejected:
        code = (element.findtext("CustomerCode") or "").strip()
        key = code or f"{file.path.name}:{element.sourceline}"
        schema = export_schema()
        if not schema.validate(element):
            return Rejected("customer", key, _xsd_error(file.path, schema, f"customer {key}"))
        data = customer_data(element)
        try:
            return customer_key(data, self.use_customer_number), data
        except RecordError as err:
            err.message = f"{err.message} (file {file.path.name}, line {element.sourceline})"
            return Rejected("customer", key, err)


# -- helpers ---------------------------------------------------------------

_ENCODING_RULE = (
    "the file must be saved in the encoding its XML declaration names, or, without one, "
    "in the export's Encoding setting"
)
_ENCODING_FIX = (
    "set Encoding in the invoice export (and `encoding` in the config) to the encoding "
    "Opter writes, e.g. UTF-8, and export again"
)


def _mtime(path: Path) -> str:
    try:
        stamp = path.stat().st_mtime
    except OSError:
        stamp = 0.0
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _release(element: etree._Element) -> None:
    """Free a processed top-level element and the siblings before it."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _check_root(path: Path, root: etree._Element) -> None:
    if root.tag != "InvoiceExport":
        raise _FileFault(
            _file_error(
                path,
                root.sourceline,
                f"the root element is <{root.tag}>, not <InvoiceExport>",
                rule='an export file\'s root element is InvoiceExport version="1"',
                fix="check that the file is an Opter invoice export for Visma.net",
            )
        )
    if root.get("version") != "1":
        raise _FileFault(
            _file_error(
                path,
                root.sourceline,
                f"export format version {root.get('version')!r} is not supported",
                rule='InvoiceExport must have version="1"',
                fix="export the file again with the Visma.net invoice export type",
            )
        )


def _file_error(
    path: Path, line: int | None, what: str, *, rule: str, fix: str, field: str | None = None
) -> RecordError:
    where = f"file {path.name}" + (f", line {line}" if line else "")
    return RecordError(
        f"{where}: {what}",
        field=field,
        rule=rule,
        fix=fix,
        details={"file": path.name, "line": line},
    )


def _syntax_error(path: Path, err: etree.XMLSyntaxError) -> RecordError:
    line = err.lineno or (err.position[0] if err.position else None)
    return _file_error(
        path,
        line,
        f"the file is not well-formed XML ({err.msg}); invoices from here on were not read",
        rule="an export file must be well-formed XML",
        fix=_RESEND_FIX,
    )


def _encoding_error(path: Path, err: EncodingMismatch) -> RecordError:
    return _file_error(
        path,
        err.line,
        f"{err}; invoices from here on were not read",
        field="encoding",
        rule=_ENCODING_RULE,
        fix=_ENCODING_FIX,
    )


def _xsd_error(path: Path, schema: etree.XMLSchema, what: str) -> RecordError:
    entries = list(schema.error_log)
    first = entries[0]
    field = _field_path(first.path)
    message = "; ".join(f"line {e.line}: {e.message}" for e in entries[:5])
    error = _file_error(
        path,
        first.line,
        f"{what} does not follow the export format: {message}",
        field=field,
        rule="the invoice export XSD (opter-invoice-export.xsd)",
        fix="correct the value in Opter (customer, invoice or article registry) and export again",
    )
    error.details["errors"] = [{"line": e.line, "message": e.message} for e in entries]
    return error


def _field_path(xpath: str | None) -> str | None:
    """`/InvoiceExport/Invoice[3]/Rows/Row[2]/Quantity` -> `Rows/Row[2]/Quantity`."""
    if not xpath:
        return None
    parts = [p for p in xpath.split("/") if p]
    while parts and parts[0].split("[")[0] in {"InvoiceExport", "Invoice"}:
        parts.pop(0)
    return "/".join(parts) or None


def _unexpected_element(path: Path, element: etree._Element) -> RecordError:
    return _file_error(
        path,
        element.sourceline,
        f"element <{element.tag}> is not allowed in InvoiceExport",
        field=str(element.tag),
        rule="after the Header an export file holds only Invoice elements",
        fix="check that the file is an Opter invoice export; " + _RESEND_FIX,
    )


def _credit_without_reference(path: Path, element: etree._Element) -> RecordError:
    return _file_error(
        path,
        element.sourceline,
        "credit invoice does not say which invoice it credits",
        field="CreditedInvoiceNumber",
        rule="a credit invoice names the invoice it credits",
        fix="create the credit invoice from the original invoice in Opter and export again",
    )
