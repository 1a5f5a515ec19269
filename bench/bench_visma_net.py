"""Benchmark: the visma_net connector exporting invoices to the loopback
Visma.net emulator, measured in one run.

1. throughput: N invoices (5 rows, PDF copies on) with 20 ms latency on every
   request, through `ledgerbridge run`'s engine, against a straightforward
   sequential httpx script sending the same payloads (invoice POST + PDF
   attachment POST, after one customer POST per customer);
2. the time of an incremental re-run with nothing changed, and of a --full
   re-run (everything read again and skipped by hash);
3. peak memory (max RSS of the exporting process) at 10,000 and 100,000
   invoices, without latency.

The emulator runs in its own process, so its memory is not counted.

    python bench/bench_visma_net.py [--invoices 10000] [--memory 10000,100000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from benchutil import peak_rss_kib

from ledgerbridge.core.context import RunOptions
from ledgerbridge.core.engine import RunRequest, run_connector
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.visma_net.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT_ID
from ledgerbridge.plugins.visma_net.mapper import CustomerMapper, InvoiceMapper
from ledgerbridge.plugins.visma_net.samplegen import PeriodSpec, write_period
from ledgerbridge.plugins.visma_net.settings import load_settings
from ledgerbridge.plugins.visma_net.source import OpterExportSource

VAT = {"25%": "01", "12%": "02", "0%": "05", "EU": "08"}


def serve(port: int, latency_ms: int, ready: Any) -> None:
    from ledgerbridge.core.sandbox import Sandbox
    from ledgerbridge.plugins.visma_net.emulator import EMULATOR

    faults = [f"*: latency={latency_ms}ms"] if latency_ms else []
    sandbox = Sandbox(
        [EMULATOR],
        faults=faults,
        journal_size=1000,
        settings={"visma_net": {"rate_limit": 10_000_000}},
    )
    sandbox.serve(port=port)
    ready.set()
    while True:
        time.sleep(3600)


def start_emulator(latency_ms: int) -> tuple[multiprocessing.Process, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ready = multiprocessing.Event()
    proc = multiprocessing.Process(target=serve, args=(port, latency_ms, ready), daemon=True)
    proc.start()
    ready.wait(30)
    return proc, f"http://127.0.0.1:{port}/visma_net"


def config(base: str, folder: Path) -> dict[str, Any]:
    return {
        "tenantId": {"secret": "tid"},
        "clientId": DEMO_CLIENT_ID,
        "clientSecret": {"secret": "cs"},
        "officeCode": "12345-1",
        "exportFolder": str(folder),
        "includePdfCopy": True,
        "apiBaseUrl": base,
        "tokenUrl": f"{base}/connect/token",
        "startText": "overrideNumberSeries=true",
        "vatCodes": VAT,
    }


def workspace(root: Path, base: str, folder: Path) -> Workspace:
    ws = Workspace(root / "ws")
    ws.ensure()
    t = ws.add_tenant("bench")
    t.connectors["visma_net"] = {"enabled": True, "config": config(base, folder)}
    ws.save_tenant(t)
    ws.secrets.set("bench", "tid", DEMO_TENANT_ID)
    ws.secrets.set("bench", "cs", DEMO_CLIENT_SECRET)
    return ws


def run(ws: Workspace, full: bool = False) -> tuple[float, Any]:
    start = time.perf_counter()
    summary = run_connector(RunRequest(ws, "bench", "visma_net", RunOptions(full=full)))
    return time.perf_counter() - start, summary


def script(base: str, folder: Path) -> float:
    """The straightforward way: map everything first (not timed), then send
    every payload in a plain sequential httpx loop."""
    settings = load_settings(config(base, folder))
    customers = [
        CustomerMapper(settings).map(r).body
        for r in OpterExportSource(folder, entity="customer").read(None)
    ]
    mapper = InvoiceMapper(settings)
    payloads = [mapper.map(r) for r in OpterExportSource(folder, include_pdf=True).read(None)]
    with httpx.Client(base_url=base, timeout=60) as client:
        token = client.post(
            "/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "tenant_id": DEMO_TENANT_ID,
                "scope": "vismanet_erp_service_api:create",
            },
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        start = time.perf_counter()
        for body in customers:
            client.post("/v1/customer", json=body).raise_for_status()
        for p in payloads:
            r = client.post(p.endpoint, json=p.body)
            r.raise_for_status()
            number = r.headers["Location"].rsplit("/", 1)[-1]
            kind = "customerinvoice" if p.kind == "invoice" else "customerCreditNote"
            assert p.attachment is not None
            client.post(
                f"/v1/{kind}/{number}/attachment",
                files={"file": (p.attachment[0], p.attachment[1], "application/pdf")},
            ).raise_for_status()
        return time.perf_counter() - start


def throughput(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "export"
        write_period(folder / "p.xml", PeriodSpec(invoices=n, rows=5, pdf=True))
        proc, base = start_emulator(20)
        try:
            t_lb, s = run(workspace(root, base, folder))
            assert s.failed == 0, s.errors[:3]
            t_inc, s_inc = run(Workspace(root / "ws"))
            t_full, s_full = run(Workspace(root / "ws"), full=True)
        finally:
            proc.kill()
        proc, base2 = start_emulator(20)
        try:
            t_script = script(base2, folder)
        finally:
            proc.kill()
    return {
        "invoices": n,
        "ledgerbridge_s": t_lb,
        "ledgerbridge_inv_per_s": n / t_lb,
        "script_s": t_script,
        "script_inv_per_s": n / t_script,
        "incremental_rerun_s": t_inc,
        "incremental_read": s_inc.succeeded + s_inc.skipped,
        "full_rerun_s": t_full,
        "full_rerun_skipped": s_full.skipped,
    }


def memory_child(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "export"
        write_period(folder / "p.xml", PeriodSpec(invoices=n, rows=5, pdf=True))
        proc, base = start_emulator(0)
        try:
            before = peak_rss_kib()
            t, s = run(workspace(root, base, folder))
            peak = peak_rss_kib()
        finally:
            proc.kill()
    print(
        json.dumps(
            {
                "invoices": n,
                "seconds": t,
                "succeeded": s.succeeded,
                "failed": s.failed,
                "rss_before_mib": before / 1024,
                "peak_rss_mib": peak / 1024,
            }
        )
    )


def memory(n: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--memory", default="10000,100000")
    parser.add_argument("--memory-child", type=int)
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return
    results: dict[str, Any] = {}
    if not args.skip_throughput:
        results["throughput"] = throughput(args.invoices)
    results["memory"] = [memory(int(n)) for n in args.memory.split(",") if n]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
