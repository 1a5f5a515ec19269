"""Vendor error bodies turned into one exception type.

Each vendor reports failures its own way (a JSON `message`, RFC 7807 problem
documents, SOAP faults, OAuth's `error`, or its own shape). A parser
(`ledgerbridge.core.http.parsers`, or the plugin's own) reads the body into a
`VendorError`; the client turns it into an `ApiError` whose parts (status,
vendor code, field errors, SOAP fault) can be shown to an operator or stored
as a `RecordError` without parsing message text. Everything attached to an
error is redacted when the error is built, so `str`, `repr` and stored bodies
are safe to show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from ledgerbridge.core.errors import AuthError, LedgerbridgeError, RecordError
from ledgerbridge.core.http.redaction import redact_body, redact_url, truncate
from ledgerbridge.core.http.soapfault import SoapFault
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
    """What a parser found in an error body, before redaction.

    fault: the SOAP fault the body held, for classifiers and callers that
    need its kind, subcodes or detail; it does not take part in equality
    (two errors with the same message and codes are the same error).
    """

    message: str
    code: str | None = None
    error_id: str | None = None
    field_errors: tuple[FieldError, ...] = ()
    fault: SoapFault | None = field(default=None, compare=False)


ErrorParser = Callable[[httpx.Response], VendorError | None]
"""Returns None when the body is not in the parser's format."""


class ApiError(LedgerbridgeError):
    """A vendor API refused a request (or could not be reached).

    All attributes are already redacted: they may be logged, shown and stored.

    definite: the client's classifier called it a definite refusal (a 4xx
    other than 408/429, a Client fault): sending it again unchanged gets the
    same answer, so its record is not retryable whatever the HTTP status.
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
        fault: SoapFault | None = None,
        definite: bool = False,
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
        self.fault = fault
        self.definite = definite
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
            retryable=self.retryable or (not self.definite and self.status in TRANSIENT_STATUSES),
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


class ApiAuthError(ApiError, AuthError):
    """The API refused the credentials and the client has no `Auth` to word
    it for the operator: both an `ApiError` (status, vendor message) and an
    `AuthError` (the engine stops the tenant's run; never retried)."""


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
    vendor = parser(response) or text_error(response)
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
        fault=vendor.fault.redacted(red, redactor.redact_obj) if vendor.fault else None,
        **extra,
    )


def text_error(response: httpx.Response) -> VendorError:
    """Last resort: the body's first line, or the HTTP reason."""
    ctype = response.headers.get("content-type", "").lower()
    text = response.text.strip() if response.content else ""
    if not text or "html" in ctype or "\x00" in text:
        return VendorError(message=response.reason_phrase or f"HTTP {response.status_code}")
    return VendorError(message=text.splitlines()[0])
