"""What recording a record's outcome writes, gathered per record so that a
group of records (engine/groups.py) writes each kind of row in one statement:
the outcome row, the link, the end of its intent, and the cursor move (made
once per group, to the furthest value, as cursors only move forward).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ledgerbridge.core.state.bindings import BindingWrite
from ledgerbridge.core.state.links import SideWrite
from ledgerbridge.core.state.sql import Conn


@dataclass(frozen=True)
class LinkWrite:
    """The sides of one link the engine records with an outcome."""

    entity: str
    sides: tuple[SideWrite, ...]
    replaces: SideWrite | None = None
    fresh: bool = False  # no side is linked yet: no need to look for a link to join


OUTCOME_INSERT = (
    "INSERT INTO outcomes (run_id, flow, entity, key, status, action, remote_id, "
    "error, at, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
OUTBOX_KEY = ("tenant", "connector", "flow", "key")
"""An intent's key in the outbox (its primary key): what ends it."""


@dataclass(frozen=True)
class OutcomeParts:
    """One record's writes, gathered so a group's rows of each kind go in
    one statement: the outcome row, the link, the end of its intent, and
    the cursor move it allows (made once per group, to the furthest)."""

    row: tuple[Any, ...]
    link: tuple[str, str, LinkWrite, str] | None
    intent_end: tuple[str, str, str, str] | None
    cursor: tuple[tuple[str, str, str, str], str] | None


def outcome_parts(
    *,
    run_id: int,
    tenant: str,
    connector: str,
    flow: str,
    entity: str,
    key: str,
    status: str,
    at: str,
    action: str | None = None,
    remote_id: str | None = None,
    error: dict[str, Any] | None = None,
    binding: BindingWrite | None = None,
    link: LinkWrite | None = None,
    cursor: str | None = None,
    partition: str = "",
    clear_outbox: bool = False,
    hash: str | None = None,
) -> OutcomeParts:
    """What recording one record's outcome writes (`record_outcomes` makes
    the writes). `binding` is the one-way shorthand for a link of two sides."""
    if binding is not None and link is None:
        link = LinkWrite(binding.entity, binding.sides())
    shown = json.dumps(error, default=str, ensure_ascii=False) if error else None
    return OutcomeParts(
        (run_id, flow, entity, key, status, action, remote_id, shown, at, hash),
        (tenant, connector, link, at) if link is not None else None,
        (tenant, connector, flow, key) if clear_outbox else None,
        ((tenant, connector, flow, partition), cursor) if cursor is not None else None,
    )


def move_cursor(
    c: Conn,
    tenant: str,
    connector: str,
    flow: str,
    partition: str,
    value: str,
    at: str,
) -> None:
    """Cursors only move forward, each partition on its own: an older value
    never replaces a newer one."""
    c.execute(
        "INSERT INTO cursors (tenant, connector, flow, partition, value, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (tenant, connector, flow, partition) DO UPDATE SET value=excluded.value, "
        "updated_at=excluded.updated_at "
        "WHERE cursors.value IS NULL OR excluded.value > cursors.value",
        (tenant, connector, flow, partition, value, at),
    )
