"""eAccounting's error body and error codes.

Every error is `CommonExtendedBadRequest` [S26]:
`{ErrorCode: int, DeveloperErrorMessage, ErrorId: uuid, Errors: [CommonError
{Field, ErrorCode, Message, Key}] | null}`. The codes are the vendor's
[FACTS, developer.vismaonline.com/docs/error-codes]: 2000 validation, 3000
not found, 4000 conflict (duplicate), 4001 cannot be deleted, 4002 cannot be
created or updated, 4010 quota exceeded. DeveloperErrorMessage starts with
the .NET exception name, as in the seed's error table
("ValidateModelAttributeException - The field Name must be ...",
"CostCenterItemAlreadyExistsException - A cost center item with ...").

Exception names other than those two, the HTTP status of business errors
(400) and what goes into `Errors[]` are INFERENCE: the vendor documents the
shape, not every message. Statuses without a vendor code (401, 403, 405,
5xx, injected faults) carry the HTTP status as ErrorCode. ErrorIds come from
the emulator's seeded generator, so runs are reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

from ledgerbridge.core.sandbox import HTTPError
from ledgerbridge.plugins.eaccounting.stamps import Guids

VALIDATION = 2000
NOT_FOUND = 3000
CONFLICT = 4000
CANNOT_DELETE = 4001
CANNOT_CHANGE = 4002
QUOTA_EXCEEDED = 4010

_BY_STATUS = {400: VALIDATION, 404: NOT_FOUND, 409: CONFLICT, 429: QUOTA_EXCEEDED}


@dataclass(frozen=True)
class FieldProblem:
    """One entry of `Errors[]`: the field as the API names it, and why."""

    field: str
    message: str


class ErrorFactory:
    """Builds error bodies; `fail` raises them out of a handler."""

    def __init__(self, guids: Guids) -> None:
        self.guids = guids

    def body(
        self, code: int, message: str, problems: Iterable[FieldProblem] = ()
    ) -> dict[str, Any]:
        errors = [
            {"Field": p.field, "ErrorCode": str(code), "Message": p.message, "Key": None}
            for p in problems
        ]
        return {
            "ErrorCode": code,
            "DeveloperErrorMessage": message,
            "ErrorId": self.guids.next(),
            "Errors": errors or None,
        }

    def fail(
        self,
        status: int,
        code: int,
        message: str,
        problems: Iterable[FieldProblem] = (),
        headers: Iterable[tuple[str, str]] = (),
    ) -> NoReturn:
        raise HTTPError(status, message, body=self.body(code, message, problems), headers=headers)

    def invalid(self, exception: str, text: str, field: str | None = None) -> NoReturn:
        """400 / 2000 for a business rule on one field."""
        problems = [FieldProblem(field, text)] if field else []
        self.fail(400, VALIDATION, f"{exception} - {text}", problems)

    def not_found(self, what: str, key: str, field: str | None = None) -> NoReturn:
        """A referenced record that does not exist: 404 in a URL, 400 in a body."""
        text = f"The {what} with id {key} was not found."
        problems = [FieldProblem(field, text)] if field else []
        self.fail(400 if field else 404, NOT_FOUND, f"ResourceNotFoundException - {text}", problems)

    def conflict(self, exception: str, text: str, field: str | None = None) -> NoReturn:
        problems = [FieldProblem(field, text)] if field else []
        self.fail(400, CONFLICT, f"{exception} - {text}", problems)

    def pipeline(self, status: int, message: str) -> dict[str, Any]:
        """The App's `error_body`: routing, auth, rate limit and sandbox faults."""
        return self.body(_BY_STATUS.get(status, status), message)
