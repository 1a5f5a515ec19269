"""The source: contacts from a CSV file with the columns id,name,email,updated_at."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ledgerbridge import ConfigError, Record, RecordError, Rejected

ENTITY = "contact"
COLUMNS = ("id", "name", "email", "updated_at")
TIMESTAMP_RULE = "must be an ISO 8601 date-time such as 2026-01-31T09:30:00Z"


class ContactsSource:
    """Reads a contacts file. Anything with a `read(since)` method is a source."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self, since: str | None) -> Iterator[Record | Rejected]:
        """Yield the contacts changed at or after `since`, oldest first.

        `>=` rather than `>`: two contacts may share a timestamp, and a run that
        stopped between them must not lose the second one (the first is skipped
        by its unchanged hash). A CSV file has no order to rely on, so the rows
        from `since` on are sorted here; a source over an API asks the API for
        that order and pages through it instead. Rows without a usable
        timestamp cannot be placed in that order and come last.
        """
        dated: list[tuple[str, int, Record | Rejected]] = []
        undated: list[Record | Rejected] = []
        for line, row in self._rows():
            item = parse_row(row, line, self.path.name)
            if item.updated_at is None:
                undated.append(item)
            elif since is None or item.updated_at >= since:
                dated.append((item.updated_at, line, item))
        for _, _, item in sorted(dated, key=lambda entry: entry[:2]):
            yield item
        yield from undated

    def _rows(self) -> Iterator[tuple[int, dict[str, str | None]]]:
        """Rows with the line they start on, so errors can point at it."""
        if not self.path.is_file():
            raise ConfigError(
                f"contactsFile {self.path} does not exist; "
                "fix: point contactsFile in the tenant's config at the contacts CSV file"
            )
        with self.path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ConfigError(
                    f"contactsFile {self.path} lacks the column(s) {', '.join(missing)}; "
                    f"rule: the first line must name the columns {','.join(COLUMNS)}"
                )
            line = reader.line_num + 1
            for row in reader:
                yield line, row
                line = reader.line_num + 1


def parse_row(row: dict[str, str | None], line: int, file_name: str) -> Record | Rejected:
    """One CSV row as a Record, or Rejected naming the line, field, rule and fix."""
    where = f"line {line} of {file_name}"
    key = _text(row, "id")
    raw_updated = _text(row, "updated_at")
    updated_at = utc_timestamp(raw_updated)
    email = _text(row, "email")
    error = _problem(where, key, raw_updated, updated_at, email)
    if error is not None:
        return Rejected(ENTITY, key or f"line-{line}", error, updated_at)
    data = {"id": key, "name": _text(row, "name"), "email": email, "updated_at": updated_at}
    return Record(ENTITY, key, data, updated_at)


def _problem(
    where: str, key: str, raw_updated: str, updated_at: str | None, email: str
) -> RecordError | None:
    if not key:
        return RecordError(
            f"{where} has no id",
            field="id",
            rule="every contact needs a unique id",
            fix=f"fill in the id on {where}",
        )
    if updated_at is None:
        return RecordError(
            f"contact {key} on {where} has no usable updated_at",
            field="updated_at",
            value=raw_updated,
            rule=TIMESTAMP_RULE,
            fix=f"correct updated_at on {where}",
        )
    if email and "@" not in email:
        return RecordError(
            f"contact {key} on {where} has an invalid email",
            field="email",
            value=email,
            rule="must be an address like name@example.com, or empty",
            fix=f"correct or clear the email on {where}",
        )
    return None


def utc_timestamp(raw: str) -> str | None:
    """The timestamp in one UTC format, or None when it is not ISO 8601.

    Cursors are compared as text, so every timestamp must be written alike:
    "2026-01-05" and "2026-01-05T00:00:00+01:00" would otherwise sort wrongly.
    """
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(row: dict[str, str | None], column: str) -> str:
    return (row.get(column) or "").strip()
