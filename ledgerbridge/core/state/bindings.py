"""Bindings: a one-way flow's view of a link.

A target is handed the `Binding` of the record it writes: the remote id the
record's link has in the target's system, with the hash last written there
and the version stamp seen right after that write. It is read from the links
table (see links.py); nothing stores bindings on their own any more.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ledgerbridge.core.records import DEFAULT_SOURCE_SYSTEM
from ledgerbridge.core.state.links import LinkView, Side, SideWrite
from ledgerbridge.core.state.sql import Conn

__all__ = ["DEFAULT_SOURCE_SYSTEM", "Binding", "BindingView", "BindingWrite"]


@dataclass(frozen=True)
class BindingWrite:
    """A local key bound to a remote id in `system`, with the content hash
    written and the remote's version stamp seen then."""

    system: str
    entity: str
    local_key: str
    remote_id: str
    hash: str | None
    remote_updated_at: str | None

    def sides(self, source_system: str = DEFAULT_SOURCE_SYSTEM) -> tuple[SideWrite, SideWrite]:
        """The two link sides this binding stands for: local first."""
        return (
            SideWrite(source_system, self.entity, self.local_key, self.hash, None, "read"),
            SideWrite(
                self.system,
                self.entity,
                self.remote_id,
                self.hash,
                self.remote_updated_at,
                "written",
            ),
        )


@dataclass(frozen=True)
class Binding(BindingWrite):
    """A stored binding, with when it was last written."""

    updated_at: str

    @classmethod
    def of(cls, local_key: str, side: Side) -> Binding:
        return cls(
            system=side.system,
            entity=side.entity,
            local_key=local_key,
            remote_id=side.key,
            hash=side.hash,
            remote_updated_at=side.version,
            updated_at=side.synced_at,
        )


class BindingView:
    """Bindings of one tenant and connector, for mappers and targets (an
    invoice's mapper finding the remote id of its customer). `links` gives
    the whole id map, from any side to any other."""

    def __init__(
        self,
        conn: Conn,
        tenant: str,
        connector: str,
        lock: threading.RLock | None = None,
    ) -> None:
        self.links = LinkView(conn, tenant, connector, lock)

    def get(self, system: str, entity: str, local_key: str) -> Binding | None:
        """The remote side in `system` of the link that `local_key` (a key in
        any other system) has."""
        side = self.links.linked_to(system, entity, local_key)
        return Binding.of(local_key, side) if side else None

    def by_remote(self, system: str, entity: str, remote_id: str) -> Binding | None:
        link = self.links.find(system, entity, remote_id)
        if link is None:
            return None
        remote = link.side(system, entity)
        local = next((s for s in link.sides if s.system != system), None)
        return Binding.of(local.key, remote) if remote and local else None

    def count(self, system: str | None = None, entity: str | None = None) -> int:
        return self.links.count(system, entity)
