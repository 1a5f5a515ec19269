"""An emulated system in memory, and a source and target over it.

`MemorySystem` behaves as a vendor API does where the sync rules care: every
write gives the record a new key (on create) and a new version stamp, reads
can ask for what changed since a stamp, and it counts the writes it
received. Tests of two-way rules (echo, conflicts, matching, crashes) run a
connector over two of them; the core's own two-way tests do, and a plugin
author can use them to try a rule before an emulator of the real API exists.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledgerbridge.core.components import Candidate, WriteResult
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding


class Crash(BaseException):
    """Stands in for the process being killed: not an Exception, so nothing catches it."""


@dataclass
class MemorySystem:
    """One emulated system holding records of one entity."""

    name: str
    prefix: str = "r"
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    creates: int = 0
    updates: int = 0
    crash_after_writes: int | None = None  # raise Crash once this many writes happened
    path: Path | None = None  # kept in this file after every change (see `stored`)
    _clock: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def stored(cls, path: Path, name: str, prefix: str = "r") -> MemorySystem:
        """A system kept in a JSON file, replaced atomically after every change,
        so it outlives a process killed with SIGKILL: what a vendor's server
        is to a run."""
        system = cls(name, prefix, path=path)
        if path.exists():
            saved = json.loads(path.read_text(encoding="utf-8"))
            system.rows = saved["rows"]
            system.versions = saved["versions"]
            system.creates, system.updates, system._clock = (
                saved["creates"],
                saved["updates"],
                saved["clock"],
            )
        return system

    # -- what a user does in the system's own UI ------------------------------

    def add(self, data: Mapping[str, Any]) -> str:
        """A user creates a record: a new key and stamp (not counted as ours)."""
        with self._lock:
            return self._put(None, data)

    def edit(self, key: str, **changes: Any) -> None:
        with self._lock:
            self._put(key, {**self.rows[key], **changes})

    # -- what the API offers -------------------------------------------------------

    def create(self, data: Mapping[str, Any]) -> tuple[str, str]:
        with self._lock:
            key = self._put(None, data)
            self.creates += 1
            self._save()
            self._maybe_crash()
            return key, self.version(key)

    def update(self, key: str, data: Mapping[str, Any]) -> str:
        with self._lock:
            self._put(key, data)
            self.updates += 1
            self._save()
            self._maybe_crash()
            return self.version(key)

    def version(self, key: str) -> str:
        return f"{self.versions[key]:08d}"

    def changed_since(self, since: str | None) -> Iterator[tuple[str, dict[str, Any], str]]:
        """(key, data, stamp) of every record changed after `since`, oldest first."""
        with self._lock:
            rows = sorted(self.versions.items(), key=lambda kv: kv[1])
            snapshot = [(k, dict(self.rows[k]), self.version(k)) for k, _ in rows]
        for key, data, stamp in snapshot:
            if since is None or stamp > since:
                yield key, data, stamp

    def find(self, **fields: Any) -> list[str]:
        with self._lock:
            return [
                k for k, row in self.rows.items() if all(row.get(f) == v for f, v in fields.items())
            ]

    @property
    def writes(self) -> int:
        return self.creates + self.updates

    def _put(self, key: str | None, data: Mapping[str, Any]) -> str:
        self._clock += 1
        if key is None:
            key = f"{self.prefix}{len(self.rows) + 1}"
        self.rows[key] = dict(data)
        self.versions[key] = self._clock
        self._save()
        return key

    def _save(self) -> None:
        if self.path is None:
            return
        saved = {
            "rows": self.rows,
            "versions": self.versions,
            "creates": self.creates,
            "updates": self.updates,
            "clock": self._clock,
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(saved), encoding="utf-8")
        os.replace(tmp, self.path)

    def _maybe_crash(self) -> None:
        if self.crash_after_writes is not None and self.writes >= self.crash_after_writes:
            self.crash_after_writes = None
            raise Crash(f"killed after write {self.writes} to {self.name}")


class MemorySource:
    """Reads a MemorySystem incrementally: the stamp is version and cursor."""

    def __init__(self, system: MemorySystem, entity: str, title: str | None = None) -> None:
        self.memory = system
        self.system = system.name
        self.title = title or system.name.capitalize()
        self.entity = entity

    def read(self, since: str | None) -> Iterator[Record]:
        for key, data, stamp in self.memory.changed_since(since):
            yield Record(self.entity, key, data, updated_at=stamp, version=stamp)


class CopyMapper:
    """The payload is the record's data: both systems hold the canonical form."""

    def map(self, record: Record) -> dict[str, Any]:
        return dict(record.data)


class MemoryTarget:
    """Writes to a MemorySystem; finds by match fields, lists candidates and
    reports version stamps, as a two-way target of a real API would."""

    def __init__(
        self, system: MemorySystem, match: Sequence[str] = (), title: str | None = None
    ) -> None:
        self.memory = system
        self.system = system.name
        self.title = title or system.name.capitalize()
        self.match = tuple(match)

    def write(
        self, payload: dict[str, Any], record: Record, binding: Binding | None
    ) -> WriteResult:
        if binding is None:
            key, stamp = self.memory.create(payload)
            return WriteResult(key, "created", stamp)
        stamp = self.memory.update(binding.remote_id, payload)
        return WriteResult(binding.remote_id, "updated", stamp)

    def lookup(self, payload: dict[str, Any], record: Record) -> WriteResult | None:
        if not self.match:
            return None
        keys = self.memory.find(**{f: payload.get(f) for f in self.match})
        return WriteResult(keys[0], "unchanged", self.memory.version(keys[0])) if keys else None

    def candidates(self) -> Iterator[Candidate]:
        for key, data, stamp in self.memory.changed_since(None):
            yield Candidate(key, data, stamp)

    def remote_version(
        self, payload: dict[str, Any], record: Record, binding: Binding
    ) -> str | None:
        key = binding.remote_id
        return self.memory.version(key) if key in self.memory.rows else None
