"""Severa's error body, `ExceptionModel` [SEV]:

    {"error": {"httpStatusCode": 400, "type": "InvalidParameter",
               "details": [{"message": "...", "url": null,
                            "location": {"type": "RequestBody", "name": "name",
                                         "identifier": null}}],
               "stack": null}}

`type` is one of Severa's ExceptionTypeEnum values (InvalidParameter,
InsufficientApiScope, AddonMissing, AuthenticationRequired, ...); `location`
says where the problem is (PathParameter, RequestBody, RequestHeader,
UriParameter). The wording of messages is INFERENCE: the spec gives the
shape, not the texts. A 404 for a record that does not exist has no body, as
the spec declares (`404 void`); unknown routes answer in the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

from ledgerbridge.core.sandbox import HTTPError, Request, Response

INVALID_PARAMETER = "InvalidParameter"
INVALID_OPERATION = "InvalidOperation"
INVALID_REQUEST = "InvalidRequest"
AUTHENTICATION_REQUIRED = "AuthenticationRequired"
INSUFFICIENT_SCOPE = "InsufficientApiScope"
ADDON_MISSING = "AddonMissing"
INTERNAL = "InternalSystemError"

_BY_STATUS = {401: AUTHENTICATION_REQUIRED, 403: INSUFFICIENT_SCOPE}


@dataclass(frozen=True)
class Detail:
    message: str
    location: str | None = None  # RequestBody, UriParameter, PathParameter, RequestHeader
    name: str | None = None


def exception_model(status: int, kind: str, details: Iterable[Detail]) -> dict[str, Any]:
    return {
        "error": {
            "httpStatusCode": status,
            "type": kind,
            "details": [
                {
                    "message": d.message,
                    "url": None,
                    "location": (
                        {"type": d.location, "name": d.name, "identifier": None}
                        if d.location
                        else None
                    ),
                }
                for d in details
            ],
            "stack": None,
        }
    }


def fail(status: int, kind: str, *details: Detail) -> NoReturn:
    message = details[0].message if details else kind
    raise HTTPError(status, message, body=exception_model(status, kind, details))


def invalid(message: str, name: str | None = None, location: str = "RequestBody") -> NoReturn:
    """400 InvalidParameter about one field of the body (or query)."""
    fail(400, INVALID_PARAMETER, Detail(message, location if name else None, name))


_NO_BODY = "X-Emulator-No-Body"


class NotFound(HTTPError):
    """A record that does not exist: 404 with no body (see `no_body_404`)."""

    def __init__(self) -> None:
        super().__init__(404, "Resource not found", headers=[(_NO_BODY, "1")])


def no_body_404(request: Request, call_next: Callable[[Request], Response]) -> Response:
    """Innermost middleware: the App renders every HTTPError with a body, so a
    NotFound is marked and its body dropped here."""
    response = call_next(request)
    if response.header(_NO_BODY) is not None:
        return Response(404, [])
    return response


def pipeline(status: int, message: str) -> dict[str, Any]:
    """The App's `error_body`: routing, auth and injected faults."""
    kind = _BY_STATUS.get(status, INTERNAL if status >= 500 else INVALID_REQUEST)
    return exception_model(status, kind, [Detail(message)])
