"""Vendor error bodies turned into one exception type.

Each vendor reports failures its own way (eAccounting's `ErrorCode`/`Errors[]`,
Visma.net's `ExceptionMessage`, SOAP faults, OAuth's `error`). Connectors pick a
parser; the client turns whatever it finds into an `ApiError` whose parts
(status, vendor code, field errors) can be shown to an operator or stored as a
`RecordError` without parsing message text. Everything attached to an error
is redacted when the error is built, so `str`, `repr` and stored bodies are
safe to show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from lxml import etree

from ledgerbridge.core.errors import LedgerbridgeError, RecordError
from ledgerbridge.core.http.redaction import redact_body, redact_url, truncate
from ledgerbridge.core.redact import Redactor

TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_MESSAGE_LIMIT = 500


@dataclass(frozen=True)
class FieldError:
    """One field the vendor rejected, as the vendor named it."""

    field: str | None
    message: str
    code: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class VendorError:
    """What a parser found in an error body, before redaction."""

    message: str
    code: str | None = None
    error_id: str | None = None
    field_errors: tuple[FieldError, ...] = ()


ErrorParser = Callable[[httpx.Response], VendorError | None]
"""Returns None when the body is not in the parser's format."""


class ApiError(LedgerbridgeError):
    """A vendor API refused a request (or could not be reached).

    All attributes are already redacted: they may be logged, shown and stored.
    """

    retryable: bool = False

    def __init__(
        self,
        *,
        api: str,
        method: str,
        url: str,
        status: int | None,
        message: str,
        vendor_code: str | None = None,
        error_id: str | None = None,
        field_errors: Sequence[FieldError] = (),
        body: str | None = None,
        attempts: int = 1,
    ) -> None:
        self.api = api
        self.method = method
        self.url = url
        self.status = status
        self.message = message
        self.vendor_code = vendor_code
        self.error_id = error_id
        self.field_errors = tuple(field_errors)
        self.body = body
        self.attempts = attempts
        super().__init__(self._describe())

    def _failure(self) -> str:
        """The last failure alone: status, vendor code, message, fields."""
        if self.status is None:
            text = self.message
        else:
            reason = httpx.codes.get_reason_phrase(self.status)
            code = f" [{self.vendor_code}]" if self.vendor_code else ""
            label = f"{self.status} {reason}".strip()
            text = f"answered {label}{code}: {self.message}"
        for fe in self.field_errors:
            text += f"; {fe.field or '(no field)'}: {fe.message}"
        if self.error_id:
            text += f" (error id {self.error_id})"
        return text

    def _describe(self) -> str:
        return f"{self.api}: {self.method} {self.url} {self._failure()}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(api={self.api!r}, method={self.method!r}, "
            f"url={self.url!r}, status={self.status!r}, vendor_code={self.vendor_code!r}, "
            f"message={self.message!r})"
        )

    def to_record_error(self, fix: str | None = None) -> RecordError:
        """The error as one record's failure, for the engine's outcomes table.

        The field comes from the first field error, the rule from the vendor's
        own words, so the operator sees what the vendor wants changed.
        """
        first = self.field_errors[0] if self.field_errors else None
        rule = first.message if first and first.message else self.message
        status = f" ({self.status})" if self.status is not None else ""
        return RecordError(
            message=f"{self.api} rejected {self.method} {self.url}{status}: {self.message}",
            field=first.field if first else None,
            rule=rule,
            fix=fix,
            retryable=self.retryable or self.status in TRANSIENT_STATUSES,
            details={
                "status": self.status,
                "vendor_code": self.vendor_code,
                "error_id": self.error_id,
                "field_errors": [asdict(fe) for fe in self.field_errors],
            },
        )


class TransientApiError(ApiError):
    """A failure a later attempt may not see: 429/5xx or a network fault,
    after the client's retries were used up or were not allowed.

    may_have_reached_server: True when a non-idempotent request was not
    retried because the vendor may have processed it; the caller should look
    the document up before sending it again.
    """

    retryable = True

    def __init__(self, *, may_have_reached_server: bool = False, **kwargs: Any) -> None:
        self.may_have_reached_server = may_have_reached_server
        super().__init__(**kwargs)

    def _describe(self) -> str:
        head = f"{self.api}: {self.method} {self.url}"
        if self.may_have_reached_server:
            return (
                f"{head} {self._failure()}; not retried because the request is not "
                "idempotent and may have been processed: look the document up before "
                "sending it again"
            )
        attempts = "1 attempt" if self.attempts == 1 else f"{self.attempts} attempts"
        return f"{head} failed after {attempts}; last failure: {self._failure()}"


# ---------------------------------------------------------------- building


def build_api_error(
    *,
    api: str,
    response: httpx.Response,
    redactor: Redactor,
    parser: ErrorParser,
    error_type: type[ApiError] = ApiError,
    note: str = "",
    **extra: Any,
) -> ApiError:
    """An ApiError from a response, every part redacted."""
    vendor = parser(response) or parse_text_error(response)
    red = redactor.redact
    fields = tuple(
        FieldError(
            field=red(fe.field) if fe.field else None,
            message=red(fe.message),
            code=red(fe.code) if fe.code else None,
            key=red(fe.key) if fe.key else None,
        )
        for fe in vendor.field_errors
    )
    return error_type(
        api=api,
        method=response.request.method,
        url=redact_url(response.request.url, redactor),
        status=response.status_code,
        message=truncate(red(vendor.message), _MESSAGE_LIMIT) + note,
        vendor_code=red(vendor.code) if vendor.code else None,
        error_id=red(vendor.error_id) if vendor.error_id else None,
        field_errors=fields,
        body=redact_body(response.content, response.headers.get("content-type"), redactor),
        **extra,
    )


