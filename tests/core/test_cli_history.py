"""`ledgerbridge errors` (what is still open, across runs) and `ledgerbridge runs`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.cli_support import DAY, on_both_databases, operator
from tests.core.memplugin import Scenario


@pytest.fixture(autouse=True)
def _both(state_url: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here on SQLite, then on PostgreSQL."""
    on_both_databases(state_url, monkeypatch)


def seed(mem: Scenario, n: int) -> None:
    for i in range(n):
        mem.put(f"k{i}", f"n{i}", f"2026-01-0{i + 1}T00:00:00Z")


def open_keys(out: dict[str, object]) -> list[tuple[str, str]]:
    return [(e["tenant"], e["key"]) for e in out["errors"]]  # type: ignore[index, attr-defined]


def test_errors_shows_what_is_still_open_across_runs(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    seed(mem, 4)
    mem.reject.update({"k1", "k2"})
    first = op.run()
    mem.reject.discard("k2")  # fixed at the source: the next run sends it
    op.clock.advance(900)
    second = op.run()
    assert (first["failed"], second["failed"]) == (2, 1)
    out = op.json("errors")
    (k1,) = out["errors"]
    assert (k1["key"], k1["state"], k1["run_id"], k1["attempts"]) == ("k1", "open", 2, 2)
    assert k1["failing_since"] == "2026-01-01T00:00:00Z"
    assert k1["error"]["fix"] == "change the name" and k1["record"] == "item k1"
    text = op("errors").output
    assert "1 open failure (acme/mem 1)" in text and "item k1 (items)" in text
    assert "failed 2 times since 2026-01-01T00:00:00Z, last in run 2" in text
    assert "ledgerbridge replay 2 --failed" in text and "item k2" not in text
    every = {e["key"]: e for e in op.json("errors", "--all")["errors"]}
    assert every["k2"]["state"] == "fixed" and every["k2"]["resolved"]["run_id"] == 2
    assert "fixed in run 2 (created)" in op("errors", "--all").output


def test_a_replay_that_sends_it_closes_the_failure(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    seed(mem, 2)
    mem.reject.add("k1")
    run_id = op.run()["run_id"]
    mem.reject.clear()
    assert op("replay", str(run_id), "--failed").exit_code == 0
    assert op.json("errors")["errors"] == []
    assert op("errors").output.strip() == "No open failures."
    (k1,) = op.json("errors", "--all")["errors"]
    assert k1["state"] == "fixed" and k1["resolved"]["run_id"] == run_id + 1


def test_dismissed_failures_are_not_open_and_are_marked_under_all(
    mem: Scenario, tmp_path: Path
) -> None:
    op = operator(tmp_path)
    seed(mem, 3)
    mem.reject.update({"k0", "k1"})
    run_id = op.run()["run_id"]
    assert op("dismiss", str(run_id), "k1", "--reason", "test document").exit_code == 0
    assert [e["key"] for e in op.json("errors")["errors"]] == ["k0"]
    every = {e["key"]: e for e in op.json("errors", "--all")["errors"]}
    assert every["k1"]["state"] == "dismissed"
    assert every["k1"]["dismissal"]["reason"] == "test document"
    assert "dismissed by " in op("errors", "--all").output
    op.run()  # k1 is now skipped as dismissed: still dismissed, not fixed
    every = {e["key"]: e for e in op.json("errors", "--all")["errors"]}
    assert every["k1"]["state"] == "dismissed" and every["k0"]["state"] == "open"


def test_errors_filters_by_tenant_connector_and_since(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path, tenants=("acme", "beta"))
    seed(mem, 2)
    mem.reject.add("k0")
    op.run("acme")
    op.clock.advance(3 * DAY)
    mem.reject.add("k1")
    op.run("beta")
    assert sorted(open_keys(op.json("errors"))) == [("acme", "k0"), ("beta", "k0"), ("beta", "k1")]
    assert open_keys(op.json("errors", "--tenant", "acme")) == [("acme", "k0")]
    assert open_keys(op.json("errors", "--connector", "nope")) == []
    recent = [("beta", "k0"), ("beta", "k1")]
    assert sorted(open_keys(op.json("errors", "--since", "24h"))) == recent
    assert sorted(open_keys(op.json("errors", "--since", "2026-01-02"))) == recent
    assert len(op.json("errors", "--since", "2025-12-31T23:00")["errors"]) == 3
    r = op("errors", "--since", "yesterday")
    assert r.exit_code == 2 and "--since" in r.output and "24h" in r.output


def test_dry_run_failures_are_not_open_failures(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    seed(mem, 1)
    mem.reject.add("k0")
    op.run("acme", "--dry-run")
    assert op.json("errors")["errors"] == []


def test_errors_says_when_the_latest_run_did_not_complete(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    seed(mem, 1)
    mem.auth_fails = True
    assert op("run", "acme").exit_code == 3
    out = op.json("errors")
    (run,) = out["incomplete_runs"]
    assert run["status"] == "aborted" and "refused" in run["message"]
    assert "acme/mem run 1 aborted:" in op("errors").output
    mem.auth_fails = False
    op.run()
    assert op.json("errors")["incomplete_runs"] == []


def test_errors_of_a_run_say_what_became_of_each_record(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    seed(mem, 3)
    mem.reject.update({"k1", "k2"})
    run_id = op.run()["run_id"]
    mem.reject.discard("k1")
    op.run()
    out = op.json("errors", str(run_id))
    assert out["run"]["id"] == run_id
    now = {e["key"]: e["now"] for e in out["errors"]}
    assert now["k1"]["state"] == "fixed" and now["k2"]["state"] == "open"
    text = op("errors", str(run_id)).output
    assert f"Run {run_id} acme/mem (failed): 2 failed" in text
    assert "now: fixed in run 2 (created)" in text and "now: still failing, last in run 2" in text
    assert op("errors", "99").exit_code == 2


def test_runs_lists_history_with_filters_and_json(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path, tenants=("acme", "beta"))
    seed(mem, 2)
    mem.reject.add("k1")
    op.run("acme")
    op.clock.advance(2 * DAY)
    mem.reject.clear()
    op.run("acme")
    op.run("beta", "--dry-run")
    runs = op.json("runs")["runs"]
    assert [(r["id"], r["tenant"], r["status"], r["dry_run"]) for r in runs] == [
        (3, "beta", "succeeded", True),
        (2, "acme", "succeeded", False),
        (1, "acme", "failed", False),
    ]
    first = runs[-1]
    assert (first["succeeded"], first["failed"], first["started_at"]) == (
        1,
        1,
        "2026-01-01T00:00:00Z",
    )
    assert first["duration_seconds"] == 0 and first["connector"] == "mem"
    assert [r["id"] for r in op.json("runs", "--tenant", "acme")["runs"]] == [2, 1]
    assert [r["id"] for r in op.json("runs", "--status", "failed")["runs"]] == [1]
    assert [r["id"] for r in op.json("runs", "--since", "1d")["runs"]] == [3, 2]
    assert [r["id"] for r in op.json("runs", "--limit", "1")["runs"]] == [3]
    assert op.json("runs", "--connector", "other")["runs"] == []
    lines = op("runs").output.splitlines()
    assert lines[0].split() == [
        *("run", "tenant", "connector", "kind", "started", "duration"),
        *("succeeded", "failed", "skipped", "status"),
    ]
    assert "run (dry run)" in lines[1] and lines[3].split()[-4:] == ["1", "1", "0", "failed"]


def test_runs_and_errors_in_a_fresh_workspace(tmp_path: Path) -> None:
    op = operator(tmp_path, tenants=())
    assert op.json("runs") == {"runs": []}
    assert op("runs").output.strip() == "No runs."
    errors = op.json("errors")
    assert errors.pop("failed_jobs", []) == []  # workers' jobs: with a PostgreSQL state
    assert errors == {"errors": [], "incomplete_runs": []}
