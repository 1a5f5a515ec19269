"""What the CLI prints for a script, a cron mail or a pipe: a failed run's
summary readable on its own, `demo --json`, and `| head` ending quietly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledgerbridge import Connector, hookimpl
from ledgerbridge.core.cli.output import EXIT_CLOSED_PIPE
from ledgerbridge.core.cli.summary import SUMMARY_ERRORS
from ledgerbridge.core.components import DemoSetup
from ledgerbridge.core.plugins import get_registry
from ledgerbridge.core.state.db import StateDB
from tests.core import memplugin
from tests.core.cli_support import operator
from tests.core.memplugin import Scenario

ROOT = Path(__file__).resolve().parents[2]


def test_a_failed_runs_summary_shows_its_first_errors(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    for i in range(SUMMARY_ERRORS + 3):
        mem.put(f"k{i:02d}", f"n{i}", f"2026-01-01T00:00:{i:02d}Z")
        mem.reject.add(f"k{i:02d}")
    r = op("run", "acme")
    assert r.exit_code == 1
    lines = r.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("✘ acme/mem run 1"))
    assert lines[start + 1 : start + 4] == [
        "  item k00 (items): name 'n0' is not accepted",
        "    field: name (value 'n0')",
        "    fix: change the name",
    ]
    assert sum(line.startswith("  item k") for line in lines) == SUMMARY_ERRORS
    assert "  … and 3 more failed records" in lines
    assert lines[-1] == "  See what to fix: ledgerbridge errors 1"


def test_a_succeeded_run_prints_no_errors(mem: Scenario, tmp_path: Path) -> None:
    op = operator(tmp_path)
    mem.put("k0", "n", "2026-01-01T00:00:00Z")
    r = op("run", "acme")
    assert r.output.splitlines()[-1] == "✔ acme/mem run 1: 1 succeeded, 0 failed, 0 skipped"


class MemDemo:
    """The in-memory connector with a demo: one record fails, one is sent."""

    @hookimpl
    def register_connectors(self, register: Any) -> None:
        def demo(kit: Any) -> DemoSetup:
            memplugin.SCENARIO.put("a", "ok", "2026-01-01T00:00:00Z")
            memplugin.SCENARIO.put("b", "bad", "2026-01-02T00:00:00Z")
            memplugin.SCENARIO.reject.add("b")
            return DemoSetup(
                config={"prefix": "DM", "apiKey": {"secret": "key"}},
                secrets={"key": "demo-secret"},
                describe="an in-memory demo",
            )

        register(
            Connector(
                "memdemo",
                "In-memory demo",
                memplugin.SCHEMA,
                build_flows=memplugin.build_flows,
                demo=demo,
            )
        )


def test_demo_json_prints_the_runs_object_run_json_prints(mem: Scenario, tmp_path: Path) -> None:
    get_registry().add(MemDemo(), "memdemo")
    op = operator(tmp_path, tenants=())
    r = op("demo", "--connector", "memdemo", "--dir", str(tmp_path / "d"), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)  # nothing but the JSON
    assert list(out) == ["runs"]
    first, second = out["runs"]
    assert (first["tenant"], first["connector"], first["status"]) == (
        "demo-memdemo",
        "memdemo",
        "failed",
    )
    assert (first["succeeded"], first["failed"], second["skipped"]) == (1, 1, 0)
    assert first["errors"][0]["record"] == "item b"
    assert {"run_id", "flows", "errors", "errors_not_shown", "dry_run"} <= set(first)
    assert "demo-secret" not in r.output


def many_runs(ws: Path, n: int) -> None:
    ws.mkdir(parents=True, exist_ok=True)
    db = StateDB(ws / "state.db")
    with db.transaction() as c:
        c.executemany(
            "INSERT INTO runs (tenant, connector, status, started_at, ended_at, failed) "
            "VALUES ('acme', 'mem', 'failed', ?, ?, 1)",
            [(f"2026-01-01T00:00:{i % 60:02d}Z", "2026-01-01T00:01:00Z") for i in range(n)],
        )
        c.executemany(
            "INSERT INTO outcomes (run_id, flow, entity, key, status, error, at) "
            "VALUES (?, 'items', 'item', ?, 'failed', ?, '2026-01-01T00:00:00Z')",
            [(i + 1, f"k{i}", json.dumps({"message": "m" * 60, "fix": "f"})) for i in range(n)],
        )
    db.close()


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "--limit", "20000"],
        ["runs", "--limit", "20000", "--json"],
        ["errors", "--limit", "20000"],
    ],
)
def test_output_piped_into_head_ends_quietly(tmp_path: Path, args: list[str]) -> None:
    """`ledgerbridge runs | head -1`: no BrokenPipeError, the exit code a
    Unix tool killed by SIGPIPE leaves."""
    ws = tmp_path / "ws"
    many_runs(ws, 5000)  # far more than a pipe holds
    command = [sys.executable, "-c", "from ledgerbridge.core.cli import main; main()"]
    with subprocess.Popen(
        [*command, "--workspace", str(ws), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline()  # head -1 reads a line ...
        proc.stdout.close()  # ... and goes away
        stderr = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == EXIT_CLOSED_PIPE
    assert stderr == ""
