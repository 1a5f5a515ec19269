"""A two-way `ledgerbridge run` killed with SIGKILL again and again, then run to
the end: each record exists exactly once in each system.

Both systems are kept in files (they outlive the process, as a vendor's server
does); the kills land between a write and its commit, inside transactions,
anywhere. Matching by number + name and the outbox's lookup must between
them see every write a killed run made.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ledgerbridge.core.state.db import StateDB
from ledgerbridge.core.workspace import Workspace
from tests.core import twowayplugin

ROOT = Path(__file__).resolve().parents[2]
PER_SIDE = 12
CHILD = (
    "from ledgerbridge.core.plugins import get_registry\n"
    "from tests.core import twowayplugin\n"
    "get_registry().add(twowayplugin, 'memsync')\n"
    "from ledgerbridge.core.cli import main\n"
    "main()\n"
)
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


def start(ws: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, "--workspace", str(ws), "run", "acme", "memsync"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def writes(store: Path) -> int:
    total = 0
    for name in ("alpha", "beta"):
        try:
            saved = json.loads((store / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        total += saved["creates"] + saved["updates"]
    return total


def kill_after_writes(proc: subprocess.Popen[bytes], store: Path, more: int) -> None:
    """SIGKILL once the run made `more` further writes (bounded wait)."""
    target = writes(store) + more
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None and writes(store) < target:
        time.sleep(0.002)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


def test_two_way_runs_killed_at_any_point_leave_no_duplicate(tmp_path: Path) -> None:
    store = tmp_path / "systems"
    store.mkdir()
    systems = twowayplugin.stored(store)
    for n in range(PER_SIDE):
        systems["alpha"].add({"number": str(n), "name": f"Contact {n}", "city": "Oslo"})
        systems["beta"].add({"number": str(100 + n), "name": f"Contact {100 + n}"})
    ws = Workspace(tmp_path / "ws")
    tenant = ws.add_tenant("acme")
    config = {"master": "alpha", "store": str(store), "delayMs": 20}
    tenant.connectors["memsync"] = {"enabled": True, "config": config}
    ws.save_tenant(tenant)

    for more in (1, 3, 2, 5, 1, 4, 2):
        kill_after_writes(start(ws.path), store, more)
    for _ in range(3):
        proc = start(ws.path)
        _, err = proc.communicate(timeout=120)
        if proc.returncode == 0:
            break
    assert proc.returncode == 0, err.decode()

    final = twowayplugin.stored(store)
    expected = sorted([str(n) for n in range(PER_SIDE)] + [str(100 + n) for n in range(PER_SIDE)])
    for system in final.values():
        numbers = sorted(r["number"] for r in system.rows.values())
        assert numbers == expected, f"{system.name}: {numbers}"
    state = StateDB(ws.db_path)
    assert state.outbox_count("acme", "memsync") == 0
    assert state.links("acme", "memsync").count() == 2 * PER_SIDE
