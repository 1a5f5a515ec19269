"""`run --dry-run` says per record what would happen, for any target: a
plain verb from `plan`, a `Plan` with field changes, a skip with its reason;
unchanged records are counted, not listed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ledgerbridge import FieldChange, Plan
from ledgerbridge.core.cli.summary import SUMMARY_PLANS
from ledgerbridge.core.plan import changes
from tests.core import memplugin
from tests.core.cli_support import operator
from tests.core.memplugin import Scenario


def test_a_dry_run_lists_each_record_with_its_verb(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    mem.put("k1", "one", "2026-01-01T00:00:01Z")
    mem.put("k2", "two", "2026-01-01T00:00:02Z")
    mem.reject.add("k2")
    assert op("run", "acme").exit_code == 1  # k1 sent, k2 failed
    op("dismiss", "1", "k2", "--reason", "test data")
    mem.put("k1", "one again", "2026-01-02T00:00:00Z")
    mem.put("k3", "three", "2026-01-02T00:00:01Z")
    r = op("run", "acme", "--dry-run", "--full")
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[:4] == [
        "  items:",
        "    skip item k2: dismissed",
        "    update item k1",
        "    create item k3",
    ]
    out = op.json("run", "acme", "--dry-run", "--full")
    (run,) = out["runs"]
    assert [(p["record"], p["verb"]) for p in run["plans"]] == [
        ("item k2", "skip"),
        ("item k1", "update"),
        ("item k3", "create"),
    ]
    assert mem.writes == ["k1"]  # only the real run wrote


def test_unchanged_records_are_counted_not_listed(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    mem.put("k1", "one", "2026-01-01T00:00:01Z")
    op("run", "acme")
    r = op("run", "acme", "--dry-run", "--full")
    assert "item k1" not in r.output
    assert "  items: would send nothing; 0 failed, 1 unchanged" in r.output


def test_a_long_dry_run_is_bounded_in_text(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    n = SUMMARY_PLANS + 7
    for i in range(n):
        mem.put(
            f"k{i:03d}", f"n{i}", f"2026-01-01T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z"
        )
    r = op("run", "acme", "--dry-run")
    listed = [line for line in r.output.splitlines() if line.startswith("    create item")]
    assert len(listed) == SUMMARY_PLANS
    assert "    … and 7 more (all of them, up to 1000: --json)" in r.output
    (run,) = json.loads(op("run", "acme", "--dry-run", "--json").output)["runs"]
    assert len(run["plans"]) == n


class Planning(memplugin.MemTarget):
    """A target answering with a Plan: the fields that would change."""

    def plan(self, payload: dict[str, Any], record: Any, binding: Any) -> Plan:
        if binding is None:
            return Plan("create")
        held = self.sc.remote[binding.remote_id]
        return Plan("update", changes(held, payload), binding.remote_id, note="as asked")


def test_a_plan_with_changes_is_printed_field_by_field(
    mem: Scenario, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(memplugin, "MemTarget", Planning)
    op = operator(tmp_path)
    mem.put("k1", "one", "2026-01-01T00:00:01Z")
    op("run", "acme")
    mem.put("k1", "uno", "2026-01-02T00:00:00Z")
    r = op("run", "acme", "--dry-run")
    assert r.output.splitlines()[:3] == [
        "  items:",
        "    update item k1 (now R1): as asked",
        "      title 'AC-one' -> 'AC-uno'",
    ]


def test_changes_compare_nested_fields_and_treat_empty_as_none() -> None:
    old = {"name": "A", "address": {"city": "Oslo", "zip": ""}, "email": None}
    new = {"name": "A", "address": {"city": "Bergen", "zip": None}, "email": ""}
    assert changes(old, new) == (FieldChange("address.city", "Oslo", "Bergen"),)
    assert str(FieldChange("phone", None, "+47 1")) == "phone (none) -> '+47 1'"