# ---------------------------------------------------------------- parsers


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


def _s(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def parse_eaccounting_error(response: httpx.Response) -> VendorError | None:
    """Visma eAccounting: `{ErrorCode, DeveloperErrorMessage, ErrorId, Errors[]}`."""
    body = _json(response)
    if not isinstance(body, dict) or not {"ErrorCode", "DeveloperErrorMessage"} & body.keys():
        return None
    fields = tuple(
        FieldError(
            field=_s(e.get("Field")),
            message=_s(e.get("Message")) or "",
            code=_s(e.get("ErrorCode")),
            key=_s(e.get("Key")),
        )
        for e in body.get("Errors") or []
        if isinstance(e, dict)
    )
    message = _s(body.get("DeveloperErrorMessage")) or (
        fields[0].message if fields else response.reason_phrase
    )
    return VendorError(
        message=message,
        code=_s(body.get("ErrorCode")),
        error_id=_s(body.get("ErrorId")),
        field_errors=fields,
    )


def parse_visma_net_error(response: httpx.Response) -> VendorError | None:
    """Visma.net ERP: `{ExceptionType, ExceptionMessage, ExceptionFaultCode,
    ExceptionMessageID, ExceptionDetails}`, or ASP.NET's `{message}`/`{Message}`
    with an optional `ModelState` of field errors."""
    body = _json(response)
    if not isinstance(body, dict):
        return None
    if "ExceptionMessage" in body or "ExceptionType" in body:
        return VendorError(
            message=_s(body.get("ExceptionMessage"))
            or _s(body.get("ExceptionDetails"))
            or response.reason_phrase,
            code=_s(body.get("ExceptionFaultCode")) or _s(body.get("ExceptionType")),
            error_id=_s(body.get("ExceptionMessageID")),
        )
    message = _s(body.get("message")) or _s(body.get("Message"))
    if message is None:
        return None
    return VendorError(message=message, field_errors=_model_state(body.get("ModelState")))


def _model_state(state: Any) -> tuple[FieldError, ...]:
    if not isinstance(state, dict):
        return ()
    out: list[FieldError] = []
    for field_name, messages in state.items():
        for m in messages if isinstance(messages, list) else [messages]:
            out.append(FieldError(field=str(field_name), message=str(m)))
    return tuple(out)


def parse_oauth_error(response: httpx.Response) -> VendorError | None:
    """RFC 6749 token endpoint errors: `{error, error_description}`."""
    body = _json(response)
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return None
    return VendorError(
        message=_s(body.get("error_description")) or body["error"], code=body["error"]
    )


_SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"


def _xml_parser() -> etree.XMLParser:
    # A hostile or broken server must not make us fetch URLs or expand entities.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_soap_fault(response: httpx.Response) -> VendorError | None:
    """SOAP 1.1 (`faultcode`/`faultstring`) and 1.2 (`Code`/`Reason`) faults."""
    content = response.content.strip()
    if not content.startswith(b"<"):
        return None
    try:
        root = etree.fromstring(content, parser=_xml_parser())
    except etree.XMLSyntaxError:
        return None
    fault = root.find(f".//{{{_SOAP11}}}Fault")
    if fault is not None:
        return VendorError(
            message=(fault.findtext("faultstring") or "SOAP fault").strip(),
            code=(fault.findtext("faultcode") or "").strip() or None,
        )
    fault = root.find(f".//{{{_SOAP12}}}Fault")
    if fault is not None:
        ns = {"s": _SOAP12}
        sub = fault.findtext("s:Code/s:Subcode/s:Value", namespaces=ns)
        code = sub or fault.findtext("s:Code/s:Value", namespaces=ns)
        reason = fault.findtext("s:Reason/s:Text", namespaces=ns)
        return VendorError(
            message=(reason or "SOAP fault").strip(), code=code.strip() if code else None
        )
    return None


def parse_text_error(response: httpx.Response) -> VendorError:
    """Last resort: the body's first line, or the HTTP reason."""
    ctype = response.headers.get("content-type", "").lower()
    text = response.text.strip() if response.content else ""
    if not text or "html" in ctype or "\x00" in text:
        return VendorError(message=response.reason_phrase or f"HTTP {response.status_code}")
    return VendorError(message=text.splitlines()[0])


def first_of(*parsers: ErrorParser) -> ErrorParser:
    """A parser trying each of `parsers` in turn (for APIs mixing formats)."""

    def parse(response: httpx.Response) -> VendorError | None:
        for p in parsers:
            found = p(response)
            if found is not None:
                return found
        return None

    return parse


parse_any_error: ErrorParser = first_of(
    parse_eaccounting_error, parse_visma_net_error, parse_oauth_error, parse_soap_fault
)
"""The default: tries every known format, then falls back to text."""
