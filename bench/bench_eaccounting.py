"""Benchmark: the eaccounting connector's first sync and a no-op re-sync,
Visma PM (Severa) and Visma eAccounting emulated on loopback in their own
process, measured in one run.

Visma PM holds CUSTOMERS customers (a billing address and a contact each),
ARTICLES articles (80 % products, 15 % work types, 5 % travel expense types,
one of the products the default article "99"), PROJECTS projects and
INVOICES invoices with the status "to transfer" (3 rows: two products and a
work type, on one project); eAccounting starts with only the default article,
which the first sync links. PM is the master for customers and products.

The vendors' rate limits are kept, **scaled in time by --scale** on both
sides: eAccounting's 600 requests a minute per endpoint becomes 600 per
60/F seconds, Severa's 10 a second 10 per 1/F seconds, in the emulators
(`rate_window`) and in the budgets the connector declares (the bench
replaces the systems' RateLimit windows before the run; nothing else of the
connector changes). With F = 10 the first sync has the same shape as at the
vendors', ten times faster; only a 429's Retry-After (whole seconds, at
least 1) is not scaled, so a 429 costs F times more than at the vendors'.

Reported, from the emulators' journal:

1. the first sync: seconds, records per flow, API calls per record by flow
   (a flow's calls are those the emulators answered while it ran, timed by
   wrapping the engine's FlowRun.run; the setup before the first flow is
   listed apart);
2. the rate budgets: per eAccounting endpoint and for Severa, the calls the
   vendor counted, the share of the budget those calls used over the windows
   the budget was busy in, the busiest window, and every 429;
3. a no-op re-sync: nothing changed in either system, so nothing is
   written, and only what the change filters return is read.

    python bench/bench_eaccounting.py                    # 2,000/1,000/500/1,000, F = 10
    python bench/bench_eaccounting.py --quick            # 100/50/25/50, a few seconds
    python bench/bench_eaccounting.py --scale 1          # the vendors' real limits
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import queue
import socket
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx

from ledgerbridge.core.context import RunOptions
from ledgerbridge.core.engine import RunRequest, RunSummary, run_connector
from ledgerbridge.core.engine.flow import FlowRun
from ledgerbridge.core.tokenstore import connection_secret
from ledgerbridge.core.workspace import Workspace

STATUSES = {
    "toTransfer": "Skicka till eEkonomi",
    "transferred": "Överförd eEkonomi",
    "sent": "Skickad",
    "paid": "Betald",
}
EA_LIMIT, EA_WINDOW = 600, 60.0  # per client and endpoint
PM_LIMIT, PM_WINDOW = 10, 1.0
CITIES = ["Stockholm", "Göteborg", "Malmö", "Uppsala", "Luleå", "Umeå"]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


# -- the data -------------------------------------------------------------------------


def guid(kind: int, n: int) -> str:
    return f"{kind:08x}-0000-4000-8000-{n:012x}"


def pm_seed(customers: int, articles: int, projects: int, invoices: int) -> dict[str, Any]:
    from ledgerbridge.plugins.eaccounting.pm.emulator import testing as pm

    se = {"guid": pm.country_guid("SE")}
    people = [
        {
            "guid": guid(1, n),
            "name": f"Kund {n} AB",
            "number": 10_000 + n,
            "paymentTerm": 30,
            "addresses": [
                {
                    "addressline": f"Storgatan {n % 90 + 1}",
                    "postalCode": f"{11_000 + n % 900}",
                    "city": CITIES[n % len(CITIES)],
                    "isBillingAddress": True,
                    "country": se,
                }
            ],
            "contactPersons": [
                {"firstName": "Anna", "lastName": f"Berg {n}", "emails": [f"anna{n}@kund{n}.se"]}
            ],
        }
        for n in range(customers)
    ]
    work_types = max(1, articles * 15 // 100)
    travel = max(1, articles * 5 // 100)
    products = articles - work_types - travel - 1  # and the default article
    vat = [25, 25, 12, 6]
    catalog = [
        {
            "name": f"Produkt {n}",
            "code": f"P{n:05d}",
            "vatRate": vat[n % 4],
            "unitPrice": {"amount": 100 + n % 900, "currencyCode": "SEK"},
            **({"measurementUnit": "h"} if n % 3 == 0 else {}),
        }
        for n in range(products)
    ]
    catalog.append(
        {
            "name": "Övrigt",
            "code": "99",
            "vatRate": 25,
            "unitPrice": {"amount": 0, "currencyCode": "SEK"},
        }
    )
    projects_ = [
        {
            "guid": guid(2, n),
            "name": f"Projekt {n}",
            "number": 1 + n,
            "isClosed": n % 10 == 9,
            "customer": {"guid": guid(1, n % customers)},
        }
        for n in range(projects)
    ]
    return {
        "invoice_statuses": pm.seed_statuses(),
        "customers": people,
        "products": catalog,
        "work_types": [{"name": f"Arbete {n}", "code": f"W{n:04d}"} for n in range(work_types)],
        "travel_expense_types": [
            {
                "name": f"Resa {n}",
                "code": f"T{n:03d}",
                "vatRate": 25,
                "unitCost": {"amount": 25, "currencyCode": "SEK"},
                "expenseClass": "Mileage" if n % 2 == 0 else "OtherTravelExpense",
            }
            for n in range(travel)
        ],
        "projects": projects_,
        "invoices": [invoice(n, projects, products, work_types) for n in range(invoices)],
    }


def invoice(n: int, projects: int, products: int, work_types: int) -> dict[str, Any]:
    project = n % projects
    customer = project  # the project's customer (projects go round the customers)
    address = {"addressline": "Storgatan 1", "postalCode": "11122", "city": "Stockholm"}
    return {
        "guid": guid(3, n),
        "statusName": STATUSES["toTransfer"],
        "customer": {"guid": guid(1, customer)},
        "projects": [{"guid": guid(2, project)}],
        "receiverAddress": {**address, "country": {"name": "Sverige", "code2": "SE"}},
        "yourReference": "Eva Ek",
        "rows": [
            {
                "description": f"Produkt {p}",
                "quantity": 1 + n % 5,
                "unitPrice": 100 + p % 900,
                "code": [f"P{p:05d}"],
                "rowType": "ProjectFees",
            }
            for p in ((2 * n) % products, (2 * n + 1) % products)
        ]
        + [
            {
                "description": "Konsulttimmar",
                "quantity": 8,
                "unitPrice": 950,
                "measurementUnit": "h",
                "code": [f"W{n % work_types:04d}"],
                "rowType": "Hours",
            }
        ],
    }


def ea_seed() -> dict[str, Any]:
    from ledgerbridge.plugins.eaccounting.eaccounting.emulator import testing as ea

    default = {
        "IsActive": True,
        "Number": "99",
        "Name": "Övrigt",
        "NetPrice": 0.0,
        "GrossPrice": 0.0,
        "CodingId": ea.coding_id("Tjänster 25% moms"),
        "UnitId": ea.unit_id("Styck"),
    }
    return {"articles": [default]}


# -- the emulators, in their own process -----------------------------------------------


def serve(port: int, sizes: tuple[int, int, int, int], scale: float, out: Any) -> None:
    from ledgerbridge.core.http import MemoryTokenStore
    from ledgerbridge.core.sandbox import Sandbox
    from ledgerbridge.plugins.eaccounting.eaccounting.auth import code_flow
    from ledgerbridge.plugins.eaccounting.eaccounting.emulator import EMULATOR as EA
    from ledgerbridge.plugins.eaccounting.eaccounting.emulator import testing as ea
    from ledgerbridge.plugins.eaccounting.pm.emulator import EMULATOR as PM
    from ledgerbridge.plugins.eaccounting.pm.emulator import testing as pm

    sandbox = Sandbox(
        [PM, EA],
        journal_size=1_000_000,
        settings={
            "severa": {**pm_seed(*sizes), "rate_limit": PM_LIMIT, "rate_window": PM_WINDOW / scale},
            "eaccounting": {**ea_seed(), "rate_limit": EA_LIMIT, "rate_window": EA_WINDOW / scale},
        },
    )
    sandbox.serve(port=port)
    ea_conn = ea.connection(sandbox)
    store = MemoryTokenStore()  # the consent `ledgerbridge auth` would get
    flow = code_flow(
        ea_conn, ea_conn["clientSecret"], store, tenant="bench", transport=sandbox.transport()
    )
    flow.exchange_code(
        ea.app_of(sandbox).identity.grant(
            ea_conn["clientId"], " ".join(flow.scopes), ea_conn["redirectUri"]
        )
    )
    tokens = store.load()
    assert tokens is not None
    out.put({"pm": pm.connection(sandbox), "ea": ea_conn, "tokens": tokens.to_dict()})
    while True:
        time.sleep(3600)


def start(sizes: tuple[int, int, int, int], scale: float) -> tuple[Any, str, dict[str, Any]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out: Any = multiprocessing.Queue()
    proc = multiprocessing.Process(target=serve, args=(port, sizes, scale, out), daemon=True)
    proc.start()
    while True:  # seeding thousands of records takes a while; a failed seed ends the process
        try:
            return proc, f"http://127.0.0.1:{port}", out.get(timeout=1)
        except queue.Empty:
            if not proc.is_alive():
                raise SystemExit("the emulators did not start (see the traceback above)") from None


# -- the tenant ------------------------------------------------------------------------------


def scale_budgets(scale: float) -> None:
    """The connector's declared budgets, scaled in time as the emulators' are."""
    from ledgerbridge.plugins.eaccounting import systems

    def scaled(system: Any) -> Any:
        limit = system.rate_limit
        window = dataclasses.replace(limit, window=limit.window / scale)
        return dataclasses.replace(system, rate_limit=window)

    systems.SYSTEMS = tuple(scaled(s) for s in systems.SYSTEMS)


def workspace(root: Path, served: dict[str, Any]) -> Workspace:
    ws = Workspace(root / "ws")
    ws.ensure()
    tenant = ws.add_tenant("bench")
    tenant.connections = {
        "pm": {"system": "severa", "config": {**served["pm"], "clientSecret": {"secret": "pm_cs"}}},
        "ea": {
            "system": "eaccounting",
            "config": {**served["ea"], "clientSecret": {"secret": "ea_cs"}},
        },
    }
    tenant.connectors["eaccounting"] = {
        "enabled": True,
        "config": {
            "masterForCustomers": "pm",
            "masterForProducts": "pm",
            "projectCostCenter": "Projekt",
            "connections": {"severa": "pm", "eaccounting": "ea"},
            "invoiceStatuses": STATUSES,
            "defaultArticleNumber": "99",
        },
    }
    ws.save_tenant(tenant)
    ws.secrets.set("bench", "pm_cs", served["pm"]["clientSecret"])
    ws.secrets.set("bench", "ea_cs", served["ea"]["clientSecret"])
    ws.secrets.set("bench", connection_secret("ea"), json.dumps(served["tokens"]))
    return ws


# -- measuring --------------------------------------------------------------------------------

SPANS: list[tuple[str, float, float]] = []  # (flow, started, ended), epoch seconds


def time_flows() -> None:
    """Note when each flow runs, to give it the calls the emulators answered meanwhile."""
    original = FlowRun.run

    def timed(self: FlowRun) -> None:
        started = time.time()
        try:
            original(self)
        finally:
            SPANS.append((self.flow.name, started, time.time()))

    FlowRun.run = timed  # type: ignore[method-assign]


def journal(url: str, since: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    while True:
        page = httpx.get(
            f"{url}/_sandbox/journal", params={"since": since, "limit": 50_000}, timeout=300
        ).json()
        items = page.get("entries", page) if isinstance(page, dict) else page
        if not items:
            return entries
        entries += items
        since = max(int(e["seq"]) for e in items)


def run(ws: Workspace, workers: int | None) -> tuple[float, RunSummary, list[Any]]:
    SPANS.clear()
    started = time.perf_counter()
    summary = run_connector(RunRequest(ws, "bench", "eaccounting", RunOptions(workers=workers)))
    return time.perf_counter() - started, summary, list(SPANS)


def flow_of(entry: dict[str, Any], spans: list[Any]) -> str:
    when = float(entry["timestamp"])
    for name, started, ended in spans:
        if started <= when <= ended:  # answered (and journaled) before the client saw it
            return str(name)
    return "setup" if not spans or when < spans[0][1] else "between flows"


def is_auth(entry: dict[str, Any]) -> bool:
    """A token request: not counted by the vendors' rate limits."""
    return str(entry["path"]).lower().rstrip("/").endswith(("/token", "/authorize"))


