"""The scale-out simulation: real worker processes, a sandbox served on
loopback, PostgreSQL state; shared by the test (tests/scale) and the
benchmark (bench/bench_scale_out.py).

Each tenant has its own Visma.net company (a tenant id of its own: its own
data and rate budget) shared by two connectors through one connection:
visma_net (Opter export files dropped into the tenant's folder while the
simulation runs) and nmbrs_journals (its Nmbrs company's payroll runs).
Every pair is scheduled every 10 s (the finest cadence workers honour).

What is judged, and from where:
- overlap: every run's start and end as the workers' observer plugin wrote
  them (tests/scale/observer.py), to the microsecond; a run whose worker was
  killed ends when it was killed;
- the budget: every request the emulator's rate limiter counted or refused,
  per company, with its time (the server process records them);
- exactly once: every create the sandbox journal recorded with a 2xx answer,
  by document number.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "sim-app"
CLIENT_SECRET = "sim-secret"
VAT = {"25%": "01", "12%": "02", "0%": "05", "EU": "08"}
NMBRS_FIRST = 1001  # the emulator's generated companies are numbered from here
PER_FILE = 4  # invoices in each export file dropped
INVOICE_BASE = 100_000  # tenant t's invoices from (t + 1) * INVOICE_BASE: told apart in the journal
CLI = "from ledgerbridge.core.cli import main; main()"
WORKER = (
    "from ledgerbridge.core.plugins import get_registry\n"
    "from tests.scale import observer\n"
    "get_registry().add(observer, 'sim_observer')\n"
    "from ledgerbridge.core.cli import main\n"
    "main()\n"
)


def company(t: int) -> str:
    return f"sim-company-{t:02d}"


def tenant_name(t: int) -> str:
    return f"t{t:02d}"


@dataclass
class SimConfig:
    tenants: int = 8
    rate_limit: int = 30  # requests per company and window
    rate_window: float = 5.0
    latency_ms: int = 0
    payroll_runs: int = 6  # per Nmbrs company
    stalled_after: float = 6.0
    concurrency: int = 1


# -- the sandbox, in a process of its own -----------------------------------------------


def serve_main(argv: list[str]) -> None:
    """`python -c ... serve CONFIG AUDIT`: serve Visma.net and Nmbrs; write
    every rate-limit decision of the Visma.net emulator to AUDIT."""
    from ledgerbridge.core.sandbox import Sandbox, ratelimit
    from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator import EMULATOR as NMBRS
    from ledgerbridge.plugins.visma_net.emulator import EMULATOR as VISMA

    cfg = SimConfig(**json.loads(argv[0]))
    with Path(argv[1]).open("a", buffering=1, encoding="utf-8") as audit:
        original = ratelimit.FixedWindowLimiter.hit

        def hit(self: Any, key: Any) -> Any:
            state = original(self, key)
            if isinstance(key, tuple) and str(key[0]).startswith("sim-company-"):
                audit.write(json.dumps([time.time(), key[0], state.allowed]) + "\n")
            return state

        ratelimit.FixedWindowLimiter.hit = hit  # type: ignore[method-assign]
        port = _sandbox(cfg, Sandbox, VISMA, NMBRS).serve(port=0)
        print(port, flush=True)
        sys.stdin.read()  # until the parent closes it


def _sandbox(cfg: SimConfig, sandbox: Any, *emulators: Any) -> Any:
    faults = [f"*: latency={cfg.latency_ms}ms"] if cfg.latency_ms else []
    return sandbox(
        list(emulators),
        faults=faults,
        journal_size=1_000_000,
        settings={
            "visma_net": {
                "clients": [
                    {
                        "client_id": CLIENT_ID,
                        "client_secret": CLIENT_SECRET,
                        "tenants": [company(t) for t in range(cfg.tenants)],
                    }
                ],
                "rate_limit": cfg.rate_limit,
                "rate_window": cfg.rate_window,
            },
            "nmbrs": {
                "generate": {
                    "companies": cfg.tenants,
                    "runs": cfg.payroll_runs,
                    "employees": 8,
                    "year": 2024,
                }
            },
        },
    )


@dataclass
class Server:
    proc: subprocess.Popen[str]
    url: str
    audit: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()

    def journal(self, **query: str) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.url}/_sandbox/journal", params=query, timeout=60)
        r.raise_for_status()
        found: list[dict[str, Any]] = r.json()["entries"]
        return found


def start_server(cfg: SimConfig, root: Path) -> Server:
    audit = root / "ratelimit.jsonl"
    code = "import sys\nfrom tests.scale.sim import serve_main\nserve_main(sys.argv[1:])\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, json.dumps(cfg.__dict__), str(audit)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": _pythonpath()},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.isdigit():
        proc.kill()
        raise RuntimeError(f"the sandbox did not start: {line!r}")
    return Server(proc, f"http://127.0.0.1:{line}", audit)


def _pythonpath() -> str:
    return os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


# -- the workspace ---------------------------------------------------------------------


def make_workspace(root: Path, dsn: str, server: Server, cfg: SimConfig) -> Any:
    """Tenants t00.. with a shared Visma.net connection, both connectors
    enabled, their export folders, secrets stored."""
    from ledgerbridge.core.connections import StoredConnection
    from ledgerbridge.core.workspace import Workspace
    from ledgerbridge.plugins.nmbrs_journals.formats import EXAMPLE_BAS, EXAMPLE_PNL
    from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator.state import DEMO_USER

    ws = Workspace(root / "ws", dsn)
    ws.ensure()
    visma = f"{server.url}/visma_net"
    companies = [NMBRS_FIRST + t for t in range(cfg.tenants)]
    for t in range(cfg.tenants):
        name = tenant_name(t)
        tenant = ws.add_tenant(name)
        tenant.connections["visma"] = StoredConnection(
            "visma",
            "visma_net",
            {
                "tenantId": {"secret": "visma_tenant_id"},
                "clientId": CLIENT_ID,
                "clientSecret": {"secret": "visma_client_secret"},
                "apiBaseUrl": visma,
                "tokenUrl": f"{visma}/connect/token",
                "requestTimeoutSeconds": 5,
            },
        ).to_json()
        tenant.connections["payroll"] = StoredConnection(
            "payroll",
            "nmbrs",
            {
                "username": DEMO_USER["username"],
                "token": {"secret": "nmbrs_token"},
                "domain": DEMO_USER["domain"],
                "soapBaseUrl": f"{server.url}/nmbrs/soap/v3/",
            },
        ).to_json()
        tenant.connectors["visma_net"] = {
            "enabled": True,
            "config": {
                "connection": "visma",
                "officeCode": "12345-1",
                "exportFolder": str(folder(root, t)),
                "includePdfCopy": False,
                "startText": "overrideNumberSeries=true",
                "vatCodes": VAT,
            },
        }
        tenant.connectors["nmbrs_journals"] = {
            "enabled": True,
            "config": {
                "connections": {"nmbrs": "payroll", "visma_net": "visma"},
                "fromYear": 2024,
                "formatBas": EXAMPLE_BAS,
                "formatPnl": EXAMPLE_PNL,
                "administrations": [{"nmbrsCompanyId": companies[t], "branch": "1"}],
                "ignoreCompanies": [c for c in companies if c != companies[t]],
            },
        }
        ws.save_tenant(tenant)
        ws.secrets.set(name, "visma_tenant_id", company(t))
        ws.secrets.set(name, "visma_client_secret", CLIENT_SECRET)
        ws.secrets.set(name, "nmbrs_token", DEMO_USER["token"])
        folder(root, t).mkdir(parents=True, exist_ok=True)
    return ws


def folder(root: Path, t: int) -> Path:
    return root / "export" / tenant_name(t)


@dataclass
class Feeder:
    """Drops an export file of PER_FILE new invoices into each tenant's folder
    on every `drop()`; knows every invoice number it wrote."""

    root: Path
    tenants: int
    files: int = 0
    numbers: set[str] = field(default_factory=set)

    def drop(self) -> None:
        from ledgerbridge.plugins.visma_net.samplegen import PeriodSpec, write_period

        for t in range(self.tenants):
            first = (t + 1) * INVOICE_BASE + self.files * PER_FILE + 1
            spec = PeriodSpec(
                period=f"2024-{self.files % 12 + 1:02d}",
                invoices=PER_FILE,
                rows=2,
                pdf=False,
                first_number=first,
                credit_every=0,
            )
            target = folder(self.root, t) / f"export-{self.files:04d}.xml"
            partial = target.with_suffix(".part")  # a file appears whole, as a share's rename
            write_period(partial, spec)
            partial.rename(target)
            self.numbers.update(str(first + i) for i in range(PER_FILE))
        self.files += 1


# -- workers, schedules ----------------------------------------------------------------


def cli(ws: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, "--workspace", str(ws.path), "--state", ws.state_url, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": _pythonpath()},
        timeout=120,
    )


def schedule_all(ws: Any, cfg: SimConfig) -> None:
    for t in range(cfg.tenants):
        for connector in ("visma_net", "nmbrs_journals"):
            out = cli(ws, "schedule", tenant_name(t), connector, "--every", "10s")
            if out.returncode != 0:
                raise RuntimeError(out.stdout + out.stderr)


@dataclass
class Workers:
    ws: Any
    events: Path
    cfg: SimConfig
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    killed: dict[int, float] = field(default_factory=dict)  # pid -> when

    def start(self, n: int) -> None:
        self.events.mkdir(parents=True, exist_ok=True)
        for _ in range(n):
            with (self.events / f"worker-{len(self.procs)}.log").open("ab") as log:
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        WORKER,
                        "--workspace",
                        str(self.ws.path),
                        "--state",
                        self.ws.state_url,
                        "worker",
                        "--concurrency",
                        str(self.cfg.concurrency),
                        "--stalled-after",
                        str(self.cfg.stalled_after),
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONPATH": _pythonpath(), "SIM_EVENTS": str(self.events)},
                )
            self.procs.append(proc)

    def running_run(self, proc: subprocess.Popen[bytes]) -> bool:
        """Whether `proc` is inside a run now (its last event is a start)."""
        events = list(read_events(self.events, proc.pid))
        return bool(events) and events[-1]["event"] == "start"

    def pause(self, proc: subprocess.Popen[bytes]) -> None:
        os.kill(proc.pid, signal.SIGSTOP)

    def resume(self, proc: subprocess.Popen[bytes]) -> None:
        os.kill(proc.pid, signal.SIGCONT)

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        self.killed[proc.pid] = time.time()

    def stop(self) -> list[int]:
        """SIGTERM every worker still running (they finish their jobs and
        exit); the exit codes of those, -9 for one that had to be killed."""
        running = [p for p in self.procs if p.poll() is None]
        for p in running:
            os.kill(p.pid, signal.SIGCONT)
            p.terminate()
        codes = []
        for p in running:
            try:
                codes.append(p.wait(60))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
                codes.append(-9)
        return codes

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted(self.events.glob("worker-*.log"))
        )


def read_events(folder: Path, pid: int | None = None) -> Iterator[dict[str, Any]]:
    pattern = f"events-{pid}.jsonl" if pid else "events-*.jsonl"
    for path in sorted(folder.glob(pattern)):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield json.loads(line)


# -- the judgement ---------------------------------------------------------------------


@dataclass
class Interval:
    pair: tuple[str, str]
    run: int
    pid: int
    start: float
    end: float | None
    status: str | None


def intervals(events: Path, killed: dict[int, float]) -> list[Interval]:
    """Each run's interval; a killed worker's unfinished run ends at the kill."""
    runs: dict[tuple[int, int], Interval] = {}
    for e in read_events(events):
        k = (e["pid"], e["run"])
        if e["event"] == "start":
            runs[k] = Interval(
                (e["tenant"], e["connector"]), e["run"], e["pid"], e["t"], None, None
            )
        elif k in runs:
            runs[k].end, runs[k].status = e["t"], e["status"]
    for r in runs.values():
        if r.end is None and r.pid in killed:
            r.end = killed[r.pid]
    return sorted(runs.values(), key=lambda r: r.start)


def overlaps(found: list[Interval]) -> list[str]:
    """Runs of one pair whose intervals overlap (an unfinished run, not
    killed, overlaps everything after it)."""
    problems = []
    by_pair: dict[tuple[str, str], list[Interval]] = defaultdict(list)
    for r in found:
        by_pair[r.pair].append(r)
    for pair, rs in by_pair.items():
        for a, b in itertools.pairwise(rs):
            if a.end is None or b.start < a.end:
                problems.append(f"{pair}: run {a.run} (pid {a.pid}) and run {b.run} (pid {b.pid})")
    return problems


@dataclass
class Budget:
    refused: int  # 429s
    over: list[str]  # windows with more than the limit (must be none)
    share: dict[str, float]  # company -> counted / (limit x windows it used)
    full_windows: dict[str, int]  # company -> windows that reached the limit


def budget(audit: Path, cfg: SimConfig) -> Budget:
    counted: Counter[tuple[str, int]] = Counter()
    refused = 0
    for line in audit.read_text(encoding="utf-8").splitlines():
        t, key, allowed = json.loads(line)
        if allowed:
            counted[(key, int(t // cfg.rate_window))] += 1
        else:
            refused += 1
    over = [f"{k} window {w}: {n}" for (k, w), n in counted.items() if n > cfg.rate_limit]
    per_company: dict[str, list[int]] = defaultdict(list)
    for (k, _), n in counted.items():
        per_company[k].append(n)
    share = {k: sum(ns) / (cfg.rate_limit * len(ns)) for k, ns in per_company.items()}
    full = {k: sum(1 for n in ns if n >= cfg.rate_limit) for k, ns in per_company.items()}
    return Budget(refused, over, share, full)


def creates(server: Server) -> tuple[Counter[str], Counter[str]]:
    """Invoices and journal transactions Visma.net created (2xx), by number
    and by reference."""
    invoices: Counter[str] = Counter()
    journals: Counter[str] = Counter()
    for e in server.journal(emulator="visma_net", method="POST"):
        if e["status"] is None or not 200 <= e["status"] < 300:
            continue
        body = e["body"] if isinstance(e["body"], dict) else {}
        path = e["path"].lower()
        if path.rstrip("/").endswith(("/customerinvoice", "/customercreditnote")):
            invoices[str(body.get("referenceNumber", {}).get("value"))] += 1
        elif path.rstrip("/").endswith("/journaltransaction"):
            ref = body.get("journalTransactionLines", [{}])[0].get("referenceNumber", {})
            journals[str(ref.get("value"))] += 1
    return invoices, journals


def create_times(server: Server) -> list[float]:
    """When each invoice create was answered 2xx (the sandbox's clock)."""
    return [
        float(e["timestamp"])
        for e in server.journal(emulator="visma_net", method="POST")
        if e["status"] is not None
        and 200 <= e["status"] < 300
        and e["path"].lower().rstrip("/").endswith(("/customerinvoice", "/customercreditnote"))
    ]
