"""Bindings: the id map between a source's keys and a target's ids.

A binding is what makes "update if newer", echo suppression and "never the
same document twice" decidable: it carries the hash last written and the
remote updated-at seen then.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass

_COLS = "system, entity, local_key, remote_id, hash, remote_updated_at, updated_at"


@dataclass(frozen=True)
class BindingWrite:
    """What the engine writes: a local key bound to a remote id, with the
    content hash written and the remote updated-at seen then."""

    system: str
    entity: str
    local_key: str
    remote_id: str
    hash: str | None
    remote_updated_at: str | None


@dataclass(frozen=True)
class Binding(BindingWrite):
    """A stored binding, with when it was last written."""

    updated_at: str


class BindingView:
    """Read-only bindings of one tenant and connector, for mappers and targets
    (e.g. an invoice's mapper finding the remote id of its customer)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        tenant: str,
        connector: str,
        lock: threading.RLock | None = None,
    ) -> None:
        self._conn = conn
        self._tenant = tenant
        self._connector = connector
        self._lock = lock or threading.RLock()

    def _one(self, sql: str, args: tuple[str, ...]) -> Binding | None:
        with self._lock:
            row = self._conn.execute(sql, args).fetchone()
        return Binding(*row) if row else None

    def get(self, system: str, entity: str, local_key: str) -> Binding | None:
        return self._one(
            f"SELECT {_COLS} FROM bindings "
            "WHERE tenant=? AND connector=? AND system=? AND entity=? AND local_key=?",
            (self._tenant, self._connector, system, entity, local_key),
        )

    def by_remote(self, system: str, entity: str, remote_id: str) -> Binding | None:
        return self._one(
            f"SELECT {_COLS} FROM bindings "
            "WHERE tenant=? AND connector=? AND system=? AND entity=? AND remote_id=?",
            (self._tenant, self._connector, system, entity, remote_id),
        )

    def count(self, system: str | None = None, entity: str | None = None) -> int:
        sql = "SELECT count(*) FROM bindings WHERE tenant=? AND connector=?"
        args: list[str] = [self._tenant, self._connector]
        if system:
            sql += " AND system=?"
            args.append(system)
        if entity:
            sql += " AND entity=?"
            args.append(entity)
        with self._lock:
            return int(self._conn.execute(sql, args).fetchone()[0])