def call_kind(entry: dict[str, Any]) -> str:
    side = "pm" if entry["emulator"] == "severa" else "ea"
    if is_auth(entry):
        return f"{side} token"
    return f"{side} {'write' if entry['method'] in WRITES else 'read'}"


def per_flow(summary: RunSummary, entries: list[dict[str, Any]], spans: list[Any]) -> Any:
    calls: dict[str, Counter[str]] = defaultdict(Counter)
    for e in entries:
        if not is_auth(e):
            calls[flow_of(e, spans)][call_kind(e)] += 1
    seconds = {name: round(ended - started, 2) for name, started, ended in spans}
    out: dict[str, Any] = {}
    for f in summary.flows:
        records = f.succeeded + f.failed + f.skipped
        counted = calls.pop(f.name, Counter())
        out[f.name] = {
            "records": records,
            "written": f.created + f.updated,
            "echoes": f.echoes,
            "failed": f.failed,
            "seconds": seconds.get(f.name),
            "calls": dict(counted),
            "calls_per_record": round(sum(counted.values()) / records, 2) if records else None,
        }
    for rest, counted in calls.items():
        out[rest] = {"calls": dict(counted)}
    return out


def budgets(entries: list[dict[str, Any]], scale: float) -> dict[str, Any]:
    """Each budget the vendors count: the calls counted, the share of the budget
    they used over the windows it was busy in (first to last call), the busiest
    window and the 429s."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        path = str(e["path"]).lower()
        if is_auth(e):
            continue
        if e["emulator"] == "severa":
            groups["severa"].append(e)
        else:
            parts = [p for p in path.split("/") if p]
            groups[f"eaccounting {parts[1] if len(parts) > 1 else ''}"].append(e)
    out: dict[str, Any] = {}
    for name, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        severa = name == "severa"
        limit = PM_LIMIT if severa else EA_LIMIT
        window = (PM_WINDOW if severa else EA_WINDOW) / scale
        counted = [e for e in items if e["status"] != 429]
        per_window = Counter(int(float(e["timestamp"]) // window) for e in counted)
        span = (max(per_window) - min(per_window) + 1) if per_window else 0
        out[name] = {
            "limit": f"{limit} per {window:g} s",
            "calls": len(counted),
            "429s": len(items) - len(counted),
            "windows_busy": span,
            "share_used_pct": round(100 * len(counted) / (limit * span), 1) if span else 0,
            "busiest_window": max(per_window.values(), default=0),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--scale", type=float, default=10.0, help="time scale of both limits")
    parser.add_argument("--workers", type=int, default=None, help="writes in flight per flow")
    parser.add_argument("--quick", action="store_true", help="100/50/25/50 records")
    args = parser.parse_args()
    if args.quick:
        args.customers, args.articles, args.projects, args.invoices = 100, 50, 25, 50
    sizes = (args.customers, args.articles, args.projects, args.invoices)
    scale_budgets(args.scale)
    time_flows()
    proc, url, served = start(sizes, args.scale)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ws = workspace(Path(tmp), served)
            seen = journal(url, 0)
            mark = max((int(e["seq"]) for e in seen), default=0)
            first_s, first, first_spans = run(ws, args.workers)
            first_calls = journal(url, mark)
            mark = max((int(e["seq"]) for e in first_calls), default=mark)
            again_s, again, again_spans = run(ws, args.workers)
            again_calls = journal(url, mark)
    finally:
        proc.terminate()
    report = {
        "pm_records": dict(
            zip(("customers", "articles", "projects", "invoices"), sizes, strict=True)
        ),
        "scale": args.scale,
        "limits": {
            "eaccounting": f"{EA_LIMIT} per {EA_WINDOW / args.scale:g} s per endpoint",
            "severa": f"{PM_LIMIT} per {PM_WINDOW / args.scale:g} s",
        },
        "workers": args.workers,
        "first_sync": {
            "status": first.status,
            "message": first.message,
            "seconds": round(first_s, 2),
            "succeeded": first.succeeded,
            "failed": first.failed,
            "errors": first.errors[:5],
            "calls": dict(Counter(call_kind(e) for e in first_calls)),
            "flows": per_flow(first, first_calls, first_spans),
            "budgets": budgets(first_calls, args.scale),
        },
        "no_op_resync": {
            "status": again.status,
            "seconds": round(again_s, 2),
            "succeeded": again.succeeded,
            "failed": again.failed,
            "writes": sum(1 for e in again_calls if e["method"] in WRITES and not is_auth(e)),
            "calls": dict(Counter(call_kind(e) for e in again_calls)),
            "reads": dict(Counter(f"{e['emulator']} {e['path']}" for e in again_calls)),
            "flows": per_flow(again, again_calls, again_spans),
            "429s": sum(1 for e in again_calls if e["status"] == 429),
        },
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
