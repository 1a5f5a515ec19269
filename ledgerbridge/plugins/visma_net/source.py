"""The source: Opter-style invoice export files in a folder.

`OpterExportSource(folder, entity="invoice" | "customer", ...)` reads every
`*.xml` export file in `folder` and yields, for entity "invoice", one
`Record(entity="invoice", key=<invoice number>)` per invoice (with the PDF
copy in `attachments["pdf"]` when `include_pdf`, i.e. the config's
includePdfCopy, is on), and for entity "customer", one
`Record(entity="customer", key=<customer code, or customer number when
useCustomerNumber is on>)` per customer: each customer once per run, the
version with the latest `Changed` timestamp (on a tie, the later file wins).

Every run considers every file: `read(since)` ignores `since`. A cursor that
only moves up cannot tell which files are new: a file copied in late with an
older ExportCreated, a file whose name sorts before one already read, a
half-written file completed later, or a customer whose Changed is older than
the newest one seen, would all be skipped for good. Instead each file is
named by its digest (core/sourcefiles.py): a file whose every record this flow
has settled is not parsed again (the engine's `SkipsSettled`), a new or
changed one is. Within a file read, the engine skips what was already sent
by content hash, and an older customer version than one already synced as
stale; the customers target compares Changed with Visma.net's own timestamp.
A new or changed file is parsed once a run for both flows: the customers
flow, first, makes both flows' items and spools them in the run's parse
cache, and the invoices flow replays them (exportparts.py says when not).

Order: files in ascending (ExportCreated, file name) order, files without a
readable header first (by name), invoices in file order. `updated_at` is
``<ExportCreated as YYYY-MM-DDTHH:MM:SSZ>#<file name>#<8-digit position>`` for
invoices and ``<Changed as YYYY-MM-DDTHH:MM:SSZ>#<customer key>`` for
customers: unique and ascending within a run. The engine stores the highest
as its cursor, but nothing is skipped by it. Modification times are never used.

The folder: a missing, unreadable or empty export folder (an unmounted share)
raises `ExportFolderError`, a ConfigError: the run stops, red, naming the
folder, instead of reporting "0 succeeded" (exportfolder.py).

Streaming: files are parsed with lxml `iterparse` and every invoice element is
cleared once turned into a record, so memory does not grow with the file.
The customers flow keeps one small dict entry per distinct customer. Text
nodes may be larger than libxml2's default 10 MB (`huge_tree`, for large PDF
copies; safe because DOCTYPEs are refused and entities never resolved); a PDF
copy over `PDF_MAX_BYTES` (25 MB) fails its invoice alone. The invoice being
read is bounded too: one over `FileLimits` (64 MB, 400,000 tags and
attributes) is refused while it is read (exportfile.py), so memory is bounded
by those limits, not by the largest element in a file.

Validation: a file with a DOCTYPE (or an entity reference) is refused before
lxml reads it. The header, and then each invoice on its own, are validated
against the XSD; a failing invoice, or one lxml cannot handle at all, yields
`Rejected` naming file, line, field, rule and fix, and the file goes on. A
file that is not well-formed XML, not in a text encoding or not in its
encoding (encoding.py), or with an invoice over the limits, yields the
invoices completed before the fault and then one `Rejected` for the rest of
the file. Other files always go on.

A Rejected item fails like a record; as every run reads the folder again,
correct the file in place, or export the invoices again from Opter (a new
file), and the next run picks it up.
"""

from __future__ import annotations

from collections.abc import Container, Generator, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO, Literal

from lxml import etree

from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.parsecache import ParseKey
from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.core.sourcefiles import SettledFiles, file_digest
from ledgerbridge.plugins.visma_net import filefaults
from ledgerbridge.plugins.visma_net.encoding import (
    DoctypeFound,
    EncodingProblem,
    NoDoctype,
    Utf8Stream,
    codec_for,
)
from ledgerbridge.plugins.visma_net.exportfile import (
    ElementTooLarge,
    FileFault,
    FileLimits,
    SizeGuard,
    TopLevel,
)
from ledgerbridge.plugins.visma_net.exportfolder import check_folder, resolve
from ledgerbridge.plugins.visma_net.exportformat import (
    export_schema,
    header_data,
)
from ledgerbridge.plugins.visma_net.exportparts import (
    PARTS_FORMAT,
    UNREADABLE,
    Fault,
    Part,
    PartMaker,
    SharedParse,
    _File,
)

