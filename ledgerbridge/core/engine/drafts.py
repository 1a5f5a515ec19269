"""A record open for change by `prepare_record` hook implementations."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from ledgerbridge.core.records import Record


class RecordDraft:
    """Mutable view of a record: implementations edit `data` in place, in turn,
    so their changes compose; `skip(reason)` leaves the record out of the run."""

    def __init__(self, record: Record) -> None:
        self.entity = record.entity
        self.key = record.key
        self.updated_at = record.updated_at
        self.data: dict[str, Any] = copy.deepcopy(dict(record.data))
        self.attachments = dict(record.attachments)
        self.skip_reason: str | None = None
        self._record = record

    def skip(self, reason: str) -> None:
        self.skip_reason = reason

    def to_record(self) -> Record:
        return dataclasses.replace(
            self._record,
            entity=self.entity,
            key=self.key,
            data=self.data,
            updated_at=self.updated_at,
            attachments=self.attachments,
        )
