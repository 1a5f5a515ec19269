"""Contract tests for a two-way sync: any connector that syncs an entity both
ways runs them over its emulators.

Subclass `TwoWayContract` and give it a `two_way` fixture returning a
`TwoWayHarness` over a fresh tenant, with the entity's master system set::

    class TestCustomersBothWays(TwoWayContract):
        @pytest.fixture
        def two_way(self, lb_plugin, lb_tenant, lb_run, ...):
            return MyHarness(...)

The tests are what a two-way sync promises: records exist once per side
however many runs there are; our own writes never come back as writes;
master changes propagate, others are reported as conflicts and not sent;
records that already exist on both sides are paired at first sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ledgerbridge.core.engine import RunSummary

__all__ = ["TwoWayContract", "TwoWayHarness"]


class TwoWayHarness(Protocol):
    """One entity synced between two emulated systems."""

    master: str
    """The system name changes flow from."""
    other: str
    """The other system's name."""

    def add(self, system: str, data: Mapping[str, Any]) -> str:
        """A user creates a record in `system` (its UI, not ledgerbridge); its key."""

    def edit(self, system: str, key: str, changes: Mapping[str, Any]) -> None:
        """A user changes a record in `system`."""

    def rows(self, system: str) -> list[dict[str, Any]]:
        """Every record `system` holds, in the canonical form the flows use,
        each with its key there under "_key"."""

    def writes(self, system: str) -> int:
        """How many writes (creates and updates) `system` received from ledgerbridge."""

    def sample(self, n: int) -> dict[str, Any]:
        """Canonical data of a record distinct from sample(m) for m != n."""

    def change(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """An edit of a field both systems sync (e.g. a new city)."""

    def run(self) -> RunSummary:
        """One run of the connector for the tenant."""


def _once_each(rows: list[dict[str, Any]], wanted: list[dict[str, Any]], system: str) -> None:
    for data in wanted:
        hits = [r for r in rows if all(r.get(k) == v for k, v in data.items())]
        assert len(hits) == 1, f"{system} holds {len(hits)} copies of {data}: {rows}"


class TwoWayContract:
    """The promises of a two-way sync; see the module docstring."""

    def test_new_records_flow_both_ways_and_exist_once_per_side(
        self, two_way: TwoWayHarness
    ) -> None:
        h = two_way
        in_master = [h.sample(i) for i in range(3)]
        in_other = [h.sample(i) for i in range(3, 5)]
        for data in in_master:
            h.add(h.master, data)
        for data in in_other:
            h.add(h.other, data)
        for _ in range(5):
            summary = h.run()
            assert summary.failed == 0, summary.errors
        for system in (h.master, h.other):
            rows = h.rows(system)
            assert len(rows) == 5, f"{system} holds {len(rows)} records after five runs"
            _once_each(rows, in_master + in_other, system)

    def test_no_writes_after_a_sync_with_no_user_change(self, two_way: TwoWayHarness) -> None:
        h = two_way
        h.add(h.master, h.sample(0))
        h.add(h.other, h.sample(1))
        h.run()
        before = (h.writes(h.master), h.writes(h.other))
        for _ in range(4):
            summary = h.run()
            assert summary.failed == 0, summary.errors
        assert (h.writes(h.master), h.writes(h.other)) == before, "echo writes"

    def test_master_change_propagates(self, two_way: TwoWayHarness) -> None:
        h = two_way
        key = h.add(h.master, h.sample(0))
        h.run()
        change = h.change(h.sample(0))
        h.edit(h.master, key, change)
        summary = h.run()
        assert summary.failed == 0, summary.errors
        expected = {**h.sample(0), **change}
        _once_each(h.rows(h.other), [expected], h.other)
        writes = (h.writes(h.master), h.writes(h.other))
        h.run()
        assert (h.writes(h.master), h.writes(h.other)) == writes, "the change came back"

    def test_change_outside_the_master_is_a_conflict_and_not_sent(
        self, two_way: TwoWayHarness
    ) -> None:
        h = two_way
        h.add(h.master, h.sample(0))
        h.run()
        copy = _only(h, h.other, h.sample(0))
        change = h.change(h.sample(0))
        h.edit(h.other, copy, change)
        master_writes = h.writes(h.master)
        summary = h.run()
        assert h.writes(h.master) == master_writes, "a change outside the master was sent"
        _once_each(h.rows(h.master), [h.sample(0)], h.master)
        conflicts = [e for e in summary.errors if e.get("kind") == "conflict"]
        assert len(conflicts) == 1, summary.errors
        text = conflicts[0]["error"]
        for value in change.values():
            assert repr(value) in text, f"the conflict does not name {value!r}: {text}"
        assert "change it in" in text

    def test_records_on_both_sides_are_paired_at_first_sync(self, two_way: TwoWayHarness) -> None:
        h = two_way
        for system in (h.master, h.other):
            h.add(system, h.sample(0))
        summary = h.run()
        assert summary.failed == 0, summary.errors
        for system in (h.master, h.other):
            _once_each(h.rows(system), [h.sample(0)], system)
        assert (h.writes(h.master), h.writes(h.other)) == (0, 0)


def _only(h: TwoWayHarness, system: str, data: Mapping[str, Any]) -> str:
    keys = [r["_key"] for r in h.rows(system) if all(r.get(k) == v for k, v in data.items())]
    assert len(keys) == 1, keys
    return str(keys[0])