Entity = Literal["invoice", "customer"]
_NO_HEADER = "0000-00-00T00:00:00Z"
"""`created` of a file without a readable header: it sorts before the others."""


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

    title = "Opter"  # how messages name the system records come from

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
        include_pdf: bool = False,
        limits: FileLimits | None = None,
        shared: SharedParse | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.entity: Entity = entity
        self.encoding = encoding
        self.codec = codec_for(encoding)
        self.use_customer_number = use_customer_number
        self.periods = frozenset(periods) if periods else None
        self.invoices = frozenset(invoices) if invoices else None
        self.pattern = pattern
        # The PDF is hashed with the record: carried only when it is sent, so a
        # re-printed PDF does not make an unchanged invoice look changed.
        self.include_pdf = include_pdf
        self.limits = limits or FileLimits()
        periods_and_invoices = [sorted(self.periods or ()), sorted(self.invoices or ())]
        reading = [encoding, use_customer_number, include_pdf, *periods_and_invoices, self.limits]
        self._files_seen = SettledFiles([entity, *reading])
        # the run's parse cache (exportparts.py): what shapes a file's parts (both
        # flows'), and the invoices flow's origins, given to the invoices spooled for it
        self.shared = shared
        self._parts_shape = [PARTS_FORMAT, *reading]
        self._invoice_origins = SettledFiles(["invoice", *reading])
        self._maker = PartMaker(
            entity=entity,
            invoices=self.invoices,
            include_pdf=include_pdf,
            use_customer_number=use_customer_number,
            validate=_validate,
        )

    # -- settled files (the engine's SkipsSettled, core/sourcefiles.py) ---------

    def skip_origins(self, settled: Container[str]) -> None:
        """Files whose every record this flow has settled: not opened again."""
        self._files_seen.settled = settled

    def origins_read(self) -> list[str]:
        """The files read to the end by the last `read`."""
        return list(self._files_seen.read)

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        params: Mapping[str, Any],
        entity: Entity,
        base: Path | None = None,
        shared: SharedParse | None = None,
    ) -> OpterExportSource:
        """Build from a tenant's visma_net config and the run's params
        (`period`, `invoice`); a relative exportFolder is taken from `base`;
        `shared`: the run's parse cache, when another flow reads the folder."""
        return cls(
            resolve(config["exportFolder"], base),
            entity=entity,
            encoding=config.get("encoding", "UTF-8"),
            use_customer_number=bool(config.get("useCustomerNumber", False)),
            periods=as_filter(params.get("period")),
            invoices=as_filter(params.get("invoice")),
            include_pdf=bool(config.get("includePdfCopy", False)),
            shared=shared,
        )

    def read(self, since: str | None) -> Iterator[Record | Rejected]:
        """Every record in the folder; `since` is ignored on purpose (see the
        module docstring: a cursor would skip files that arrive out of order)."""
        del since
        self._files_seen.read = []
        if self.entity == "customer":
            return self._read_customers()
        return self._read_invoices()

    def _open(self, path: Path) -> BinaryIO:
        """Open an export file (a seam for tests that count bytes read)."""
        return path.open("rb")

    # -- files -----------------------------------------------------------

    def _files(self) -> list[_File]:
        """Every export file in (ExportCreated, name) order, each with its
        header read; files without a readable header first, by name.
        ExportFolderError (the run's, not a file's) when the folder is missing,
        unreadable or empty (see exportfolder.py)."""
        check_folder(self.folder)
        files = []
        for path in sorted(self.folder.glob(self.pattern)):
            digest = file_digest(path)
            origin = None if digest is None else self._files_seen.named(digest)
            if origin is None or origin not in self._files_seen.settled:
                files.append(replace(self._scan(path, origin), digest=digest))
        return sorted(files, key=lambda f: f.prefix)

    def _scan(self, path: Path, origin: str | None = None) -> _File:
        events = self._events(path)
        try:
            for kind, item in events:
                if kind == "header":
                    return self._file_with_header(path, item, origin)
                error = self._header_error(path, kind, item)
                return _File(path, _NO_HEADER, None, error, origin)
        finally:
            events.close()
        return _File(path, _NO_HEADER, None, self._header_error(path, "end", None), origin)

    def _file_with_header(self, path: Path, element: etree._Element, origin: str | None) -> _File:
        try:
            _validate(path, element, "Header")
            header = header_data(element)
        except RecordError as err:
            return _File(path, _NO_HEADER, None, err, origin)
        except UNREADABLE as err:
            error = filefaults.unreadable(path, element, "Header", err)
            return _File(path, _NO_HEADER, None, error, origin)
        return _File(path, header["exportCreated"], header, None, origin)

    def _done(self, file: _File) -> None:
        """The file was read to its end (its faults, if any, are its records')."""
        self._files_seen.done(file.origin)

    def _header_error(self, path: Path, kind: str, item: Any) -> RecordError:
        if kind == "error":
            error: RecordError = item
            return error
        return filefaults.no_header(path)

    def _events(self, path: Path) -> Generator[tuple[str, Any], None, None]:
        """("header" | "invoice" | "other", element) in document order, then
        ("error", RecordError) if the file cannot be read to its end."""
        try:
            yield from self._parse(path)
        except FileFault as fault:
            yield "error", fault.error
        except DoctypeFound as err:
            yield "error", filefaults.doctype_error(path, err.line)
        except etree.XMLSyntaxError as err:
            yield "error", filefaults.syntax_error(path, err, None)
        except etree.Error as err:
            yield "error", filefaults.lxml_error(path, err)
        except EncodingProblem as err:
            yield "error", filefaults.encoding_error(path, err)
        except OSError as err:
            yield "error", filefaults.unreadable_file(path, err)

    def _parse(self, path: Path) -> Iterator[tuple[str, etree._Element]]:
        with self._open(path) as raw:
            guard = SizeGuard(NoDoctype(Utf8Stream(raw, self.encoding)), self.limits)
            parser = etree.iterparse(
                guard,
                events=("start", "end"),
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                huge_tree=True,  # PDF copies over 10 MB; the guard bounds every element
                remove_comments=True,
                remove_pis=True,
            )
            top = TopLevel(path, parser, guard)
            try:
                yield from top
            except etree.XMLSyntaxError as err:
                # the parser's own log: the exception's may hold other files' errors
                raise FileFault(filefaults.syntax_error(path, err, parser.error_log)) from None
            except ElementTooLarge as err:
                raise FileFault(top.too_large(err)) from None

    # -- invoices --------------------------------------------------------

    def _read_invoices(self) -> Iterator[Record | Rejected]:
        for file in self._files():
            if file.error is not None:
                yield Rejected(
                    "invoice", file.path.name, file.error, file.cursor(0), origin=file.origin
                )
            elif self._period_wanted(file):
                yield from self._file_invoices(file)
            self._done(file)

    def _period_wanted(self, file: _File) -> bool:
        assert file.header is not None
        return self.periods is None or file.header["period"]["id"] in self.periods

    def _file_invoices(self, file: _File) -> Iterator[Record | Rejected]:
        for part in self._parts(file):
            if isinstance(part, Fault):
                cursor = file.cursor(part.position)
                yield Rejected("invoice", file.path.name, part.error, cursor, origin=file.origin)
            elif part.invoice is not None:
                item = part.invoice
                yield item if item.origin == file.origin else replace(item, origin=file.origin)

    # -- one file's parts (exportparts.py): parsed, or replayed from the run's cache

    def _parts(self, file: _File) -> Iterator[Part]:
        """The file's parts, read to the end by the caller: replayed when an
        earlier flow of the run parsed the same bytes with the same settings,
        else parsed, for the flows after this one too when it `spools`."""
        if self.shared is None or file.digest is None:
            return self._parse_parts(file, both=False)
        key = ParseKey.of([file.path], file.digest, self._parts_shape)
        cache = self.shared.cache
        replayed = cache.replay(key)
        if replayed is not None:
            return replayed
        if not self.shared.spools:
            return self._parse_parts(file, both=False)
        for_invoices = replace(file, origin=self._invoice_origins.named(file.digest))
        return cache.spool(key, self._parse_parts(for_invoices, both=True))

    def _parse_parts(self, file: _File, *, both: bool) -> Iterator[Part]:
        """Parse the file: each element's item for this flow, or for both."""
        return self._maker.parts(file, self._events(file.path), both=both)

    # -- customers -------------------------------------------------------

    def _read_customers(self) -> Iterator[Record | Rejected]:
        """Each customer once, the latest version among the files read. A
        settled file's version is not read again; an older one in a newer
        file is then skipped by the engine as stale (Record.version)."""
        latest: dict[str, tuple[str, dict[str, Any], str | None]] = {}
        rejected: dict[str, Rejected] = {}
        for file in self._files():
            for item in self._file_customers(file):
                if isinstance(item, Rejected):
                    rejected[item.key] = replace(item, origin=file.origin)
                    continue
                key, data = item
                if key not in latest or data["changed"] >= latest[key][0]:
                    latest[key] = (data["changed"], data, file.origin)
            self._done(file)
        yield from rejected.values()
        ordered = sorted((f"{c}#{k}", k, d, o) for k, (c, d, o) in latest.items())
        for cursor, key, data, origin in ordered:
            yield Record("customer", key, data, cursor, version=data["changed"], origin=origin)

    def _file_customers(self, file: _File) -> Iterator[tuple[str, dict[str, Any]] | Rejected]:
        if file.error is not None:
            yield Rejected("customer", file.path.name, file.error)
            return
        if not self._period_wanted(file):
            return
        for part in self._parts(file):
            if isinstance(part, Fault):
                yield Rejected("customer", file.path.name, part.error)
            elif part.customer is not None:
                yield part.customer


# -- helpers ---------------------------------------------------------------


def _validate(path: Path, element: etree._Element, what: str) -> None:
    """Raise the XSD errors of `element` (Header, Invoice or Customer) as one
    RecordError naming `what`."""
    schema = export_schema()
    if not schema.validate(element):
        raise filefaults.xsd_error(path, schema, what)
