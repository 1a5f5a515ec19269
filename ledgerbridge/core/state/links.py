"""Links: the id map across systems, one link per real-world thing.

A link ties a customer (an invoice, an article) together across systems: one
*side* per system, each the (system, entity, key) it has there, with the
content hash last written to or read from that side and the vendor's version
stamp seen right after our own write. That is what makes the sync rules
decidable in the engine: a record whose side still has the hash (or stamp)
we left there is unchanged, or the echo of our own write; one whose side
changed was changed by a user; a record with no side at all is new.

One place binds, unbinds and looks up (the binder of OCA/connector): the
engine writes sides through `write_sides` inside its commit transaction,
operators through `ledgerbridge links`, and plugins read through `LinkView`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ledgerbridge.core.state.sql import Conn, insert_id, insert_ids, insert_many

# Where a side's hash and stamp came from: read from a source, written by a
# target, paired at first sync, set by an operator, or carried over from v2.
ORIGINS = ("read", "written", "matched", "manual", "migrated")

_SIDE_COLS = "link_id, system, entity, key, hash, version, origin, data, synced_at"


@dataclass(frozen=True)
class SideWrite:
    """One side as the engine (or an operator) records it."""

    system: str
    entity: str
    key: str
    hash: str | None = None
    version: str | None = None
    origin: str = "read"
    data: Any = None  # the synced content, kept for two-way flows (conflict reports)


@dataclass(frozen=True)
class Side(SideWrite):
    """A stored side of a link."""

    link_id: int = 0
    synced_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "entity": self.entity,
            "key": self.key,
            "hash": self.hash,
            "version": self.version,
            "origin": self.origin,
            "synced_at": self.synced_at,
        }


@dataclass(frozen=True)
class Link:
    id: int
    entity: str
    sides: tuple[Side, ...]

    def side(self, system: str, entity: str | None = None) -> Side | None:
        """This link's side in `system` (and `entity`, when one system holds
        the thing under two entities)."""
        for s in self.sides:
            if s.system == system and (entity is None or s.entity == entity):
                return s
        return None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "entity": self.entity, "sides": [s.to_json() for s in self.sides]}


_FIND_SQL = (  # built once: the engine runs it for every record it reads
    f"SELECT l.entity, {', '.join('s.' + c.strip() for c in _SIDE_COLS.split(','))} "
    "FROM link_sides s JOIN links l ON l.id = s.link_id WHERE s.link_id = ("
    "SELECT link_id FROM link_sides WHERE tenant=? AND connector=? AND system=? "
    "AND entity=? AND key=?) ORDER BY s.system, s.entity, s.key"
)


def _side(row: Sequence[Any]) -> Side:
    link_id, system, entity, key, hash_, version, origin, data, synced_at = row
    return Side(
        system=system,
        entity=entity,
        key=key,
        hash=hash_,
        version=version,
        origin=origin,
        data=json.loads(data) if data else None,
        link_id=link_id,
        synced_at=synced_at,
    )


class LinkView:
    """Links of one tenant and connector, for the engine, mappers and targets
    (an invoice's mapper finding the remote id of its customer). Reads only;
    safe from worker threads: every use of the connection holds the lock."""

    def __init__(
        self,
        conn: Conn,
        tenant: str,
        connector: str,
        lock: threading.RLock | None = None,
    ) -> None:
        self._conn = conn
        self._where = (tenant, connector)
        self._lock = lock or threading.RLock()

    def _rows(self, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._conn.execute(sql, (*self._where, *args)).fetchall())

    def get(self, link_id: int) -> Link | None:
        rows = self._rows(
            f"SELECT {_SIDE_COLS} FROM link_sides WHERE tenant=? AND connector=? AND link_id=? "
            "ORDER BY system, entity, key",
            (link_id,),
        )
        entity = self._rows(
            "SELECT entity FROM links WHERE tenant=? AND connector=? AND id=?", (link_id,)
        )
        if not entity:
            return None
        return Link(link_id, entity[0][0], tuple(_side(r) for r in rows))

    def find(self, system: str, entity: str, key: str) -> Link | None:
        """The link that has this side, or None: the record is not linked.
        One query: the engine asks it for every record it reads."""
        rows = self._rows(_FIND_SQL, (system, entity, key))
        if not rows:
            return None
        return Link(rows[0][1], rows[0][0], tuple(_side(r[1:]) for r in rows))

    def other(
        self, system: str, entity: str, key: str, to_system: str, to_entity: str | None = None
    ) -> Side | None:
        """From one side to another: PM customer 17 -> its eAccounting side."""
        link = self.find(system, entity, key)
        return link.side(to_system, to_entity) if link else None

    def side_of(self, system: str, entity: str, key: str) -> Side | None:
        link = self.find(system, entity, key)
        return link.side(system, entity) if link else None

    def sides(self, system: str, entity: str) -> Iterator[Side]:
        """Every side a system has for an entity (the keys already linked)."""
        yield from (
            _side(r)
            for r in self._rows(
                f"SELECT {_SIDE_COLS} FROM link_sides WHERE tenant=? AND connector=? "
                "AND system=? AND entity=? ORDER BY key",
                (system, entity),
            )
        )

    def linked_to(self, to_system: str, entity: str, key: str) -> Side | None:
        """The `to_system` side of the link some other system's `key` has,
        whichever system that is: what a one-way flow's binding is."""
        rows = self._rows(
            f"SELECT {', '.join('t.' + c.strip() for c in _SIDE_COLS.split(','))} "
            "FROM link_sides s JOIN link_sides t ON t.link_id = s.link_id "
            "WHERE s.tenant=? AND s.connector=? AND s.entity=? AND s.key=? "
            "AND t.system=? AND t.entity=? AND s.system != t.system LIMIT 1",
            (entity, key, to_system, entity),
        )
        return _side(rows[0]) if rows else None

    def list(
        self, entity: str | None = None, system: str | None = None, limit: int | None = None
    ) -> Iterator[Link]:
        sql = "SELECT id FROM links WHERE tenant=? AND connector=?"
        args: list[Any] = []
        if entity:
            sql += " AND entity=?"
            args.append(entity)
        if system:
            sql += (
                " AND id IN (SELECT link_id FROM link_sides WHERE tenant=links.tenant AND "
                "connector=links.connector AND system=?)"
            )
            args.append(system)
        sql += " ORDER BY id"
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        for (link_id,) in self._rows(sql, args):
            link = self.get(link_id)
            if link is not None:
                yield link

    def has_sides(self, system: str, entity: str) -> bool:
        """Has this system any linked side of the entity? (One index probe.)"""
        sql = (
            "SELECT 1 FROM link_sides WHERE tenant=? AND connector=? AND system=? "
            "AND entity=? LIMIT 1"
        )
        return bool(self._rows(sql, (system, entity)))

    def count(self, system: str | None = None, entity: str | None = None) -> int:
        sql = "SELECT count(DISTINCT link_id) FROM link_sides WHERE tenant=? AND connector=?"
        args: list[Any] = []
        if system:
            sql += " AND system=?"
            args.append(system)
        if entity:
            sql += " AND entity=?"
            args.append(entity)
        return int(self._rows(sql, args)[0][0])


# -- writing (inside a transaction the caller holds) ----------------------------


def write_sides(
    c: Conn,
    tenant: str,
    connector: str,
    entity: str,
    sides: Sequence[SideWrite],
    at: str,
    replaces: SideWrite | None = None,
    fresh: bool = False,
) -> int:
    """Record that `sides` are one thing: create the link, add or refresh
    sides, or join two links that turn out to be one. `replaces` is a side
    whose key the first side takes over (a draft that became an invoice).
    `fresh`: the caller knows no side is linked yet (a create for a record
    that had no link), so none is looked for. Returns the link id."""
    where = (tenant, connector)
    if replaces is not None:
        c.execute(
            "UPDATE link_sides SET key=? WHERE tenant=? AND connector=? AND system=? "
            "AND entity=? AND key=?",
            (sides[0].key, *where, replaces.system, replaces.entity, replaces.key),
        )
    found = [] if fresh else [_link_of(c, where, s) for s in sides]
    link_ids = [lid for lid in found if lid is not None]
    fresh = not link_ids
    if link_ids:
        link_id = link_ids[0]
        for other in dict.fromkeys(link_ids[1:]):
            if other != link_id:
                _merge(c, where, other, into=link_id)
        c.execute("UPDATE links SET updated_at=? WHERE id=?", (at, link_id))
    else:
        link_id = insert_id(c, _LINK_INSERT, (*where, entity, at, at))
    for s in sides:
        _put_side(c, where, link_id, s, at, fresh)
    return link_id


_LINK_INSERT = (
    "INSERT INTO links (tenant, connector, entity, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class FreshLink:
    """A link of sides none of which is linked yet (a create for a record
    that had no link): nothing to look up, join or replace."""

    tenant: str
    connector: str
    entity: str
    sides: tuple[SideWrite, ...]
    at: str


def write_fresh_links(c: Conn, links: Sequence[FreshLink]) -> list[int]:
    """What `write_sides(..., fresh=True)` does for each link, in as few
    statements as the database allows (`state/sql.py`): the links, then every
    side, in order (a side met twice ends on the later link, as one call
    after the other leaves it). On PostgreSQL that is three statements for a
    group instead of three per record. The link ids."""
    if not links:
        return []
    ids = insert_ids(
        c,
        "links",
        ("tenant", "connector", "entity", "created_at", "updated_at"),
        [(f.tenant, f.connector, f.entity, f.at, f.at) for f in links],
    )
    rows = [
        _side_row((f.tenant, f.connector), link_id, s, f.at)
        for f, link_id in zip(links, ids, strict=True)
        for s in f.sides
    ]
    insert_many(c, _SIDE_UPSERT, rows, unique=range(5))  # its ON CONFLICT columns
    return ids


def _link_of(c: Conn, where: tuple[str, str], s: SideWrite) -> int | None:
    row = c.execute(
        "SELECT link_id FROM link_sides WHERE tenant=? AND connector=? AND system=? "
        "AND entity=? AND key=?",
        (*where, s.system, s.entity, s.key),
    ).fetchone()
    return int(row[0]) if row else None


def _merge(c: Conn, where: tuple[str, str], link_id: int, into: int) -> None:
    c.execute("UPDATE link_sides SET link_id=? WHERE link_id=?", (into, link_id))
    c.execute("DELETE FROM links WHERE id=?", (link_id,))


def _put_side(
    c: Conn,
    where: tuple[str, str],
    link_id: int,
    s: SideWrite,
    at: str,
    fresh: bool = False,
) -> None:
    """One side per system and entity on a link: a new key for the same
    system replaces the old one (the remote id changed hands). A link made
    just now has no old side to replace."""
    if not fresh:
        # by link_id alone (unique across tenants): with tenant and connector in
        # the WHERE, SQLite walks the primary key's range of every side of the entity
        c.execute(
            "DELETE FROM link_sides WHERE link_id=? AND system=? AND entity=? AND key != ?",
            (link_id, s.system, s.entity, s.key),
        )
    c.execute(_SIDE_UPSERT, _side_row(where, link_id, s, at))


_SIDE_UPSERT = (
    "INSERT INTO link_sides (tenant, connector, system, entity, key, link_id, hash, version, "
    "origin, data, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (tenant, connector, system, entity, key) DO UPDATE SET "
    "link_id=excluded.link_id, hash=excluded.hash, version=excluded.version, "
    "origin=excluded.origin, data=coalesce(excluded.data, link_sides.data), "
    "synced_at=excluded.synced_at"
)


def _side_row(where: tuple[str, str], link_id: int, s: SideWrite, at: str) -> tuple[Any, ...]:
    data = json.dumps(s.data, sort_keys=True, default=str) if s.data is not None else None
    return (*where, s.system, s.entity, s.key, link_id, s.hash, s.version, s.origin, data, at)


def unset_side(c: Conn, tenant: str, connector: str, side: SideWrite) -> int:
    """Break a link at one side; a link left with one side or none goes.
    Returns the number of sides removed."""
    where = (tenant, connector)
    link_id = _link_of(c, where, side)
    if link_id is None:
        return 0
    c.execute(
        "DELETE FROM link_sides WHERE tenant=? AND connector=? AND system=? AND entity=? AND key=?",
        (*where, side.system, side.entity, side.key),
    )
    left = c.execute("SELECT count(*) FROM link_sides WHERE link_id=?", (link_id,)).fetchone()[0]
    removed = 1
    if left <= 1:
        removed += left
        c.execute("DELETE FROM link_sides WHERE link_id=?", (link_id,))
        c.execute("DELETE FROM links WHERE id=?", (link_id,))
    return int(removed)
