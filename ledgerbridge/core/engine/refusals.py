"""How a failed remote call becomes a record's outcome.

A vendor's 4xx (not 408 or 429) is a definite refusal: the document was not
written, the record fails alone with the vendor's message, and its intent
is cleared (nothing to look up). Anything else (a drop, a timeout, a 5xx
after retries) may or may not have been written: the failure is retryable
and the intent stays, so the next run asks the target before resending.
"""

from __future__ import annotations

from ledgerbridge.core.engine.steps import Failed
from ledgerbridge.core.errors import RecordError

NOT_REFUSALS = (408, 429)


def as_failure(exc: Exception, system: str, dry: bool = False) -> Failed:
    if isinstance(exc, RecordError):
        return Failed(exc, clear_intent=not exc.retryable and not dry)
    if is_refusal(exc):
        return Failed(refusal(exc, system), clear_intent=not dry)
    return Failed(as_transient(exc, system))


def is_refusal(exc: Exception) -> bool:
    """A vendor answered 4xx (not a timeout or throttling), or the client's
    error classifier called the answer a definite refusal (a SOAP client
    fault, a vendor code saying so): it refused."""
    if getattr(exc, "definite", False) is True:
        return True
    status = getattr(exc, "status", None)
    return isinstance(status, int) and 400 <= status < 500 and status not in NOT_REFUSALS


def refusal(exc: Exception, system: str) -> RecordError:
    convert = getattr(exc, "to_record_error", None)
    err = convert() if callable(convert) else None
    if not isinstance(err, RecordError):
        err = RecordError(
            f"{system} refused the write: {exc}",
            rule=f"{system} must accept the document",
            fix="correct the record at its source and run again",
        )
    err.retryable = False
    err.fix = err.fix or "correct the record at its source and run again"
    return err


def as_transient(exc: Exception, system: str) -> RecordError:
    """An unexpected failure during a write: retryable, and the outbox entry
    stays so the next run asks the target before sending again."""
    convert = getattr(exc, "to_record_error", None)
    if callable(convert):
        err = convert()
        if isinstance(err, RecordError):
            return err
    return RecordError(
        f"writing to {system} failed: {type(exc).__name__}: {exc}",
        rule="the remote system must answer the write",
        fix="run again later; the engine checks whether the write happened before resending",
        retryable=True,
    )
