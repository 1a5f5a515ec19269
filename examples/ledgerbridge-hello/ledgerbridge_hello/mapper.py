"""The mapper: a contact becomes a greeting document."""

from __future__ import annotations

from typing import Any

from ledgerbridge import Record, RecordError


class GreetingMapper:
    """Anything with a `map(record)` method is a mapper. It must be
    deterministic: the same record always gives the same document."""

    def __init__(self, greeting: str) -> None:
        self.greeting = greeting

    def map(self, record: Record) -> dict[str, Any]:
        name = str(record.data.get("name") or "").strip()
        if not name:
            raise RecordError(
                f"contact {record.key} has no name",
                field="name",
                rule="a greeting needs the contact's name",
                fix=f"fill in the name of contact {record.key} in the contacts file",
            )
        return {
            "contact": record.key,
            "to": record.data.get("email") or None,
            "text": f"{self.greeting}, {name}!",
        }
