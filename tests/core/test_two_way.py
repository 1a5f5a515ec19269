"""Two-way sync in the core: the A<->B reproduction through the test kit's
two-way contract, and the rules around it (match, modes, replaces, crashes)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from ledgerbridge.core.engine import RunSummary
from ledgerbridge.core.state.db import open_state
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.testing.memory import Crash, MemorySystem
from ledgerbridge.testing.pytest_plugin import ConnectorRunner, PluginRegistrar, TenantFactory
from ledgerbridge.testing.twoway import TwoWayContract
from tests.core import twowayplugin
from tests.core.cli_support import on_both_databases

CITIES = ["Oslo", "Bergen", "Umeå", "Turku", "Aarhus", "Luleå"]


class MemHarness:
    def __init__(self, run: Callable[..., RunSummary], master: str) -> None:
        self.systems = twowayplugin.SYSTEMS
        self._run = run
        self.master = master
        self.other = "beta" if master == "alpha" else "alpha"

    def add(self, system: str, data: Mapping[str, Any]) -> str:
        return self.systems[system].add(data)

    def edit(self, system: str, key: str, changes: Mapping[str, Any]) -> None:
        self.systems[system].edit(key, **changes)

    def rows(self, system: str) -> list[dict[str, Any]]:
        return [{**row, "_key": k} for k, row in self.systems[system].rows.items()]

    def writes(self, system: str) -> int:
        return self.systems[system].writes

    def sample(self, n: int) -> dict[str, Any]:
        return {"number": str(1000 + n), "name": f"Contact {n}", "city": CITIES[n % 4]}

    def change(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"city": "Kiruna" if data.get("city") != "Kiruna" else "Visby"}

    def run(self, **options: Any) -> RunSummary:
        return self._run(**options)


@pytest.fixture
def systems() -> dict[str, MemorySystem]:
    return twowayplugin.reset()


@pytest.fixture
def setup(
    systems: dict[str, MemorySystem],
    lb_plugin: PluginRegistrar,
    lb_tenant: TenantFactory,
    lb_run: ConnectorRunner,
) -> Callable[..., MemHarness]:
    lb_plugin(twowayplugin, "memsync")

    def make(master: str = "alpha", **config: Any) -> MemHarness:
        lb_tenant("acme", connector="memsync", config={"master": master, **config})
        return MemHarness(lambda **o: lb_run("acme", "memsync", **o), master)

    return make


@pytest.mark.parametrize("master", ["alpha", "beta"])
class TestMemoryTwoWay(TwoWayContract):
    @pytest.fixture
    def two_way(self, setup: Callable[..., MemHarness], master: str) -> MemHarness:
        return setup(master)


@pytest.fixture
def lb_workspace(
    tmp_path: Path, state_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    """The test kit's workspace with its state on SQLite, then on PostgreSQL
    (for `lb_cli` too)."""
    on_both_databases(state_url, monkeypatch)
    ws = Workspace(tmp_path / "lb-workspace", state_url)
    ws.ensure()
    return ws


def test_the_reproduction_each_record_once_per_side_after_five_runs(
    setup: Callable[..., MemHarness], systems: dict[str, MemorySystem]
) -> None:
    h = setup("alpha", match=False)
    for n in range(3):
        h.add("alpha", h.sample(n))
    for n in range(3, 5):
        h.add("beta", h.sample(n))
    for _ in range(5):
        h.run()
    assert len(systems["alpha"].rows) == len(systems["beta"].rows) == 5
    assert systems["alpha"].writes == 2 and systems["beta"].writes == 3


def test_the_conflict_names_both_values_and_the_master(
    setup: Callable[..., MemHarness], systems: dict[str, MemorySystem], lb_workspace: Any
) -> None:
    h = setup("alpha")
    h.add("alpha", h.sample(0))
    h.run()
    (copy,) = systems["beta"].rows
    systems["beta"].edit(copy, city="Kiruna")
    summary = h.run()
    (err,) = summary.errors
    assert err["kind"] == "conflict" and err["field"] == "city" and err["value"] == "Kiruna"
    assert "changed in Beta, but Alpha is the master for contacts" in err["message"]
    assert "city: Alpha has 'Oslo', Beta has 'Kiruna'" in err["message"]
    assert err["fix"].startswith("change it in Alpha")
    assert systems["alpha"].rows["a1"]["city"] == "Oslo"
    # the conflict does not hold the cursor back; the master's next change settles it
    systems["alpha"].edit("a1", city="Kiruna")
    summary = h.run()
    assert summary.failed == 0 and systems["beta"].rows[copy]["city"] == "Kiruna"
    state = open_state(lb_workspace.state)
    last = list(state.outcomes(summary.run_id))
    assert {(o.flow, o.action) for o in last} == {
        ("alpha_to_beta", "updated"),
        ("beta_to_alpha", "echo"),
    }


def test_an_ambiguous_match_fails_with_the_links_set_fix(
    setup: Callable[..., MemHarness], systems: dict[str, MemorySystem]
) -> None:
    h = setup("alpha")
    h.add("alpha", h.sample(0))
    h.add("beta", h.sample(0))
    h.add("beta", {**h.sample(0), "city": "Visby"})
    summary = h.run()
    errors = [e for e in summary.errors if e["flow"] == "alpha_to_beta"]
    assert len(errors) == 1
    assert "matches 2 Beta records by number + name (b1, b2)" in errors[0]["message"]
    assert "ledgerbridge links set TENANT CONNECTOR contact alpha=a1 beta=KEY" in errors[0]["fix"]
    assert systems["beta"].creates == 0


def test_matching_reads_the_other_side_once_per_run(
    setup: Callable[..., MemHarness], systems: dict[str, MemorySystem], monkeypatch: Any
) -> None:
    from ledgerbridge.testing.memory import MemoryTarget

    calls: list[str] = []
    original = MemoryTarget.candidates

    def counted(self: MemoryTarget) -> Any:
        calls.append(self.system)
        return original(self)

    monkeypatch.setattr(MemoryTarget, "candidates", counted)
    h = setup("alpha")
    for n in range(6):
        h.add("alpha", h.sample(n))
    h.run()
    assert calls == ["beta"]  # beta's list once for six records; alpha's never needed


@pytest.mark.parametrize("crash_at", range(1, 7))
def test_a_crash_at_any_write_of_a_two_way_run_leaves_no_duplicate(
    setup: Callable[..., MemHarness],
    systems: dict[str, MemorySystem],
    crash_at: int,
    lb_workspace: Any,
) -> None:
    h = setup("beta")
    for n in range(3):
        h.add("alpha", h.sample(n))
    for n in range(3, 6):
        h.add("beta", h.sample(n))
    target = systems["beta"] if crash_at <= 3 else systems["alpha"]
    target.crash_after_writes = crash_at if crash_at <= 3 else crash_at - 3
    with pytest.raises(Crash):
        h.run()
    for _ in range(3):
        summary = h.run()
        assert summary.failed == 0, summary.errors
    for system in systems.values():
        numbers = sorted(r["number"] for r in system.rows.values())
        assert numbers == [str(1000 + n) for n in range(6)], system.name
    # an intent whose record the other flow paired meanwhile is not left pending
    assert open_state(lb_workspace.state).outbox_count("acme", "memsync") == 0


def test_update_only_never_creates(
    setup: Callable[..., MemHarness], systems: dict[str, MemorySystem]
) -> None:
    h = setup("alpha", mode="update-only", match=False)
    h.add("alpha", h.sample(0))
    summary = h.run()
    assert systems["beta"].writes == 0 and summary.failed == 0
    assert summary.flows[0].skipped == 1


def test_create_only_never_updates(
    setup: Callable[..., MemHarness], systems: dict[str, MemorySystem]
) -> None:
    h = setup("alpha", mode="create-only")
    key = h.add("alpha", h.sample(0))
    h.run()
    systems["alpha"].edit(key, city="Kiruna")
    summary = h.run()
    assert systems["beta"].updates == 0 and summary.failed == 0


def test_write_once_refuses_a_change_with_one_uniform_error(
    setup: Callable[..., MemHarness], systems: dict[str, MemorySystem]
) -> None:
    h = setup("alpha", mode="write-once")
    key = h.add("alpha", h.sample(0))
    h.run()
    systems["alpha"].edit(key, city="Kiruna")
    summary = h.run()
    (err,) = summary.errors
    assert err["message"] == (
        "Contact a1 changed in Alpha after it was sent to Beta as b1; a contact is sent once"
    )
    assert systems["beta"].updates == 0


def test_links_set_resolves_an_ambiguous_match_and_links_show_the_sides(
    setup: Callable[..., MemHarness], systems: dict[str, MemorySystem], lb_cli: Any
) -> None:
    h = setup("beta")
    h.add("alpha", h.sample(0))
    h.add("beta", {**h.sample(0), "city": "Visby"})
    h.add("beta", h.sample(0))
    assert h.run().failed == 1  # alpha's a1 matches b1 and b2
    done = lb_cli("links", "set", "acme", "memsync", "contact", "alpha=a1", "beta=b1")
    assert done.exit_code == 0, done.output
    assert "run with --full" in done.output
    summary = h.run(full=True)
    assert summary.failed == 0, summary.errors
    # beta is the master: b1's content came over to a1, and b2 was created in alpha
    assert systems["alpha"].rows["a1"]["city"] == "Visby"
    assert sorted(systems["alpha"].rows) == ["a1", "a2"] and systems["beta"].creates == 0
    shown = lb_cli("links", "show", "acme", "memsync", "contact", "alpha=a1", "--json")
    sides = {s["system"]: s for s in json.loads(shown.output)["sides"]}
    assert (sides["alpha"]["key"], sides["beta"]["key"]) == ("a1", "b1")
    assert sides["alpha"]["origin"] == "written"
    listed = lb_cli("links", "list", "acme", "memsync")
    assert listed.exit_code == 0 and "alpha=a1  beta=b1" in listed.output
    assert "alpha=a2  beta=b2" in listed.output


def test_links_unset_makes_the_record_new_again(
    setup: Callable[..., MemHarness], systems: dict[str, MemorySystem], lb_cli: Any
) -> None:
    h = setup("alpha", match=False)
    h.add("alpha", h.sample(0))
    h.run()
    gone = lb_cli("links", "unset", "acme", "memsync", "contact", "beta=b1", "--json")
    assert gone.exit_code == 0, gone.output
    assert json.loads(gone.output)["sides_removed"] == 2  # a link of one side goes
    missing = lb_cli("links", "show", "acme", "memsync", "contact", "alpha=a1")
    assert missing.exit_code == 1 and "is not linked" in missing.output
    h.run(full=True)
    assert sorted(systems["beta"].rows) == ["b1", "b2"]  # no match keys: created again


def test_links_commands_refuse_what_they_cannot_mean(setup: Any, lb_cli: Any) -> None:
    setup("alpha")
    bad = lb_cli("links", "set", "acme", "memsync", "contact", "alpha=a1", "alpha=a2")
    assert bad.exit_code == 2 and "one side per system" in bad.output
    bad = lb_cli("links", "show", "acme", "memsync", "contact", "a1")
    assert bad.exit_code == 2 and "is not SYSTEM=KEY" in bad.output
    bad = lb_cli("links", "list", "nobody", "memsync")
    assert bad.exit_code == 2 and "No tenant 'nobody'" in bad.output
