"""The sync rules, decided from a record's link: the same for every connector.

A flow reads records from its source system S and writes them to its target
system T. What the links hold about a record decides what happens to it:

- echo:      S is where we last wrote it, and it still holds what we wrote
             (same hash, or the stamp seen right after our write): our own
             write coming back, never sent on.
- unchanged: S still holds what we last read from it.
- behind:    neither, when T's side was written from other content than the
             record holds: one source feeding several targets (fan-out)
             shares S's side, so T is compared with what T was sent.
- match:     an unlinked record is paired at first sync with the one T already
             has under the flow's match keys (number + name), T's list read
             once per run; an ambiguous match fails with the fix.
- conflict:  a linked record changed in S, but T is the entity's master: the
             change is reported, naming both values, and not sent.
- mode:      create-only never updates, update-only never creates, write-once
             refuses a change, upsert does both.

Connectors declare the rules on their `Flow`; no target hand-writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledgerbridge.core.clock import later, parse_stamp
from ledgerbridge.core.components import Candidate, Flow, WriteResult
from ledgerbridge.core.engine.seen import SeenKeys
from ledgerbridge.core.engine.steps import Failed, Linked, Outcome, Skipped, Succeeded
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.records import Record, content_hash
from ledgerbridge.core.state.db import LinkWrite
from ledgerbridge.core.state.links import LinkView, Side, SideWrite


class SyncRules:
    """The rules of one flow, with what it learns once per run (T's list)."""

    def __init__(self, flow: Flow, links: LinkView) -> None:
        self.flow = flow
        self.links = links
        self.S = flow.source_system
        self.T = flow.target_system
        self.two_way = flow.master is not None
        self._index: dict[tuple[str, ...], list[Candidate]] | None = None
        self._taken: set[str] = set()
        self._unlinked: dict[str, bool] = {}  # entity -> no S side was linked at the start
        self._seen: SeenKeys | None = None  # made on a first sync only (2 MiB)

    # -- link, echo, unchanged ----------------------------------------------------

    def link(self, record: Record) -> Linked:
        """The record's link, found from its own side, or from the side of
        the record it replaces (a draft that became an invoice)."""
        if self._certainly_unlinked(record):
            return Linked()
        link = self.links.find(self.S, record.entity, record.key)
        replaced = None
        if link is None and record.replaces:
            link = self.links.find(self.S, record.entity, record.replaces)
            replaced = link.side(self.S, record.entity) if link else None
        if link is None:
            return Linked()
        own = None if replaced else link.side(self.S, record.entity)
        return Linked(link, own, link.side(self.T, record.entity), replaced)

    def _certainly_unlinked(self, record: Record) -> bool:
        """No link can exist for this record: its entity had none on S's side
        when the flow started, and neither its key nor the one it replaces
        was met in this run (seen.py)."""
        entity = record.entity
        if entity not in self._unlinked:
            self._unlinked[entity] = not self.links.has_sides(self.S, entity)
        if not self._unlinked[entity]:
            return False
        if self._seen is None:
            self._seen = SeenKeys()
        met = self._seen.add(record.key)
        if record.replaces:
            met = self._seen.add(record.replaces) or met
        return not met

    def settled(self, record: Record, linked: Linked) -> Skipped | None:
        """Echo or unchanged: S still holds what the link last saw there, and
        T has had it (`_behind`)."""
        side = linked.source
        if side is None or linked.target is None:
            return None
        if not _same(side, record) or _behind(linked.target, record):
            return self._stale(record, side.version)
        if side.origin == "written":
            return Skipped("echo", f"what ledgerbridge wrote to {self._title(self.S)}, read back")
        return Skipped("unchanged")

    def _stale(self, record: Record, seen: str | None) -> Skipped | None:
        """A version older than one already read or written (an older export
        file read after a newer one): never sent over the newer. Only change
        times are compared; row versions may not sort."""
        version = record.version
        if not version or not seen or parse_stamp(version) is None or parse_stamp(seen) is None:
            return None
        if not later(seen, version):
            return None
        return Skipped(
            "stale",
            f"{self._title(self.S)} gave an older version ({version}) than the one "
            f"already synced ({seen})",
        )

    # -- match (first sync) -------------------------------------------------------

    def match(self, record: Record, linked: Linked) -> Linked:
        """Pair an unlinked record with the one T already has, by the flow's
        match keys. No match: it is new. More than one: the operator decides."""
        if not self.flow.match or linked.target is not None:
            return linked
        found = [c for c in self._candidates().get(self._key(record.data), []) if self._free(c)]
        if not found:
            return linked
        if len(found) > 1:
            raise self._ambiguous(record, found)
        cand = found[0]
        self._taken.add(cand.key)
        side = Side(self.T, record.entity, cand.key, None, cand.version, "matched")
        return Linked(linked.link, linked.source, side, linked.replaced, cand)

    def _candidates(self) -> dict[tuple[str, ...], list[Candidate]]:
        if self._index is None:
            listing = getattr(self.flow.target, "candidates", None)
            if listing is None:
                raise RecordError(
                    f"flow {self.flow.name!r} matches by {', '.join(self.flow.match)} but its "
                    f"target cannot list what {self._title(self.T)} has",
                    rule="a target of a flow with match keys has candidates()",
                    fix="this is a fault in the plugin; report it",
                )
            index: dict[tuple[str, ...], list[Candidate]] = {}
            for cand in listing():
                index.setdefault(self._key(cand.data), []).append(cand)
            self._index = index
        return self._index

    def _key(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(str(data.get(f) or "").strip().casefold() for f in self.flow.match)

    def _free(self, cand: Candidate) -> bool:
        """A candidate already linked to another record is not free to pair."""
        if cand.key in self._taken:
            return False
        return self.links.find(self.T, self.flow.entity, cand.key) is None

    def _ambiguous(self, record: Record, found: list[Candidate]) -> RecordError:
        keys = ", ".join(c.key for c in found)
        fields = " + ".join(self.flow.match)
        return RecordError(
            f"{record.label()} matches {len(found)} {self._title(self.T)} records by "
            f"{fields} ({keys}); it is not linked to any of them",
            field=", ".join(self.flow.match),
            value=" / ".join(str(record.data.get(f)) for f in self.flow.match),
            rule=f"at first sync a record is linked to the one {self._title(self.T)} record "
            f"with the same {fields}",
            fix=f"pair it by hand: ledgerbridge links set TENANT CONNECTOR {record.entity} "
            f"{self.S}={record.key} {self.T}=KEY (one of {keys}), then run again",
        )

    # -- conflict, mode -------------------------------------------------------------

    def verdict(self, record: Record, linked: Linked, payload: Any = None) -> Outcome | None:
        """What happens without a write (a conflict, a refusal, a skip), or
        None: write it (create when unlinked, else update)."""
        if linked.target is None:
            if self.flow.mode == "update-only":
                return Skipped(
                    "not linked",
                    f"no {self._title(self.T)} {record.entity} is linked to it; "
                    "this flow only updates",
                )
            return None
        if linked.matched is not None:
            return self._first_sync(record, linked.matched)
        if _paired_by_hand(linked):
            return self._paired(record, linked)
        if self.flow.master is not None and self.flow.master != self.S:
            return Failed(self._conflict(record, linked), action="conflict")
        if self.flow.mode == "create-only":
            return Skipped("exists", f"already in {self._title(self.T)}; this flow only creates")
        if self.flow.mode == "write-once":
            return Failed(self.sent_once(record, linked.target.key, payload))
        return None

    def _first_sync(self, record: Record, cand: Candidate) -> Outcome | None:
        """A record just paired: nothing to write when both hold the same, or
        when T is the master (its content comes back through the other flow)."""
        same = _same_content(cand, record)
        if same or (self.flow.master is not None and self.flow.master != self.S):
            return Succeeded(WriteResult(cand.key, "unchanged", cand.version), "matched")
        if self.flow.mode in ("create-only", "write-once"):
            return Succeeded(WriteResult(cand.key, "unchanged", cand.version), "matched")
        return None

    def _paired(self, record: Record, linked: Linked) -> Outcome | None:
        """Sides an operator paired (`ledgerbridge links set`) sync as at first
        sync: from the master, whose side is the one written."""
        assert linked.target is not None
        if self.flow.master is not None and self.flow.master != self.S:
            result = WriteResult(linked.target.key, "unchanged", linked.target.version)
            return Succeeded(result, "linked")
        if self.flow.mode in ("create-only", "write-once"):
            result = WriteResult(linked.target.key, "unchanged", linked.target.version)
            return Succeeded(result, "linked")
        return None

    def _conflict(self, record: Record, linked: Linked) -> RecordError:
        master = self._title(str(self.flow.master))
        here = self._title(self.S)
        last = linked.source.data if linked.source is not None else None
        changes = _changes(last, record.data)
        shown = "; ".join(
            f"{f}: {master} has {old!r}, {here} has {new!r}" for f, old, new in changes
        )
        first = changes[0] if changes else (None, None, None)
        return RecordError(
            f"{record.label().capitalize()} changed in {here}, but {master} is the master "
            f"for {record.entity}s: the change is not sent" + (f" ({shown})" if shown else ""),
            field=first[0],
            value=first[2],
            rule=f"changes to a linked {record.entity} flow from its master system, {master}",
            fix=f"change it in {master}"
            + (f" (or make {here} the master for {record.entity}s)" if here else ""),
            details={
                "conflict": {
                    "master": self.flow.master,
                    "changed_in": self.S,
                    "fields": [{"field": f, "master": o, "changed": n} for f, o, n in changes],
                }
            },
        )

    def sent_once(self, record: Record, remote_id: str, payload: Any = None) -> RecordError:
        """The one error of every write-once flow. A target may name its
        documents better than the entity does (`label(payload)`: "credit note
        10024")."""
        namer = getattr(self.flow.target, "label", None)
        label = str(namer(payload)) if callable(namer) and payload is not None else record.label()
        entity = label.rsplit(" ", 1)[0] if " " in label else record.entity.replace("_", " ")
        article = "an" if entity[:1] in "aeiou" else "a"
        return RecordError(
            f"{label[:1].upper()}{label[1:]} changed in {self._title(self.S)} after it was "
            f"sent to {self._title(self.T)} as {remote_id}; {article} {entity} is sent once",
            field=record.entity,
            value=record.key,
            rule=f"{entity}s are not updated in {self._title(self.T)} once sent",
            fix=self.flow.sent_once_fix
            or f"correct it in {self._title(self.T)} by hand, or send a correcting document",
        )

    def kept_as_newer(self, record: Record, current: str | None, ours: str | None) -> str | None:
        """Update if newer: the target counts as changed only when its stamp
        now (`current`) differs from the one seen after our own write
        (`ours`); then only a source change made after it is sent. Returns
        why the target's version is kept, or None to send the update."""
        if current is None or current == ours:
            return None
        if record.version is not None and later(record.version, current):
            return None
        target, source = self._title(self.T), self._title(self.S)
        return (
            f"{target} changed it at {current}, after {source} did"
            + (f" at {record.version}" if record.version else "")
            + f"; {target}'s version is kept"
        )

    # -- commit -------------------------------------------------------------------

    def link_write(
        self, record: Record, result: WriteResult, linked: Linked, action: str
    ) -> LinkWrite:
        """The sides to record after a success: what we read from S and what T
        holds now (with the stamp seen right after our write)."""
        data = dict(record.data) if self.two_way else None
        own = SideWrite(
            self.S, record.entity, record.key, record.hash, record.version, "read", data
        )
        if action == "linked" and linked.target is not None:
            # paired by hand, T the master: T's side stays unknown, so the
            # other flow brings T's content over on its next read
            theirs = SideWrite(
                self.T, record.entity, linked.target.key, None, linked.target.version, "manual"
            )
        elif action == "matched":
            cand = linked.matched
            same = cand is not None and _same_content(cand, record)
            # T is the master and holds something else: leave its hash unknown,
            # so the other flow brings T's content over on its next read
            theirs = SideWrite(
                self.T,
                record.entity,
                result.remote_id,
                record.hash if same else None,
                result.remote_updated_at,
                "matched",
                dict(cand.data) if (cand is not None and self.two_way) else None,
            )
        else:
            theirs = SideWrite(
                self.T,
                record.entity,
                result.remote_id,
                record.hash,
                result.remote_updated_at,
                "written",
                data,
            )
        replaced = (
            SideWrite(self.S, record.entity, linked.replaced.key) if linked.replaced else None
        )
        # a create for a record that had no link: both sides are new, so the
        # link is written without first looking for one to join
        fresh = action == "created" and linked.link is None and replaced is None
        return LinkWrite(record.entity, (own, theirs), replaced, fresh=fresh)

    def _title(self, system: str) -> str:
        return self.flow.title(system)


def _same_content(cand: Candidate, record: Record) -> bool:
    """The candidate the target has holds what the record holds (first sync)."""
    return content_hash(dict(cand.data)) == content_hash(dict(record.data))


def _paired_by_hand(linked: Linked) -> bool:
    """Sides set by an operator that no run has synced yet."""
    own = linked.source
    return own is not None and own.origin == "manual" and own.hash is None


def _behind(target: Side, record: Record) -> bool:
    """Fan-out: the target's side was written by us from other content than
    the record holds now, so it has not had this version, whatever the
    source's side says. A source's side is shared by every flow reading it
    (DUELL's products into two Visma.net companies, or on from a system
    another flow wrote to): the first flow to send a change refreshes it,
    and without this the others would take the change as already seen."""
    return target.origin == "written" and target.hash is not None and target.hash != record.hash


def _same(side: Side, record: Record) -> bool:
    """The side still holds this record: the same content, or the same stamp
    as seen right after the last sync (a field we do not sync changed)."""
    if side.hash is not None and side.hash == record.hash:
        return True
    return side.version is not None and side.version == record.version


def _changes(before: Any, after: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """Top-level fields whose value differs: what a conflict names."""
    if not isinstance(before, Mapping):
        return []
    keys = sorted(set(before) | set(after))
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
