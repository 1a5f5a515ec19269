"""`ledgerbridge demo --connector eaccounting`: a two-way sync with a change
on each side, a conflict, and a fix replayed to green, on the emulators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ledgerbridge.core.cli import make_cli


def test_the_demo_syncs_both_ways_reports_a_conflict_and_replays_the_fix_to_green(
    tmp_path: Path, lb_cli: Any
) -> None:
    folder = tmp_path / "d"
    result = lb_cli("demo", "--connector", "eaccounting", "--dir", str(folder))
    assert result.exit_code == 0, result.output
    out = result.output
    steps = ["1. Yesterday: the first sync", "2. Today: users change both systems",
             "3. Last night's run", "4. Why", "5. Fix", "6. Replay only what failed",
             "7. Confirm"]  # fmt: skip
    places = [out.index(s) for s in steps]
    assert places == sorted(places)
    first, night, replay, _confirm, again = out.split("$ ledgerbridge ")[1:6]
    assert "run 1: 9 succeeded, 0 failed" in first
    assert "pm_projects: 2 created" in first
    # a change on each side: PM's customer move and eAccounting's article price
    assert "pm_customers: 0 created, 1 updated" in night
    assert "eaccounting_articles: 0 created, 1 updated" in night
    # the conflict, and the seed's CodingId error of a product without VAT
    assert "but Visma PM is the master for customers: the change is not sent" in night
    assert "(city: Visma PM has 'Uppsala', Visma eAccounting has 'Enköping')" in night
    assert "Path 'CodingId'" in night and "run 2: failed: 2 succeeded, 2 failed" in night
    assert "pm_articles: 1 created" in replay and "run 3: 1 succeeded, 0 failed" in replay
    assert "No open failures." in out
    assert "pm_customers: 0 created, 1 updated" in again  # the city, now from PM
    status = CliRunner().invoke(
        make_cli(), ["--workspace", str(folder), "status", "--json"], catch_exceptions=False
    )
    (item,) = json.loads(status.output)["status"]
    assert (item["tenant"], item["last_run"]["status"]) == ("demo-eaccounting", "succeeded")
    assert item["pending_writes"] == 0
