"""One source feeding several targets: every target gets every change.

The flows share the source's side of each link (one link per real-world
thing, one side per system), so the first flow to send a change refreshes
that side; the others must still see the change (sync.py, `_behind`). The
same holds further down a chain: what one flow wrote into a system is sent
on from there to a system that has not had it (shop -> alpha -> beta), but
never back (the echo).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ledgerbridge import Connector, Flow, hookimpl
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.engine import RunSummary
from ledgerbridge.core.state.db import open_state
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.testing.memory import CopyMapper, MemorySource, MemorySystem, MemoryTarget
from tests.core.cli_support import on_both_databases

SYSTEMS: dict[str, MemorySystem] = {}
CHAIN: list[bool] = [False]


@pytest.fixture
def lb_workspace(
    tmp_path: Path, state_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    on_both_databases(state_url, monkeypatch)
    ws = Workspace(tmp_path / "lb-workspace", state_url)
    ws.ensure()
    return ws


def build_flows(ctx: RunContext) -> list[Flow]:
    shop = MemorySource(SYSTEMS["shop"], "item")
    alpha = MemoryTarget(SYSTEMS["alpha"])
    beta = MemoryTarget(SYSTEMS["beta"])
    to_alpha = Flow("to_alpha", "item", shop, CopyMapper(), alpha)
    if CHAIN[0]:  # beta is fed from alpha, after alpha is fed from the shop
        source = MemorySource(SYSTEMS["alpha"], "item")
        return [to_alpha, Flow("on_to_beta", "item", source, CopyMapper(), beta, ("to_alpha",))]
    return [to_alpha, Flow("to_beta", "item", shop, CopyMapper(), beta)]


@hookimpl
def register_connectors(register: Any) -> None:
    register(Connector("fanout", "Fan-out", {"type": "object"}, build_flows))


@pytest.fixture
def run(lb_plugin: Any, lb_tenant: Any, lb_run: Any) -> Callable[[], RunSummary]:
    SYSTEMS.clear()
    SYSTEMS.update({n: MemorySystem(n, prefix=n[0]) for n in ("shop", "alpha", "beta")})
    CHAIN[0] = False
    lb_plugin(sys.modules[__name__], "fanout")
    lb_tenant("acme", connector="fanout", config={})
    return lambda: lb_run("acme", "fanout")


def counts(summary: RunSummary) -> dict[str, tuple[int, int]]:
    return {f.name: (f.created, f.updated) for f in summary.flows}


def test_a_change_reaches_every_target_of_one_source_once(
    run: Callable[[], RunSummary], lb_workspace: Workspace
) -> None:
    key = SYSTEMS["shop"].add({"number": "1001", "name": "Kaffe"})
    SYSTEMS["shop"].add({"number": "1002", "name": "Bolle"})
    assert counts(run()) == {"to_alpha": (2, 0), "to_beta": (2, 0)}
    assert counts(run()) == {"to_alpha": (0, 0), "to_beta": (0, 0)}
    SYSTEMS["shop"].edit(key, name="Kaffe, stor")
    assert counts(run()) == {"to_alpha": (0, 1), "to_beta": (0, 1)}
    assert SYSTEMS["alpha"].rows["a1"]["name"] == "Kaffe, stor"
    assert SYSTEMS["beta"].rows["b1"]["name"] == "Kaffe, stor"
    assert counts(run()) == {"to_alpha": (0, 0), "to_beta": (0, 0)}
    assert (SYSTEMS["beta"].creates, SYSTEMS["beta"].updates) == (2, 1)
    # one link per item, a side in each system
    link = open_state(lb_workspace.state).links("acme", "fanout").find("shop", "item", key)
    assert link is not None and {s.system for s in link.sides} == {"shop", "alpha", "beta"}


def test_what_one_flow_wrote_is_sent_on_down_a_chain_but_not_back(
    run: Callable[[], RunSummary],
) -> None:
    CHAIN[0] = True
    key = SYSTEMS["shop"].add({"number": "1001", "name": "Kaffe"})
    assert counts(run()) == {"to_alpha": (1, 0), "on_to_beta": (1, 0)}
    assert counts(run()) == {"to_alpha": (0, 0), "on_to_beta": (0, 0)}
    SYSTEMS["shop"].edit(key, name="Kaffe, stor")
    # alpha's item holds exactly what was written to it: still beta has not had it
    assert counts(run()) == {"to_alpha": (0, 1), "on_to_beta": (0, 1)}
    assert SYSTEMS["beta"].rows["b1"]["name"] == "Kaffe, stor"
    assert counts(run()) == {"to_alpha": (0, 0), "on_to_beta": (0, 0)}
    assert SYSTEMS["shop"].writes == 0  # nothing went back
