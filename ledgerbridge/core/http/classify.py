"""What a failed request means, decided before anything is retried.

Every failure (an error status, a SOAP fault, a 2xx the caller says holds an
error, a network exception) is put to the client's classifier as a `Failure`;
the `Verdict` says what the client does:

- TRANSIENT: retry with backoff, while attempts remain, if the request is
  idempotent or certainly never reached the server;
- THROTTLED: the vendor asks us to slow down: the rate budget pauses and the
  request is retried whatever its method (it was not processed);
- REFUSAL: a definite no (a 4xx other than 408/429, a Client/Sender fault):
  raise `ApiError` at once;
- AUTH: the credentials were refused: never retried as transient; the `Auth`
  may renew them once (an OAuth token), then `AuthError` is raised.

A plugin's classifier returns None for what it has no opinion on, and the
default below (the rules the client always had) decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import httpx

from ledgerbridge.core.http.errors import TRANSIENT_STATUSES, VendorError
from ledgerbridge.core.http.retry import RETRY_STATUSES, classify_transport_error
from ledgerbridge.core.http.soapfault import SoapFault


class Outcome(StrEnum):
    TRANSIENT = "transient"
    THROTTLED = "throttled"
    REFUSAL = "refusal"
    AUTH = "auth"


@dataclass(frozen=True)
class Verdict:
    """A classifier's answer.

    may_have_reached_server: for TRANSIENT, False when the request certainly
      never arrived (a refused connection), so even a POST may be resent.
    retry_after: seconds the vendor asked for (in a fault text, say); the
      `Retry-After` header is read anyway. Longer than the policy's
      `max_retry_after` ends the retries.
    definite: for REFUSAL, False when the request is not retried now but a
      later run may succeed (a 408, or a 5xx the retry policy leaves out):
      the error's record stays retryable.
    """

    outcome: Outcome
    may_have_reached_server: bool = True
    retry_after: float | None = None
    definite: bool = True


TRANSIENT = Verdict(Outcome.TRANSIENT)
NOT_SENT = Verdict(Outcome.TRANSIENT, may_have_reached_server=False)
THROTTLED = Verdict(Outcome.THROTTLED, may_have_reached_server=False)
REFUSAL = Verdict(Outcome.REFUSAL)
AUTH = Verdict(Outcome.AUTH)
_NOT_NOW = Verdict(Outcome.REFUSAL, definite=False)


def throttled(retry_after: float | None = None) -> Verdict:
    """THROTTLED, waiting `retry_after` seconds before the retry."""
    return Verdict(Outcome.THROTTLED, may_have_reached_server=False, retry_after=retry_after)


@dataclass(frozen=True)
class Failure:
    """One failed attempt, as the classifier sees it.

    Exactly one of `response` and `exception` is set. `error` is what the
    client's error parser (or the request's `detect_error`) found in the
    body, before redaction: classifiers decide on it, they never show it.
    """

    request: httpx.Request
    attempt: int
    response: httpx.Response | None = None
    exception: httpx.TransportError | None = None
    error: VendorError | None = None

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None

    @property
    def fault(self) -> SoapFault | None:
        """The SOAP fault in the body, if it held one."""
        return self.error.fault if self.error is not None else None

    @property
    def vendor_code(self) -> str | None:
        return self.error.code if self.error is not None else None


Classifier = Callable[[Failure], Verdict | None]
"""Returns None to leave the decision to the next classifier (finally the default)."""


def default_verdict(failure: Failure, retry_statuses: frozenset[int] = RETRY_STATUSES) -> Verdict:
    """The client's rules when no classifier has an opinion.

    401 -> AUTH; 429 -> THROTTLED; other statuses of the retry policy (5xx)
    -> TRANSIENT; any other status (4xx, a 2xx holding an error) -> REFUSAL,
    not definite for 408 (and 429/5xx a policy does not retry).
    Network errors: before sending -> TRANSIENT not sent; timeouts and
    dropped connections -> TRANSIENT; the rest (bad proxy, unsupported
    scheme) -> REFUSAL.
    """
    if failure.exception is not None:
        kind = classify_transport_error(failure.exception)
        if not kind.retryable:
            return REFUSAL
        return TRANSIENT if kind.may_have_reached_server else NOT_SENT
    status = failure.status
    if status == 401:
        return AUTH
    if status is None or status not in retry_statuses:
        return _NOT_NOW if status in TRANSIENT_STATUSES else REFUSAL
    return THROTTLED if status == 429 else TRANSIENT


def chain_classifiers(*classifiers: Classifier | None) -> Classifier:
    """Ask each classifier in turn; the first verdict wins (None entries are
    skipped, so an optional plugin classifier can be passed as is)."""
    chosen = [c for c in classifiers if c is not None]

    def classify(failure: Failure) -> Verdict | None:
        for c in chosen:
            verdict = c(failure)
            if verdict is not None:
                return verdict
        return None

    return classify


def soap_fault_verdict(failure: Failure) -> Verdict | None:
    """SOAP faults by who is to blame (used by `SoapClient`).

    Receiver/Server -> TRANSIENT (retried per policy); Sender/Client,
    VersionMismatch, MustUnderstand, DataEncodingUnknown -> REFUSAL; a
    WS-Security authentication fault -> AUTH. A 401 or 429 is left to the
    status rules, and a fault of no standard kind to the HTTP status.
    """
    fault = failure.fault
    if fault is None or failure.status in (401, 429):
        return None
    if fault.kind == "receiver":
        return TRANSIENT
    if fault.kind == "authentication":
        return AUTH
    if fault.kind == "other":
        return None
    return REFUSAL
