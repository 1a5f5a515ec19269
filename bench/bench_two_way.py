"""Benchmark: a no-op re-sync of N linked records, both ways, next to one way.

Three cases, each in its own process, in one run of this script:

- one-way:  N records from a generated source to a counting target; the
            first run writes them, the timed run re-reads all N (`--full`)
            and skips every one as unchanged.
- two-way:  N records in system alpha synced to beta and back through two
            flows (alpha is the master); the first run creates N in beta and
            sees N echoes; the timed run re-reads all N in both directions
            (`--full`: 2N records) and must write nothing.
- two-way, incremental: the same, without --full: what a scheduled run
            with no user change costs (the cursors skip everything).

    python bench/bench_two_way.py [--records 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_engine import Source, Target
from benchutil import peak_rss_kib

from ledgerbridge import Connector, Flow, hookimpl
from ledgerbridge.core.context import RunOptions
from ledgerbridge.core.engine import RunRequest, RunSummary, run_connector
from ledgerbridge.core.plugins import get_registry
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.testing.memory import CopyMapper, MemorySource, MemorySystem, MemoryTarget


def one_way(n: int) -> tuple[list[Flow], Any]:
    """bench_engine.py's generated source and counting target."""
    target = Target()
    return [Flow("items", "item", Source(n), CopyMapper(), target)], lambda: target.count


def two_way(n: int) -> tuple[list[Flow], Any]:
    alpha, beta = MemorySystem("alpha", prefix="a"), MemorySystem("beta", prefix="b")
    for i in range(n):
        alpha.add({"number": str(i), "name": f"Contact {i}", "city": "Oslo"})
    flows = [
        Flow(
            "a_to_b",
            "contact",
            MemorySource(alpha, "contact"),
            CopyMapper(),
            MemoryTarget(beta),
            master="alpha",
        ),
        Flow(
            "b_to_a",
            "contact",
            MemorySource(beta, "contact"),
            CopyMapper(),
            MemoryTarget(alpha),
            master="alpha",
        ),
    ]
    return flows, lambda: alpha.writes + beta.writes


def child(case: str, n: int) -> dict[str, Any]:
    flows, writes = (one_way if case == "one-way" else two_way)(n)

    class Plugin:
        @hookimpl
        def register_connectors(self, register: Any) -> None:
            register(Connector("bench", "bench", {"type": "object"}, lambda ctx: flows))

    get_registry().add(Plugin(), "bench")
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp))
        t = ws.add_tenant("bench")
        t.connectors["bench"] = {"enabled": True, "config": {}}
        ws.save_tenant(t)

        def run(full: bool) -> RunSummary:
            return run_connector(RunRequest(ws, "bench", "bench", RunOptions(full=full)))

        start = time.perf_counter()
        first = run(False)
        setup_seconds = time.perf_counter() - start
        written = writes()
        before = peak_rss_kib()
        start = time.perf_counter()
        again = run(case != "two-way-incremental")
        seconds = time.perf_counter() - start
        return {
            "case": case,
            "records": n,
            "first_run_seconds": setup_seconds,
            "first_run_writes": written,
            "first_run_failed": first.failed,
            "resync_records_read": sum(f.succeeded + f.skipped + f.failed for f in again.flows),
            "resync_writes": writes() - written,
            "resync_echoes": sum(f.echoes for f in again.flows),
            "resync_seconds": seconds,
            "rss_before_mib": before / 1024,
            "peak_rss_mib": peak_rss_kib() / 1024,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.records)))
        return
    results = []
    for case in ("one-way", "two-way", "two-way-incremental"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", case, "--records", str(args.records)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
