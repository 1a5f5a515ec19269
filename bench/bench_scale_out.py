"""Benchmark: runs per hour with 1, 2 and 4 workers, and the share of each
tenant's rate budget used, measured in one run.

The world of tests/scale/test_simulation.py (without its pause and kill):
8 tenants x 2 connectors (visma_net and nmbrs_journals sharing each
tenant's Visma.net company and its budget), every pair scheduled every 10 s,
an export file of 4 invoices dropped into every tenant's folder every 4 s,
the sandbox served on loopback with latency on every request, state and
queue in PostgreSQL. Each worker count gets a fresh database, sandbox and
workspace, and runs for the same time; workers take one job at a time.

The ceiling is the schedule: 16 pairs, each at most once per 10 s, 5,760
runs an hour. The budget's share is the requests a company made over the
limit of the windows it used; a run that waits for its window shows as a
share near 1.

    python bench/bench_scale_out.py [--seconds 90] [--workers 1,2,4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import pg_support  # noqa: E402
from tests.scale import sim  # noqa: E402

PAIRS_CEILING = 16 * 360  # 16 pairs, each once per 10 s


def measure(dsn: str, workers: int, seconds: float, cfg: sim.SimConfig) -> dict[str, Any]:
    from ledgerbridge.core.postgres.worker import prepare

    with tempfile.TemporaryDirectory() as tmp, pg_support.fresh_schema(dsn) as schema:
        root = Path(tmp)
        prepare(schema)
        server = sim.start_server(cfg, root)
        pool = None
        try:
            ws = sim.make_workspace(root, schema, server, cfg)
            feeder = sim.Feeder(root, cfg.tenants)
            feeder.drop()
            sim.schedule_all(ws, cfg)
            pool = sim.Workers(ws, root / "events", cfg)
            pool.start(workers)
            start = time.time()
            while time.time() - start < seconds:
                time.sleep(4)
                feeder.drop()
            end = time.time()
            pool.stop()
            runs = [
                r
                for r in sim.intervals(pool.events, pool.killed)
                if r.end is not None and start <= r.end <= end
            ]
            spent = sim.budget(server.audit, cfg)
            invoices, journals = sim.creates(server)
            invoices_at = sim.create_times(server)
        finally:
            if pool is not None:
                pool.stop()
            server.stop()
    durations = [r.end - r.start for r in runs if r.end is not None]
    shares = sorted(spent.share.values())
    return {
        "workers": workers,
        "runs": len(runs),
        "runs_per_hour": round(len(runs) * 3600 / seconds),
        "of_ceiling": round(len(runs) * 3600 / seconds / PAIRS_CEILING, 3),
        "median_run_s": round(statistics.median(durations), 2) if durations else None,
        "workers_busy": round(sum(durations) / (seconds * workers), 2),
        "invoices_per_hour": round(created_in(invoices_at, start, end) * 3600 / seconds),
        "invoices_created": sum(invoices.values()),
        "invoices_dropped": len(feeder.numbers),
        "journals_created": sum(journals.values()),
        "duplicates": sum(c - 1 for c in invoices.values() if c > 1)
        + sum(c - 1 for c in journals.values() if c > 1),
        "budget_share_min": round(shares[0], 2) if shares else None,
        "budget_share_median": round(statistics.median(shares), 2) if shares else None,
        "budget_share_max": round(shares[-1], 2) if shares else None,
        "full_windows": sum(spent.full_windows.values()),
        "http_429": spent.refused,
        "windows_over_limit": len(spent.over),
    }


def created_in(times: list[float], start: float, end: float) -> int:
    return sum(1 for t in times if start <= t <= end)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--latency", type=int, default=20, help="ms on every request")
    args = parser.parse_args()
    cfg = sim.SimConfig(rate_limit=20, rate_window=5.0, latency_ms=args.latency, concurrency=1)
    with ExitStack() as stack:
        dsn = os.environ.get(pg_support.TEST_DSN_ENV)
        if not dsn:
            bindir = pg_support.server_bin()
            if bindir is None:
                sys.exit(pg_support.SKIP_REASON)
            dsn = stack.enter_context(pg_support.throwaway_cluster(bindir))
        for n in (int(x) for x in args.workers.split(",")):
            print(json.dumps(measure(dsn, n, args.seconds, cfg)), flush=True)


if __name__ == "__main__":
    main()
