"""Benchmark: nmbrs_journals sending Nmbrs payroll journals to Visma.net, both
emulators on loopback in their own process, measured in one run.

The Nmbrs emulator generates COMPANIES companies with RUNS monthly runs of
2024 of EMPLOYEES employees each (every run's journal aggregated per account,
cost center and cost unit, as Nmbrs' cost center/cost unit journal is); every
company is mapped with both dimensions and the seed's Format BAS/PNL.

1. the first run: journals per second, and API calls per journal (SOAP calls
   to Nmbrs and REST calls to Visma.net, counted by the emulators' journal);
2. a no-op re-run: nothing changed in Nmbrs, so nothing is read but the run
   lists, and nothing is sent.

    python bench/bench_nmbrs.py                      # 50 x 12 x 200
    python bench/bench_nmbrs.py --quick              # 5 x 3 x 20, a few seconds
    python bench/bench_nmbrs.py --latency 20         # 20 ms on every request
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from ledgerbridge.core.context import RunOptions
from ledgerbridge.core.engine import RunRequest, run_connector
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.nmbrs_journals.formats import EXAMPLE_BAS, EXAMPLE_PNL
from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator.state import DEMO_USER
from ledgerbridge.plugins.visma_net.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT_ID

FIRST_COMPANY = 1001  # the emulator's generated companies (nmbrs/emulator/state.py)


def serve(port: int, spec: dict[str, Any], latency_ms: int, ready: Any) -> None:
    from ledgerbridge.core.sandbox import Sandbox
    from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator import EMULATOR as NMBRS
    from ledgerbridge.plugins.visma_net.emulator import EMULATOR as VISMA

    sandbox = Sandbox(
        [VISMA, NMBRS],
        faults=[f"*: latency={latency_ms}ms"] if latency_ms else [],
        journal_size=100_000,
        settings={"visma_net": {"rate_limit": 10_000_000}, "nmbrs": {"generate": spec}},
    )
    sandbox.serve(port=port)
    ready.set()
    while True:
        time.sleep(3600)


def start(spec: dict[str, Any], latency_ms: int) -> tuple[multiprocessing.Process, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ready = multiprocessing.Event()
    proc = multiprocessing.Process(target=serve, args=(port, spec, latency_ms, ready), daemon=True)
    proc.start()
    ready.wait(60)
    return proc, f"http://127.0.0.1:{port}"


def config(url: str, companies: int) -> dict[str, Any]:
    dims = {"costCenter": "Avdelning", "costUnit": "Projekt"}
    return {
        "clientId": DEMO_CLIENT_ID,
        "clientSecret": {"secret": "cs"},
        "tenantId": {"secret": "tid"},
        "apiBaseUrl": f"{url}/visma_net",
        "tokenUrl": f"{url}/visma_net/connect/token",
        "username": DEMO_USER["username"],
        "token": {"secret": "nmbrs_token"},
        "domain": DEMO_USER["domain"],
        "soapBaseUrl": f"{url}/nmbrs/soap/v3/",
        "fromYear": 2024,
        "formatBas": EXAMPLE_BAS,
        "formatPnl": EXAMPLE_PNL,
        "administrations": [
            {"nmbrsCompanyId": FIRST_COMPANY + n, "branch": "1", "dimensions": dims}
            for n in range(companies)
        ],
    }


def workspace(root: Path, url: str, companies: int) -> Workspace:
    ws = Workspace(root / "ws")
    ws.ensure()
    t = ws.add_tenant("bench")
    t.connectors["nmbrs_journals"] = {"enabled": True, "config": config(url, companies)}
    ws.save_tenant(t)
    ws.secrets.set("bench", "tid", DEMO_TENANT_ID)
    ws.secrets.set("bench", "cs", DEMO_CLIENT_SECRET)
    ws.secrets.set("bench", "nmbrs_token", DEMO_USER["token"])
    return ws


def calls(url: str, since: int) -> tuple[Counter[str], int]:
    """Requests each emulator received after journal entry `since`, and the last seq."""
    entries = httpx.get(
        f"{url}/_sandbox/journal", params={"since": since, "limit": 100_000}, timeout=120
    ).json()
    items = entries.get("entries", entries) if isinstance(entries, dict) else entries
    counted = Counter(str(e["emulator"]) for e in items)
    last = max((int(e["seq"]) for e in items), default=since)
    return counted, last


def one_run(ws: Workspace) -> tuple[float, Any]:
    start = time.perf_counter()
    summary = run_connector(RunRequest(ws, "bench", "nmbrs_journals", RunOptions()))
    return time.perf_counter() - start, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--employees", type=int, default=200)
    parser.add_argument("--latency", type=int, default=0, help="ms on every request")
    parser.add_argument("--quick", action="store_true", help="5 companies x 3 runs x 20")
    args = parser.parse_args()
    if args.quick:
        args.companies, args.runs, args.employees = 5, 3, 20
    spec = {"companies": args.companies, "runs": args.runs, "employees": args.employees}
    proc, url = start(spec, args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ws = workspace(Path(tmp), url, args.companies)
            _, seq = calls(url, 0)
            first_s, first = one_run(ws)
            first_calls, seq = calls(url, seq)
            again_s, again = one_run(ws)
            again_calls, seq = calls(url, seq)
    finally:
        proc.terminate()
    journals = first.succeeded
    report = {
        "companies": args.companies,
        "runs_per_company": args.runs,
        "employees_per_run": args.employees,
        "latency_ms": args.latency,
        "first_run": {
            "journals": journals,
            "failed": first.failed,
            "seconds": round(first_s, 2),
            "journals_per_second": round(journals / first_s, 1) if first_s else None,
            "calls": dict(first_calls),
            "calls_per_journal": round(sum(first_calls.values()) / max(journals, 1), 2),
        },
        "no_op_rerun": {
            "sent": again.succeeded,
            "failed": again.failed,
            "seconds": round(again_s, 2),
            "calls": dict(again_calls),
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
