"""Benchmark: a rate-limited visma_net export over several full windows.

The Visma.net emulator allows `--limit` calls per window (per company and
client, X-RateLimit-* headers, 429 beyond); the export needs several windows
of it, with `--workers` invoices in flight. Reported: the calls Visma.net
counted in each window, 429 answers, failed records, documents created
without their PDF. The floor is the vendor's limit: every full window should
count `--limit` calls, and no 429.

Two setups:

- in-process (default): the emulator on a fake clock shared with the run,
  hourly windows passing in seconds, exact;
- `--loopback`: the emulator served in another process on a real clock, with
  `--latency-ms` on every request and `--window` seconds per window, so
  requests truly overlap in flight. `--emulator-tree DIR` serves it from
  another checkout, and `--inline` puts the credentials in the connector's
  config as released configs do, so the same emulator can be measured with
  an older client: `cd OLD && PYTHONPATH=$PWD python NEW/bench/bench_ratelimit.py
  --loopback --inline --emulator-tree NEW`.

    python bench/bench_ratelimit.py [--limit 500] [--invoices 900] [--workers 16]
    python bench/bench_ratelimit.py --loopback [--limit 200 --window 5 --latency-ms 20]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from ledgerbridge.core.clock import Clock, FakeClock, SystemClock
from ledgerbridge.core.context import RunOptions
from ledgerbridge.core.engine import RunRequest, run_connector
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.visma_net.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT_ID
from ledgerbridge.plugins.visma_net.samplegen import PeriodSpec, write_period

DOCUMENTS = {"/v2/customerinvoice", "/v2/customercreditnote"}


def tenant_workspace(root: Path, base: str, invoices: int, inline: bool) -> Workspace:
    write_period(root / "export" / "p.xml", PeriodSpec(invoices=invoices, rows=5, pdf=True))
    ws = Workspace(root / "ws")
    ws.ensure()
    tenant = ws.add_tenant("bench")
    login = {
        "tenantId": {"secret": "tid"},
        "clientId": DEMO_CLIENT_ID,
        "clientSecret": {"secret": "cs"},
        "apiBaseUrl": base,
        "tokenUrl": f"{base}/connect/token",
    }
    if not inline:
        tenant.connections = {"visma": {"system": "visma_net", "config": login}}
    tenant.connectors["visma_net"] = {
        "enabled": True,
        "config": {
            **(login if inline else {"connection": "visma"}),
            "officeCode": "12345-1",
            "exportFolder": str(root / "export"),
            "includePdfCopy": True,
            "startText": "overrideNumberSeries=true",
            "vatCodes": {"25%": "01", "12%": "02", "0%": "05", "EU": "08"},
        },
    }
    ws.save_tenant(tenant)
    ws.secrets.set("bench", "tid", DEMO_TENANT_ID)
    ws.secrets.set("bench", "cs", DEMO_CLIENT_SECRET)
    return ws


def report(
    entries: Iterable[dict[str, Any]], window: float, limit: int, summary: Any
) -> dict[str, Any]:
    calls = [e for e in entries if e["path"] != "/connect/token"]
    counted = Counter(int(e["timestamp"] // window) for e in calls if e["status"] not in (401, 429))
    per_window = [counted[w] for w in sorted(counted)]
    created = sum(1 for e in calls if e["path"].lower() in DOCUMENTS and e["status"] == 201)
    attached = {
        e["path"]
        for e in calls
        if e["path"].endswith("/attachment") and e["status"] in (200, 201, 204)
    }
    return {
        "limit_per_window": limit,
        "window_seconds": window,
        "calls_per_window": per_window,
        "full_windows_used_pct": [round(100 * n / limit, 1) for n in per_window[1:-1]],
        "429s": sum(1 for e in calls if e["status"] == 429),
        "failed_records": summary.failed,
        "succeeded_records": summary.succeeded,
        "documents_created": created,
        "documents_without_pdf": created - len(attached),  # every generated one has a PDF
    }


def run(ws: Workspace, workers: int, clock: Clock, transport: Any = None) -> tuple[Any, float]:
    started = time.perf_counter()
    summary = run_connector(
        RunRequest(ws, "bench", "visma_net", RunOptions(workers=workers), transport, clock)
    )
    return summary, time.perf_counter() - started


def in_process(args: argparse.Namespace) -> dict[str, Any]:
    from ledgerbridge.core.sandbox import Sandbox
    from ledgerbridge.plugins.visma_net.emulator import EMULATOR

    clock = FakeClock()
    settings = {"rate_limit": args.limit, "rate_window": args.window}
    sandbox = Sandbox([EMULATOR], clock=clock, journal_size=10**6, settings={"visma_net": settings})
    with tempfile.TemporaryDirectory() as tmp:
        ws = tenant_workspace(Path(tmp), sandbox.base_url("visma_net"), args.invoices, args.inline)
        summary, elapsed = run(ws, args.workers, clock, sandbox.transport())
    entries = [e.to_dict() for e in sandbox.journal.entries()]
    # the first window is full too here: the run starts on the window's edge
    out = report(entries, args.window, args.limit, summary)
    out["full_windows_used_pct"] = [
        round(100 * n / args.limit, 1) for n in out["calls_per_window"][:-1]
    ]
    return {**out, "workers": args.workers, "wall_seconds": round(elapsed, 2)}


def serve(port: int, limit: int, window: float, latency_ms: int) -> None:
    from ledgerbridge.core.sandbox import Sandbox
    from ledgerbridge.plugins.visma_net.emulator import EMULATOR

    sandbox = Sandbox(
        [EMULATOR],
        faults=[f"*: latency={latency_ms}ms"] if latency_ms else [],
        journal_size=10**6,
        settings={"visma_net": {"rate_limit": limit, "rate_window": window}},
    )
    sandbox.serve(port=port)
    print("ready", flush=True)
    while True:
        time.sleep(3600)


def loopback(args: argparse.Namespace) -> dict[str, Any]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tree = args.emulator_tree or str(Path(__file__).resolve().parents[1])
    proc = subprocess.Popen(
        [
            *(sys.executable, __file__, "--serve", str(port), "--limit", str(args.limit)),
            *("--window", str(args.window), "--latency-ms", str(args.latency_ms)),
        ],
        env={**os.environ, "PYTHONPATH": tree},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        base = f"http://127.0.0.1:{port}/visma_net"
        with tempfile.TemporaryDirectory() as tmp:
            ws = tenant_workspace(Path(tmp), base, args.invoices, args.inline)
            summary, elapsed = run(ws, args.workers, SystemClock())
        journal = httpx.get(f"http://127.0.0.1:{port}/_sandbox/journal", timeout=60).json()
    finally:
        proc.kill()
    out = report(journal["entries"], args.window, args.limit, summary)
    return {
        **out,
        "workers": args.workers,
        "latency_ms": args.latency_ms,
        "wall_seconds": round(elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--window", type=float, default=None)
    parser.add_argument("--invoices", type=int, default=None)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--inline", action="store_true", help="credentials in the connector config")
    parser.add_argument("--loopback", action="store_true")
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--emulator-tree", default=None)
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.limit, args.window, args.latency_ms)
        return
    if args.loopback:
        args.limit, args.window = args.limit or 200, args.window or 5.0
        args.invoices = args.invoices or 400
        print(json.dumps(loopback(args), indent=2))
    else:
        args.limit, args.window = args.limit or 500, args.window or 3600.0
        args.invoices = args.invoices or 900
        print(json.dumps(in_process(args), indent=2))


if __name__ == "__main__":
    main()
