"""Visma.net's error bodies.

Visma.net answers in two shapes, and clients must handle both:

- business errors raised by the ERP (a missing customer, an unknown VAT code,
  a duplicate number) as `{"ExceptionType", "ExceptionMessage",
  "ExceptionFaultCode", "ExceptionMessageID", "ExceptionDetails"}`;
- errors from the ASP.NET pipeline in front of it (unknown route, wrong
  method, missing token, a body that does not bind) as `{"Message"}`, with a
  `ModelState` of field errors when the body does not match the DTO.

The fault codes are not published; the emulator uses one code per kind of
error (below) so tests can tell them apart. Message ids are drawn from the
emulator's seeded generator, so a run is reproducible.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

from ledgerbridge.core.sandbox import HTTPError, Issue

EXCEPTION_TYPE = "IPPException"
VALIDATION = "12022"  # a business rule refused the document
NOT_FOUND = "12002"  # the addressed record does not exist
DUPLICATE = "12023"  # the number is already used
_QUOTED = re.compile(r"'([^']+)'")


@dataclass(frozen=True)
class Violation:
    """One broken business rule: the DTO field and Visma.net's wording."""

    field: str
    message: str


class ErrorFactory:
    """Builds vendor error bodies with reproducible message ids."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"visma_net-errors-{seed}")
        self._lock = threading.Lock()

    def message_id(self, code: str) -> str:
        with self._lock:
            bits = self._rng.getrandbits(128)
        text = f"{bits:032x}"
        return f"{code}_{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    def exception_body(self, message: str, code: str, details: str = "") -> dict[str, Any]:
        return {
            "ExceptionType": EXCEPTION_TYPE,
            "ExceptionMessage": message,
            "ExceptionFaultCode": code,
            "ExceptionMessageID": self.message_id(code),
            "ExceptionDetails": details,
        }

    def fail(self, status: int, message: str, code: str, details: str = "") -> NoReturn:
        """Stop handling with a business error in the vendor's shape."""
        body = self.exception_body(message, code, details)
        raise HTTPError(status, message, body=body)

    def not_found(self, message: str) -> NoReturn:
        self.fail(404, message, NOT_FOUND)

    def refuse(self, action: str, violations: Iterable[Violation]) -> None:
        """400 naming every broken rule, or nothing when there is none.

        Visma.net reports the errors of one document together (Acumatica
        collects them per record before it gives up), so all of them are in
        the message, and the details name each field on a line of its own.
        """
        found = list(violations)
        if not found:
            return
        message = f"Error {action}. " + " ".join(f"Error: {v.message}" for v in found)
        details = "\n".join(f"{v.field}: {v.message}" for v in found)
        self.fail(400, message, VALIDATION, details)

    def duplicate(self, message: str) -> NoReturn:
        self.fail(400, message, DUPLICATE)


def pipeline_error(status: int, message: str) -> dict[str, Any]:
    """The ASP.NET shape for routing, authentication and binding errors."""
    return {"Message": message}


def model_state(issues: list[Issue]) -> dict[str, Any]:
    """A body that does not match the DTO: every problem, keyed by field.

    A property the DTO does not have is keyed by its own path, so the
    client's error names the misspelt field rather than its parent.
    """
    state: dict[str, list[str]] = {}
    for issue in issues:
        for field, message in _entries(issue):
            state.setdefault(field, []).append(message)
    return {"Message": "The request is invalid.", "ModelState": state}


def _entries(issue: Issue) -> list[tuple[str, str]]:
    if issue.keyword != "additionalProperties":
        return [(issue.field or "body", issue.message)]
    prefix = f"{issue.field}." if issue.field else ""
    names = _QUOTED.findall(issue.message.split("(", 1)[-1])
    return [(f"{prefix}{n}", "The DTO has no such property.") for n in names] or [
        (issue.field or "body", issue.message)
    ]
