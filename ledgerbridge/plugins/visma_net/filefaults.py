"""The errors an export file can fail with, each naming file, line, field,
rule and fix, in the words of Opter's invoice export (see source.py for
when each is raised and what goes on after it)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from ledgerbridge.core.errors import RecordError
from ledgerbridge.plugins.visma_net.exportformat import PdfTooLarge
from ledgerbridge.plugins.visma_net.textcodecs import EncodingProblem, UnknownEncoding

RESEND_FIX = (
    "export the invoices again from Opter, or correct the file; either is read on the next run"
)
ENCODING_RULE = (
    "the file must be saved in a text encoding: the one its byte-order mark or XML declaration "
    "names, or, without either, the export's Encoding setting"
)
ENCODING_FIX = (
    "set Encoding in the invoice export (and `encoding` in the config) to the encoding "
    "Opter writes, e.g. UTF-8, and export again"
)
ENTITY_RULE = "export files may not contain a DOCTYPE or entities"
ENTITY_FIX = (
    "export the file again from Opter; a file edited by hand must not have a <!DOCTYPE> "
    "and may use only the XML escapes &amp; &lt; &gt; &quot; &apos; and character references"
)
_REST = "invoices from here on were not read"


def file_error(
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


def doctype_error(path: Path, line: int) -> RecordError:
    return file_error(
        path,
        line,
        "the file has a DOCTYPE; no invoice in it was read",
        rule=ENTITY_RULE,
        fix=ENTITY_FIX,
    )


def entity_error(path: Path, line: int | None, entity: str) -> RecordError:
    return file_error(
        path,
        line,
        f"the file uses the entity {entity}; {_REST}",
        rule=ENTITY_RULE,
        fix=ENTITY_FIX,
    )


def _first_fatal(
    err: etree.XMLSyntaxError, log: etree._ListErrorLog | None
) -> tuple[int | None, str]:
    """Line and message of the error that stopped the parser (from its `log`):
    iterparse may raise a later, vaguer one ("no element found", no line)."""
    for entry in log or ():
        if entry.level >= etree.ErrorLevels.FATAL:
            return entry.line or None, entry.message
    return err.lineno or (err.position[0] if err.position else None), err.msg or str(err)


def syntax_error(
    path: Path, err: etree.XMLSyntaxError, log: etree._ListErrorLog | None
) -> RecordError:
    line, message = _first_fatal(err, log)
    if "Entity '" in message:
        return file_error(
            path,
            line,
            f"the file uses an entity ({message}); {_REST}",
            rule=ENTITY_RULE,
            fix=ENTITY_FIX,
        )
    return file_error(
        path,
        line,
        f"the file is not well-formed XML ({message}); {_REST}",
        rule="an export file must be well-formed XML",
        fix=RESEND_FIX,
    )


def encoding_error(path: Path, err: EncodingProblem) -> RecordError:
    """Any decoding fault: the declaration's encoding, a bad byte, a control
    character, UTF-16 without a byte-order mark."""
    error = file_error(
        path,
        err.line,
        f"{err}; {_REST}",
        field="encoding",
        rule=ENCODING_RULE,
        fix=err.fix or ENCODING_FIX,
    )
    if isinstance(err, UnknownEncoding):
        error.value = err.name
    return error


def lxml_error(path: Path, err: etree.Error) -> RecordError:
    return file_error(
        path,
        None,
        f"the file cannot be parsed ({err}); {_REST}",
        rule="an export file must be well-formed XML",
        fix=RESEND_FIX,
    )


def unreadable_file(path: Path, err: OSError) -> RecordError:
    return file_error(
        path,
        None,
        f"cannot read the file: {err.strerror or err}",
        rule="export files must be readable",
        fix="check the file and its permissions",
    )


def no_header(path: Path) -> RecordError:
    return file_error(
        path,
        1,
        "the file has no Header before its first Invoice",
        rule="an export file starts with a Header (ExportCreated, Scope, Period)",
        fix="check that the file is an Opter invoice export; " + RESEND_FIX,
    )


def wrong_root(path: Path, root: etree._Element) -> RecordError:
    return file_error(
        path,
        root.sourceline,
        f"the root element is <{root.tag}>, not <InvoiceExport>",
        rule='an export file\'s root element is InvoiceExport version="1"',
        fix="check that the file is an Opter invoice export for Visma.net",
    )


def wrong_version(path: Path, root: etree._Element) -> RecordError:
    return file_error(
        path,
        root.sourceline,
        f"export format version {root.get('version')!r} is not supported",
        rule='InvoiceExport must have version="1"',
        fix="export the file again with the Visma.net invoice export type",
    )


def unreadable(path: Path, element: etree._Element, what: str, err: Exception) -> RecordError:
    """An element that passed (or broke) the XSD check but still cannot be read."""
    return file_error(
        path,
        element.sourceline,
        f"{what} cannot be read ({type(err).__name__}: {err})",
        rule="the invoice export XSD (opter-invoice-export.xsd), with dates and times "
        "between year 1 and 9999 and hours 00-23",
        fix="correct the value in Opter and export again; if the file looks right, "
        "report it with this message",
    )


def pdf_too_large(path: Path, element: etree._Element, err: PdfTooLarge) -> RecordError:
    pdf = element.find("PdfCopy")
    return file_error(
        path,
        pdf.sourceline if pdf is not None else element.sourceline,
        str(err),
        field="PdfCopy",
        rule=f"a PDF copy may be at most {err.limit / 1_048_576:.3g} MB",
        fix="make the invoice's PDF smaller in Opter (e.g. fewer scanned attachments) and "
        "export again, or turn off includePdfCopy",
    )


def too_large(path: Path, element: etree._Element | None, what: str, rule: str) -> RecordError:
    """An invoice (or other top-level element) over a size limit, found while
    it was being read: it is not held in memory, and the parser cannot skip
    it, so the rest of the file is not read."""
    number = (element.findtext("InvoiceNumber") or "").strip() if element is not None else ""
    name = element.tag if element is not None else "element"
    subject = f"invoice {number}" if number else f"<{name}>"
    error = file_error(
        path,
        element.sourceline if element is not None else None,
        f"{subject} is too large to read: {what}; {_REST}",
        rule=rule,
        fix="make the invoice smaller in Opter (a smaller PDF copy, fewer rows) and export "
        "it again on its own; export the other invoices of the file again without it",
    )
    if number:
        error.details["invoice"] = number
    return error


def xsd_error(path: Path, schema: etree.XMLSchema, what: str) -> RecordError:
    entries = list(schema.error_log)
    first = entries[0]
    field = _field_path(first.path)
    message = "; ".join(f"line {e.line}: {e.message}" for e in entries[:5])
    error = file_error(
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


def unexpected_element(path: Path, element: etree._Element) -> RecordError:
    return file_error(
        path,
        element.sourceline,
        f"element <{element.tag}> is not allowed in InvoiceExport",
        field=str(element.tag),
        rule="after the Header an export file holds only Invoice elements",
        fix="check that the file is an Opter invoice export; " + RESEND_FIX,
    )


def credit_without_reference(path: Path, element: etree._Element) -> RecordError:
    return file_error(
        path,
        element.sourceline,
        "credit invoice does not say which invoice it credits",
        field="CreditedInvoiceNumber",
        rule="a credit invoice names the invoice it credits",
        fix="create the credit invoice from the original invoice in Opter and export again",
    )
