"""Request and response logging on the `ledgerbridge.http` logger.

Everything goes through the redaction helpers first: at DEBUG an operator sees
what was sent and answered, never a credential. The strings are only built
when DEBUG is on, so logging costs nothing in normal runs.
"""

from __future__ import annotations

import logging

import httpx

from ledgerbridge.core.http.redaction import (
    redact_body,
    redact_headers,
    redact_url,
    request_body,
)
from ledgerbridge.core.redact import Redactor

log = logging.getLogger("ledgerbridge.http")


def log_request(api: str, request: httpx.Request, redactor: Redactor) -> None:
    if not log.isEnabledFor(logging.DEBUG):
        return
    log.debug(
        "%s -> %s %s headers=%s body=%s",
        api,
        request.method,
        redact_url(request.url, redactor),
        redact_headers(request.headers, redactor),
        request_body(request, redactor),
    )


def log_response(api: str, response: httpx.Response, elapsed: float, redactor: Redactor) -> None:
    if not log.isEnabledFor(logging.DEBUG):
        return
    log.debug(
        "%s <- %s %s %s in %.3f s headers=%s body=%s",
        api,
        response.status_code,
        response.request.method,
        redact_url(response.request.url, redactor),
        elapsed,
        redact_headers(response.headers, redactor),
        redact_body(response.content, response.headers.get("content-type"), redactor),
    )


def log_failure(api: str, method: str, url: str, text: str, elapsed: float) -> None:
    """A request that got no response; `url` and `text` must already be redacted."""
    log.debug("%s <- %s %s failed after %.3f s: %s", api, method, url, elapsed, text)


def log_retry(api: str, what: str, attempt: int, max_attempts: int, delay: float) -> None:
    log.info("%s: %s; retry %d of %d in %.2f s", api, what, attempt, max_attempts - 1, delay)
