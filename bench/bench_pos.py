"""Benchmark: a year of DUELL settlements, products and customers into Visma.net.

In one run: D departments (default 20) with a SAF-T Cash Register file per
day for a year (about 7,300 Z reports, each with 15-40 receipts), 50,000
DUELL products and 20,000 DUELL customers, through pos_zreport into the
emulated Visma.net and DUELL APIs (in-process, fake clock, so Visma.net's
hourly budget is waited for instantly; the emulators validate every body).
Reports the first run's throughput per flow, the API calls per document, and
a no-op re-run (everything read again, nothing sent).

    python bench/bench_pos.py                 # the full year
    python bench/bench_pos.py --quick         # a scaled-down check
    python bench/bench_pos.py --invoices [--no-parse-cache]
        # invoice_bases reads every file too: parsed once for both flows, or
        # (parse cache off, RunOptions.parse_cache) once per flow
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from benchutil import peak_rss_kib

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.connections import StoredConnection
from ledgerbridge.core.context import RunOptions
from ledgerbridge.core.engine import RunRequest, RunSummary, run_connector
from ledgerbridge.core.sandbox import Sandbox
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.pos_zreport.duell.emulator import EMULATOR as DUELL
from ledgerbridge.plugins.pos_zreport.saft.generator import Shop, write_saft
from ledgerbridge.plugins.pos_zreport.saft.sample import random_days
from ledgerbridge.plugins.visma_net.emulator import EMULATOR as VISMA
from ledgerbridge.plugins.visma_net.emulator.testing import connection


class Counting(httpx.BaseTransport):
    """Counts the requests of a run per emulator and method (the sandbox's
    journal keeps only the latest entries)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        emulator = request.url.path.split("/")[1]
        self.calls[f"{request.method} {emulator}"] += 1
        return self.inner.handle_request(request)


def config(folder: Path, departments: int) -> dict[str, Any]:
    return {
        "connections": {"visma_net": "visma", "duell": "pos"},
        "saftFolder": str(folder),
        "itemClass": "VARER",
        "departments": {
            f"d{n:02d}": {"name": f"Avdeling {n}", "branch": "1" if n % 2 else "2"}
            for n in range(departments)
        },
        "vatMap": {
            "25": {"vatId": "3"},
            "15": {"vatId": "31"},
            "12": {"vatId": "33"},
            "0": {"vatId": "5"},
        },
        "accounts": {
            "payments": {
                "CASH": "1900",
                "BANKAXEPT": "1920",
                "VISA": "2380",
                "MASTERCARD": "2380",
                "VIPPS": "1921",
            },
            "revenue": {"25": "3000", "15": "3020", "12": "3030", "0": "3100"},
            "rounding": "7740",
            "tips": "2960",
        },
        "invoices": False,
    }


def generate(folder: Path, departments: int, days: int) -> int:
    start = date(2024, 1, 1)
    dates = [(start + timedelta(days=i)).isoformat() for i in range(days)]
    rng = random.Random(5)
    count = 0
    for n in range(departments):
        dept = folder / f"d{n:02d}"
        dept.mkdir(parents=True)
        shop = Shop(location=f"Avdeling {n}", register=str(n + 1))
        for day in random_days(rng, dates, first_report=1):
            write_saft(dept / f"{day.date}.xml", shop, [day])
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2 departments x 30 days, 1,000 products, 400 customers",
    )
    parser.add_argument("--departments", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument(
        "--match-customers",
        action="store_true",
        help="match customers by org. no., phone, email (the emulator's customer filters scan "
        "every customer, so this is for small runs); default: allowDuplicateCustomerData",
    )
    parser.add_argument(
        "--invoices",
        action="store_true",
        help="run invoice_bases too: a second flow reading every SAF-T file",
    )
    parser.add_argument(
        "--no-parse-cache",
        action="store_true",
        help="each flow parses each file (RunOptions.parse_cache False), as before the cache",
    )
    args = parser.parse_args()
    if args.quick:
        args.departments, args.days, args.products, args.customers = 2, 30, 1_000, 400
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(bench(Path(tmp), args), indent=2))


