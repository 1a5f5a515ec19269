"""Errors that name the record, the field, the rule and the fix.

Operators read these in `ledgerbridge errors`; each part has its own slot so
output can be rendered as text or JSON without parsing messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any


class LedgerbridgeError(Exception):
    """Base of every error ledgerbridge raises on purpose."""


class ConfigError(LedgerbridgeError):
    """A tenant's config or the command line is wrong; nothing was run.

    `problems` holds every problem at once, so the operator fixes them in one go.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        text = (
            message
            if not self.problems
            else message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        )
        super().__init__(text)


@dataclass
class RecordError(LedgerbridgeError):
    """One record cannot be transferred; the rest of the run goes on.

    message: what went wrong, in the vendor's and the user's words.
    field:   the offending field path ("rows[2].vatCode"), when there is one.
    value:   the offending value, when it helps (never a secret).
    rule:    the rule that was broken ("must be one of Visma.net's VAT codes").
    fix:     what the operator should do about it.
    retryable: True for transient faults (network, 5xx after retries), where a
               later run may succeed without any change.
    """

    message: str
    field: str | None = None
    value: Any = None
    rule: str | None = None
    fix: str | None = None
    retryable: bool = False
    details: dict[str, Any] = dc_field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = [self.message]
        if self.field:
            shown = f" (value {self.value!r})" if self.value is not None else ""
            parts.append(f"field {self.field}{shown}")
        if self.rule:
            parts.append(f"rule: {self.rule}")
        if self.fix:
            parts.append(f"fix: {self.fix}")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "field": self.field,
            "value": self.value,
            "rule": self.rule,
            "fix": self.fix,
            "retryable": self.retryable,
            **({"details": self.details} if self.details else {}),
        }


@dataclass
class StillInFlight(RecordError):
    """The record waits for a write of an earlier run that may still be in
    progress remotely (a slow server, a killed run). Retryable, but it says
    nothing about the remote system's health, so it never counts towards the
    run's "transient failures in a row" stop."""

    retryable: bool = True


class SkipRecord(LedgerbridgeError):
    """Raised by a mapper: this record is not sent, by rule, and that is not a
    failure (a credit invoice a connector does not transfer). The engine
    records it as skipped (action `excluded`) with `reason`, names it in the
    run's summary, and moves the cursor past it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class AuthError(LedgerbridgeError):
    """Credentials were refused: the whole tenant needs attention, not one record."""


class RunLockedError(LedgerbridgeError):
    """Another run of the same tenant and connector holds the lock."""


class StateUnavailable(LedgerbridgeError):
    """The state database (PostgreSQL) cannot be reached or used: nothing ran."""


class RunStopped(LedgerbridgeError):
    """The run must end now, cleanly, between documents: nothing is wrong with
    any record, and the records not yet sent are left for the next run.

    Raised from inside a target's write (or a source's read) before anything of
    the current document was sent. The engine ends the run on it without
    failing the record it came from; that record's intent stays in the outbox,
    so the next run checks with the target before sending it.
    """

    def to_record_error(self) -> RecordError:
        """How the record reads if an engine treats this as a record's fault."""
        return RecordError(
            f"not sent: {self}",
            rule="a run stops between documents, never half way through one",
            fix="nothing to fix: the next run sends it",
            retryable=True,
        )


class BudgetExhausted(RunStopped):
    """A connection's rate budget is spent and the connection says to stop
    rather than wait for the vendor's window (`whenSpent: "stop"`)."""

    def __init__(self, budget: str, resume_at: float, waiting_for: str) -> None:
        from ledgerbridge.core.clock import utc_iso

        self.budget = budget
        self.resume_at = resume_at
        super().__init__(
            f"{budget}: {waiting_for}; the budget is spent until {utc_iso(resume_at)}. "
            "The run stopped before the next document (nothing was sent half way); run "
            'again after that time, or let runs wait for the window (whenSpent "wait")'
        )
