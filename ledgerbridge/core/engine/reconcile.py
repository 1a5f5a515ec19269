"""Reconciling a write whose answer was never heard (a crash, a drop).

The engine asks the target (`lookup`) before sending again; these are the
two decisions around that question that do not need the flow's state: whether
a lookup that found nothing may be trusted yet, and how a found document is
linked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from ledgerbridge.core.clock import parse_stamp, utc_iso
from ledgerbridge.core.components import Flow, WriteResult
from ledgerbridge.core.errors import StillInFlight
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.db import LinkWrite
from ledgerbridge.core.state.links import SideWrite


def in_flight(
    flow: Flow, entry: Mapping[str, Any], now: float, last_seen: str | None = None
) -> StillInFlight | None:
    """An intent younger than the target's `in_flight_seconds` (its request
    timeout plus a margin) may belong to a write the remote system is still
    processing (a run killed while a slow server works): a lookup that finds
    nothing proves nothing yet, and a resend could duplicate it. The window
    runs from the later of the intent and `last_seen`, the last sign of life
    of the run that wrote it (its request may have been queued behind
    others). Returns the retryable error to fail the record with, or None:
    resend."""
    window = getattr(flow.target, "in_flight_seconds", None)
    if not window:
        return None
    stamps = [_seconds(str(entry["created_at"])), _seconds(last_seen)]
    known = [s for s in stamps if s is not None]
    if not known:
        return None
    until = max(known) + float(window)
    if now >= until:
        return None
    system = flow.title(flow.target_system)
    return StillInFlight(
        f"a write of this record begun at {entry['created_at']} may still be in progress "
        f"at {system}, which has not shown it yet; it is not sent again before "
        f"{utc_iso(until)}",
        rule=f"a write is resent only after {system} has had {float(window):.0f} s "
        "(the request timeout plus a margin) to finish it",
        fix="nothing to do: the next run looks for it again and sends it only if it is not there",
        retryable=True,
    )


def _seconds(stamp: str | None) -> float | None:
    parsed = parse_stamp(stamp) if stamp else None
    if parsed is None:
        return None
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).timestamp()


def found_link(flow: Flow, record: Record, found: WriteResult, sent_hash: str) -> LinkWrite:
    """The link of a document the target has, written from the version of the
    record whose hash the intent kept."""
    own = SideWrite(flow.source_system, record.entity, record.key, sent_hash, None, "read")
    theirs = SideWrite(
        flow.target_system,
        record.entity,
        found.remote_id,
        sent_hash,
        found.remote_updated_at,
        "written",
    )
    return LinkWrite(record.entity, (own, theirs))
