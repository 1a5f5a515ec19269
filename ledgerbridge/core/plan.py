"""What a dry run says a write would do, per record.

A target's optional `plan(payload, record, binding)` answers with a verb
("create", "update", ...) or, better, a `Plan`: the verb, the fields that
would change (what the target holds now -> what would be sent), which
remote record it touches and why. The engine keeps it on the record's
Planned outcome and the run's summary; `ledgerbridge run --dry-run` prints
it, so an integrator sees what would happen to a customer's books before
anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldChange:
    """One field a write would change: `mainAddress.city 'Göteborg' -> 'Borås'`."""

    field: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}

    def __str__(self) -> str:
        return f"{self.field} {_shown(self.old)} -> {_shown(self.new)}"


@dataclass(frozen=True)
class Plan:
    """What writing one record would do.

    verb:      "create", "update", "leave unchanged", "refuse", "skip", ...
    changes:   for an update, each field that would change, old -> new.
    remote_id: the target's record it would touch, when it exists.
    note:      why, when the verb alone does not say (e.g. "already sent
               as 100001; an invoice is sent once").
    """

    verb: str
    changes: tuple[FieldChange, ...] = ()
    remote_id: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "verb": self.verb,
            "changes": [c.to_json() for c in self.changes],
            "remote_id": self.remote_id,
            "note": self.note,
        }


def as_plan(answer: str | Plan) -> Plan:
    """A target's `plan` answer, as a Plan (a plain verb has no details)."""
    return answer if isinstance(answer, Plan) else Plan(str(answer))


def changes(
    old: Mapping[str, Any], new: Mapping[str, Any], fields: Iterable[str] | None = None
) -> tuple[FieldChange, ...]:
    """The fields of `new` whose value differs from `old`'s, nested mappings
    as dotted paths (`mainAddress.city`); None and "" are the same (no value)."""
    out: list[FieldChange] = []
    for name in fields if fields is not None else new:
        if name not in new:
            continue
        before, after = old.get(name), new[name]
        if isinstance(after, Mapping):
            inner = before if isinstance(before, Mapping) else {}
            out.extend(
                FieldChange(f"{name}.{c.field}", c.old, c.new) for c in changes(inner, after)
            )
        elif _norm(before) != _norm(after):
            out.append(FieldChange(name, before, after))
    return tuple(out)


def _norm(value: Any) -> Any:
    return None if value in (None, "") else value


def _shown(value: Any) -> str:
    return "(none)" if _norm(value) is None else repr(value)
