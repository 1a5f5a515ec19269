"""Error-body parsers that know formats, not vendors.

The core reads what many APIs share: RFC 7807/9457 problem documents, OAuth
token errors (RFC 6749), SOAP faults, JSON bodies with the usual message,
code and field-error keys, and plain text. A vendor with its own shape gives
the client its own `ErrorParser` from its plugin (visma_net's lives in
`ledgerbridge/plugins/visma_net/errors.py`), often declared in a few lines
with `json_error_parser`, and `first_of` combines it with these.

A parser returns None when the body is not in its format, never raises on a
body it does not understand, and leaves redaction to the client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import httpx

from ledgerbridge.core.http.errors import ErrorParser, FieldError, VendorError, text_error
from ledgerbridge.core.http.safexml import XmlError, parse_xml
from ledgerbridge.core.http.soapfault import find_fault

# Keys compared case-insensitively, tried in this order.
MESSAGE_KEYS = (
    "message",
    "error_description",
    "errorMessage",
    "error_message",
    "detail",
    "description",
    "title",
    "error",
    "msg",
)
CODE_KEYS = ("code", "errorCode", "error_code", "error")
ID_KEYS = (
    "errorId",
    "error_id",
    "traceId",
    "trace_id",
    "requestId",
    "request_id",
    "correlationId",
    "correlation_id",
    "incidentId",
)
FIELD_ERROR_KEYS = ("errors", "fieldErrors", "validationErrors", "modelState", "details")
FIELD_KEYS = ("field", "property", "propertyName", "path", "name", "pointer", "parameter")


def json_body(response: httpx.Response) -> Any:
    """The body as JSON, or None when it is not JSON."""
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


def _s(value: Any) -> str | None:
    if value is None or value == "" or isinstance(value, dict | list):
        return None
    return str(value)


def _lower(body: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in body.items()}


def _first(body: Mapping[str, Any], keys: Iterable[str]) -> str | None:
    for key in keys:
        found = _s(body.get(key.lower()))
        if found is not None:
            return found
    return None


def _suffixed(body: Mapping[str, Any], suffix: str, unless: Iterable[str] = ()) -> str | None:
    """The first scalar under a key ending in `suffix` (`DeveloperErrorMessage`)."""
    skip = {u.lower() for u in unless}
    for key, value in body.items():
        if key.endswith(suffix) and key not in skip and _s(value) is not None:
            return _s(value)
    return None


def json_error_parser(
    *,
    message: Sequence[str] = MESSAGE_KEYS,
    code: Sequence[str] = CODE_KEYS,
    error_id: Sequence[str] = ID_KEYS,
    field_errors: Sequence[str] = FIELD_ERROR_KEYS,
    suffixes: bool = False,
) -> ErrorParser:
    """A parser for JSON error objects, from the keys the vendor uses.

    message/code/error_id: keys tried in order (case-insensitive).
    field_errors: keys holding field errors: a list of objects (field under
      one of FIELD_KEYS, message/code under the keys above, `Key`) or an
      object of field -> message(s) (ASP.NET `ModelState`/`errors`).
    suffixes: also take a key ending in "message"/"code"/"errorid"
      (`DeveloperErrorMessage`, `ExceptionFaultCode`): for the generic parser.

    The body is this format only when one of the message or code keys is
    present; the message then falls back to the first field error, then to
    the HTTP reason. An `{"error": {...}}` wrapper (OData, Google) is opened.
    """

    def parse(response: httpx.Response) -> VendorError | None:
        body = json_body(response)
        if isinstance(body, dict):
            return _from_object(body, response.reason_phrase)
        return None

    def _from_object(body: dict[str, Any], reason: str) -> VendorError | None:
        low = _lower(body)
        nested = low.get("error")
        if isinstance(nested, dict) and "error" in {k.lower() for k in (*code, *message)}:
            inner = _from_object(nested, reason)
            if inner is not None:
                return inner
        text = _first(low, message)
        vendor_code = _first(low, code)
        if suffixes:
            text = text or _suffixed(low, "message")
            vendor_code = vendor_code or _suffixed(low, "code", unless=("statuscode", "httpcode"))
        present = {k.lower() for k in (*message, *code)} & low.keys()
        fields = _field_errors(low, field_errors)
        if not present and text is None and vendor_code is None and not (suffixes and fields):
            return None
        found_id = _first(low, error_id) or (_suffixed(low, "errorid") if suffixes else None)
        return VendorError(
            message=text or (fields[0].message if fields else reason),
            code=vendor_code,
            error_id=found_id,
            field_errors=fields,
        )

    def _field_errors(low: Mapping[str, Any], keys: Sequence[str]) -> tuple[FieldError, ...]:
        for key in keys:
            value = low.get(key.lower())
            if isinstance(value, list):
                return tuple(_list_item(e) for e in value if isinstance(e, dict))
            if isinstance(value, dict):
                return _by_field(value)
        return ()

    item_message, item_code = (*message, *MESSAGE_KEYS), (*code, *CODE_KEYS)

    def _list_item(item: dict[str, Any]) -> FieldError:
        low = _lower(item)
        source = low.get("source")
        pointer = _s(source.get("pointer")) if isinstance(source, dict) else None  # JSON:API
        text = _first(low, item_message) or (_suffixed(low, "message") if suffixes else None)
        return FieldError(
            field=_first(low, FIELD_KEYS) or pointer,
            message=text or "",
            code=_first(low, item_code),
            key=_s(low.get("key")),
        )

    return parse


def _by_field(state: Mapping[str, Any]) -> tuple[FieldError, ...]:
    out: list[FieldError] = []
    for field_name, messages in state.items():
        for m in messages if isinstance(messages, list) else [messages]:
            if _s(m) is not None:
                out.append(FieldError(field=str(field_name) or None, message=str(m)))
    return tuple(out)


parse_json_error: ErrorParser = json_error_parser(suffixes=True)
"""JSON with the usual keys (`message`, `code`, `errors`, ...), and keys
ending in Message/Code/ErrorId, which covers most vendors' shapes."""


