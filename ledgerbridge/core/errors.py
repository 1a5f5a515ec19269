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


class AuthError(LedgerbridgeError):
    """Credentials were refused: the whole tenant needs attention, not one record."""


class RunLockedError(LedgerbridgeError):
    """Another run of the same tenant and connector holds the lock."""
