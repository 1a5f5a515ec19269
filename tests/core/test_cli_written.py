"""A run's summary names what it created or updated, with the number the
target gave each: the first few in text (then how many more), up to 100 in
`--json`, so a cron mail says which documents went where."""

from __future__ import annotations

from pathlib import Path

from ledgerbridge.core.cli.summary import SUMMARY_WRITTEN
from ledgerbridge.core.engine.summary import MAX_WRITTEN_KEPT
from tests.core.cli_support import operator
from tests.core.memplugin import Scenario


def test_the_summary_names_what_was_created_with_its_remote_number(
    mem: Scenario, tmp_path: Path
) -> None:
    op = operator(tmp_path)
    mem.put("k1", "one", "2026-01-01T00:00:01Z")
    mem.put("k2", "two", "2026-01-01T00:00:02Z")
    r = op("run", "acme")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[1:3] == ["  created item k1 as R1", "  created item k2 as R2"]
    mem.put("k1", "one again", "2026-01-02T00:00:00Z")
    r = op("run", "acme")
    assert "  updated item k1 as R1" in r.output.splitlines()
    assert "k2" not in r.output  # skipped as unchanged: not named


def test_a_long_list_is_bounded_with_how_many_more(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    n = MAX_WRITTEN_KEPT + 5
    for i in range(n):
        mem.put(f"k{i:03d}", f"n{i}", f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z")
    r = op("run", "acme")
    named = [line for line in r.output.splitlines() if line.startswith("  created item")]
    assert len(named) == SUMMARY_WRITTEN
    assert f"  … and {n - SUMMARY_WRITTEN} more created or updated" in r.output
    summary = op.run()  # nothing new: nothing named
    assert summary["written"] == [] and summary["written_not_shown"] == 0
    mem.rows.clear()
    for i in range(n):
        mem.put(f"j{i:03d}", f"n{i}", f"2026-02-01T00:{i // 60:02d}:{i % 60:02d}Z")
    summary = op.run()
    assert len(summary["written"]) == MAX_WRITTEN_KEPT
    assert summary["written_not_shown"] == 5
    assert summary["written"][0] == {
        "flow": "items",
        "record": "item j000",
        "action": "created",
        "remote_id": f"R{n + 1}",
    }