def parse_problem_json(response: httpx.Response) -> VendorError | None:
    """RFC 7807/9457 problem details: `{type, title, status, detail, instance}`,
    with ASP.NET's `errors` ({field: [messages]}) or a list of
    `{detail, pointer}` as field errors.

    Recognised by the `application/problem+json` type, or by `title` with
    `status` or `type` when a server sends it as plain JSON.
    """
    body = json_body(response)
    if not isinstance(body, dict):
        return None
    ctype = response.headers.get("content-type", "").lower()
    shaped = isinstance(body.get("title"), str) and ("status" in body or "type" in body)
    if "problem+json" not in ctype and not shaped:
        return None
    errors = body.get("errors")
    fields: tuple[FieldError, ...] = ()
    if isinstance(errors, dict):
        fields = _by_field(errors)
    elif isinstance(errors, list):
        fields = tuple(
            FieldError(
                field=_s(e.get("pointer")) or _s(e.get("field")) or _s(e.get("name")),
                message=_s(e.get("detail")) or _s(e.get("message")) or _s(e.get("reason")) or "",
                code=_s(e.get("code")),
            )
            for e in errors
            if isinstance(e, dict)
        )
    problem_type = _s(body.get("type"))
    return VendorError(
        message=_s(body.get("detail"))
        or _s(body.get("title"))
        or (fields[0].message if fields else response.reason_phrase),
        code=None if problem_type in (None, "about:blank") else problem_type,
        error_id=_s(body.get("traceId")) or _s(body.get("instance")),
        field_errors=fields,
    )


def parse_oauth_error(response: httpx.Response) -> VendorError | None:
    """RFC 6749 token endpoint errors: `{error, error_description}`."""
    body = json_body(response)
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return None
    return VendorError(
        message=_s(body.get("error_description")) or body["error"], code=body["error"]
    )


def parse_soap_fault(response: httpx.Response) -> VendorError | None:
    """SOAP 1.1 (`faultcode`/`faultstring`) and 1.2 (`Code`/`Reason`) faults.

    The code is the most specific one (a 1.2 Subcode when there is one); the
    whole fault is in `.fault` for classifiers. The XML is parsed without
    entities, DTDs or network; a DOCTYPE is tolerated here (a hostile answer
    still yields its fault text, unexpanded) and refused by the SOAP client.
    """
    content = response.content.strip()
    if not content.startswith(b"<"):
        return None
    try:
        root = parse_xml(content, allow_doctype=True)
    except XmlError:
        return None
    fault = find_fault(root)
    if fault is None:
        return None
    return VendorError(message=fault.reason, code=fault.most_specific_code or None, fault=fault)


def parse_text_error(response: httpx.Response) -> VendorError:
    """Last resort: the body's first line, or the HTTP reason."""
    return text_error(response)


def first_of(*parsers: ErrorParser | None) -> ErrorParser:
    """A parser trying each of `parsers` in turn (for APIs mixing formats);
    None entries are skipped, so an optional plugin parser can be passed."""
    chosen = [p for p in parsers if p is not None]

    def parse(response: httpx.Response) -> VendorError | None:
        for p in chosen:
            found = p(response)
            if found is not None:
                return found
        return None

    return parse


parse_any_error: ErrorParser = first_of(
    parse_problem_json, parse_oauth_error, parse_json_error, parse_soap_fault
)
"""The default: every generic format, then (in the client) plain text."""