def bench(tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    reports = generate(tmp / "saft", args.departments, args.days)
    generated = time.perf_counter() - t0
    products = [
        {
            "product_number": f"P{i:06d}",
            "product_name": f"Vare {i}" if i % 50 else "",
            "barcode": f"70{i:011d}",
            "price_inc_vat": "99.00",
            "vatrate_percent": "25",
            "cost_price": "40.00",
        }
        for i in range(args.products)
    ]
    customers = [
        {
            "customer_id": str(i + 1),
            "customer_name": f"Kunde {i}",
            "phone": f"9{i:07d}",
            "email": f"kunde{i}@example.no",
        }
        for i in range(args.customers)
    ]
    clock = FakeClock()
    sandbox = Sandbox(
        [VISMA, DUELL],
        clock=clock,
        settings={
            "visma_net": {"rate_limit": 10_000_000},
            "duell": {"products": products, "customers": customers},
        },
    )
    ws = Workspace(tmp / "ws")
    ws.ensure()
    t = ws.add_tenant("acme", "bench")
    vn = connection(sandbox)
    t.connections["visma"] = StoredConnection(
        "visma",
        "visma_net",
        {**vn, "clientSecret": {"secret": "vcs"}, "tenantId": {"secret": "vti"}},
    ).to_json()
    t.connections["pos"] = StoredConnection(
        "pos",
        "duell",
        {
            "baseUrl": sandbox.base_url("duell") + "/v1/",
            "clientNumber": "722490",
            "clientToken": {"secret": "dt"},
        },
    ).to_json()
    conf = config(tmp / "saft", args.departments)
    conf["allowDuplicateCustomerData"] = not args.match_customers
    conf["invoices"] = args.invoices
    t.connectors["pos_zreport"] = {
        "enabled": True,
        "config": conf,
    }
    ws.save_tenant(t)
    for name, value in (
        ("vcs", vn["clientSecret"]),
        ("vti", vn["tenantId"]),
        ("dt", "duell-demo-token"),
    ):
        ws.secrets.set("acme", name, value)

    options = RunOptions(parse_cache=not args.no_parse_cache)

    def run() -> tuple[RunSummary, float, Counter[str]]:
        # counted at the transport: the sandbox's journal keeps only its
        # latest entries, so counting from it undercounts a large run
        counting = Counting(sandbox.transport())
        start = time.perf_counter()
        summary = run_connector(
            RunRequest(ws, "acme", "pos_zreport", options, transport=counting, clock=clock)
        )
        seconds = time.perf_counter() - start
        return summary, seconds, counting.calls

    first, first_s, first_calls = run()
    again, again_s, again_calls = run()
    documents = first.succeeded
    per_flow = {f.name: {"succeeded": f.succeeded, "failed": f.failed} for f in first.flows}
    return {
        "departments": args.departments,
        "z_reports": reports,
        "products": args.products,
        "customers": args.customers,
        "customer_matching": args.match_customers,
        "invoice_bases": args.invoices,
        "parse_cache": options.parse_cache,
        "generate_seconds": round(generated, 1),
        "first_run": {
            "status": first.status,
            "seconds": round(first_s, 1),
            "documents": documents,
            "documents_per_second": round(documents / first_s, 1),
            "flows": per_flow,
            "api_calls": dict(first_calls),
            "api_calls_per_document": round(sum(first_calls.values()) / max(1, documents), 2),
        },
        "no_op_rerun": {
            "status": again.status,
            "seconds": round(again_s, 1),
            "sent": again.succeeded,
            "api_calls": dict(again_calls),
        },
        "peak_rss_mib": round(peak_rss_kib() / 1024, 1),
    }


if __name__ == "__main__":
    sys.exit(main())
