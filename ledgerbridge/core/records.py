"""The Record envelope: what a source yields and the engine carries to a mapper.

A record is the unit of isolation: it succeeds, fails or is skipped on its own.
Its content hash is what makes "nothing is sent twice" cheap to decide: a
record whose hash matches the last written one is unchanged and skipped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ledgerbridge.core.errors import RecordError

# The system name of a flow's source that declares none (and of the local side
# of every binding carried over from schema v2).
DEFAULT_SOURCE_SYSTEM = "source"


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no spacing, so equal data hashes equally."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_hash(data: Any) -> str:
    """A stable sha256 of the data's canonical JSON."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Record:
    """One document on its way through a flow.

    entity:      canonical entity name ("invoice", "customer", ...).
    key:         the source system's key for it, unique per entity.
    data:        the document as JSON-compatible data.
    updated_at:  when the source last changed it (ISO 8601) or None; it is
                 also the cursor value the engine stores after success.
    attachments: binary side data (e.g. a PDF copy) that is not hashed
                 field by field but by digest, and never stored in state.
    version:     the source system's version stamp for this state of the
                 document (a change time, a row version). Two reads with the
                 same stamp are the same state; a two-way sync compares it
                 with the stamp seen right after its own write, and "update
                 if newer" with the target's stamp.
    partition:   the part of the source this record belongs to (a company
                 and year, a department); cursors are kept per partition, so
                 a late partition is never skipped. None: the flow's only one.
    cursor:      where the next incremental read resumes after this record,
                 opaque to the engine; defaults to `updated_at`.
    replaces:    the key of another record of the same system and entity
                 whose link this one takes over (a draft that became an
                 invoice with a new id).
    origin:      the source unit it was read from (an export file, named by
                 its digest), for a source that skips settled origins
                 (`SkipsSettled`); None otherwise.
    """

    entity: str
    key: str
    data: Mapping[str, Any]
    updated_at: str | None = None
    attachments: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    version: str | None = None
    partition: str | None = None
    cursor: str | None = None
    replaces: str | None = None
    origin: str | None = None

    @property
    def cursor_value(self) -> str | None:
        """What the engine stores as the cursor once this record is settled."""
        return self.cursor if self.cursor is not None else self.updated_at

    @cached_property
    def hash(self) -> str:
        """Hash of data plus attachment digests: changes iff the document changed.

        Computed once per record: the engine asks for it several times (skip
        check, intent, binding), and it serialises the whole document."""
        digests = {
            name: hashlib.sha256(blob).hexdigest()
            for name, blob in sorted(self.attachments.items())
        }
        return content_hash({"data": self.data, "attachments": digests})

    def label(self) -> str:
        """How the record is named in messages: `invoice 10023`."""
        return f"{self.entity} {self.key}"

    def to_json(self) -> dict[str, Any]:
        """What state keeps to replay a failed record (attachments are re-read)."""
        extra = {
            name: getattr(self, name)
            for name in ("version", "partition", "cursor", "replaces")
            if getattr(self, name) is not None
        }
        return {
            "entity": self.entity,
            "key": self.key,
            "data": dict(self.data),
            "updated_at": self.updated_at,
            **extra,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Record:
        return cls(
            entity=obj["entity"],
            key=obj["key"],
            data=obj["data"],
            updated_at=obj.get("updated_at"),
            version=obj.get("version"),
            partition=obj.get("partition"),
            cursor=obj.get("cursor"),
            replaces=obj.get("replaces"),
        )


@dataclass(frozen=True)
class Rejected:
    """What a source yields for an input it could not turn into a Record.

    The engine records it as a failed outcome with the error, and the run goes
    on: a malformed file fails alone instead of stopping the run.
    """

    entity: str
    key: str
    error: RecordError
    updated_at: str | None = None
    partition: str | None = None
    cursor: str | None = None
    origin: str | None = None
