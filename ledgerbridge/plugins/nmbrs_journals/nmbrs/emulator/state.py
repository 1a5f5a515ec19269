"""What the emulated Nmbrs environment holds: users, debtors, companies with
their cost centers, cost units and payroll runs, and each run's journal.

Built from the emulator's settings (a seed file section, or a test's
`settings={"nmbrs": {...}}`):

    {
      "users": [{"username": "anna@example.com", "token": "...", "domain": "acme"}],
      "debtors": [{"id": 1, "number": "D001", "name": "Acme Group"}],
      "companies": [
        {"id": 12, "number": 3, "name": "Acme Detachering BV", "debtor": 1,
         "period": "Month",                        # or "Week4" (LoonaangifteTijdvak)
         "costCenters": [{"code": "100", "description": "Fjärrtrafik"}],
         "costUnits": [{"code": "10", "description": "Kontrakt A"}],
         "runs": [
           {"id": 9001, "number": 3, "year": 2024, "period": 3, "employees": 12,
            "corrections": [{"period": 1, "employees": 2}]},
           {"id": 9002, "number": 4, "year": 2024, "period": 4, "locked": false,
            "transactions": [{"date": "20240430", "lines": [...]}]}
         ]},
        {"id": 14, "number": 4, "name": "No access BV", "unauthorized": true}
      ],
      "generate": {"companies": 50, "runs": 12, "employees": 200, "year": 2024}
    }

`generate` adds that many companies (IDs from 1001), each with monthly runs
1..runs of the year; benchmarks use it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator.journals import (
    generated_lines,
    journal_xml,
    period_end,
)

DEMO_USER = {"username": "payroll@example.com", "token": "nmbrs-demo-token", "domain": "demo"}
DEFAULT_COST_CENTERS = [
    {"code": "100", "description": "Fjärrtrafik"},
    {"code": "200", "description": "Distribution"},
]
DEFAULT_COST_UNITS = [{"code": "10", "description": "Kontrakt A"}]


@dataclass
class Run:
    id: int
    number: int
    year: int
    period_start: int
    period_end: int
    locked: bool = True
    description: str | None = None
    run_at: str | None = None
    employees: int = 0
    corrections: list[dict[str, Any]] = field(default_factory=list)
    transactions: list[dict[str, Any]] | None = None

    def info(self) -> dict[str, Any]:
        """RunInfo, in the WSDL's element order."""
        out: dict[str, Any] = {
            "ID": self.id,
            "Number": self.number,
            "Year": self.year,
            "PeriodStart": self.period_start,
            "PeriodEnd": self.period_end,
        }
        if self.description is not None:
            out["Description"] = self.description
        out["RunAt"] = self.run_at or f"{self.year}-{min(self.period_end, 12):02d}-25T10:00:00"
        out["IsLocked"] = self.locked
        return out


@dataclass
class Company:
    id: int
    number: int
    name: str
    debtor: int | None = None
    period: str = "Month"
    unauthorized: bool = False
    cost_centers: list[dict[str, Any]] = field(default_factory=list)
    cost_units: list[dict[str, Any]] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)

    def info(self) -> dict[str, Any]:
        """Company, in the WSDL's element order."""
        return {
            "ID": self.id,
            "Number": self.number,
            "Name": self.name,
            "LoonaangifteTijdvak": self.period,
        }

    def run(self, run_id: int) -> Run | None:
        return next((r for r in self.runs if r.id == run_id), None)

    def journal(self, run: Run, with_dimensions: bool) -> str:
        """The run's journal XML (generated or as seeded)."""
        if run.transactions is not None:
            return journal_xml(run.transactions, with_dimensions)
        codes = [str(c["code"]) for c in self.cost_centers]
        units = [str(c["code"]) for c in self.cost_units]
        base = f"{self.id}/{run.id}"
        txs = [
            {
                "date": period_end(run.year, int(c["period"]), self.period).strftime("%Y%m%d"),
                "lines": generated_lines(
                    f"{base}/c{c['period']}",
                    int(c.get("employees", 1)),
                    codes,
                    units,
                    with_dimensions,
                    Decimal("0.05"),
                ),
            }
            for c in run.corrections
        ]
        txs.append(
            {
                "date": period_end(run.year, run.period_end, self.period).strftime("%Y%m%d"),
                "lines": generated_lines(base, run.employees, codes, units, with_dimensions),
            }
        )
        return journal_xml(txs, with_dimensions)


@dataclass
class NmbrsState:
    users: list[dict[str, str]]
    debtors: dict[int, dict[str, Any]]
    companies: dict[int, Company]
    calls: list[str] = field(default_factory=list)  # operation names, in order
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record_call(self, operation: str) -> None:
        with self.lock:
            self.calls.append(operation)

    def user_ok(self, username: str | None, token: str | None, domain: str | None) -> bool:
        return any(
            (u["username"], u["token"], u["domain"]) == (username, token, domain)
            for u in self.users
        )


# What a sandbox started without seed data holds (`ledgerbridge demo`,
# `sandbox serve`): one company with a normal run in January and February
# and a March run correcting both.
DEMO_COMPANIES: list[dict[str, Any]] = [
    {
        "id": 12,
        "number": 1,
        "name": "Nordic Haulage Payroll AB",
        "debtor": 1,
        "costCenters": [*DEFAULT_COST_CENTERS, {"code": "300", "description": "Lager"}],
        "costUnits": [*DEFAULT_COST_UNITS, {"code": "20", "description": "Kontrakt B"}],
        "runs": [
            {"id": 90001, "number": 1, "year": 2024, "period": 1, "employees": 14},
            {"id": 90002, "number": 2, "year": 2024, "period": 2, "employees": 14},
            {
                "id": 90003,
                "number": 3,
                "year": 2024,
                "period": 3,
                "employees": 15,
                "description": "Maart met correcties",
                "corrections": [{"period": 1, "employees": 3}, {"period": 2, "employees": 2}],
            },
        ],
    }
]
DEMO_DEBTORS: list[dict[str, Any]] = [{"id": 1, "number": "D0001", "name": "Nordic Haulage Group"}]


def build_state(settings: Mapping[str, Any]) -> NmbrsState:
    users = [dict(u) for u in settings.get("users") or [DEMO_USER]]
    seeded = "companies" in settings or "generate" in settings
    debtors = {
        int(d["id"]): dict(d) for d in settings.get("debtors") or ([] if seeded else DEMO_DEBTORS)
    }
    companies = {}
    for spec in settings.get("companies") or ([] if seeded else DEMO_COMPANIES):
        company = _company(spec)
        companies[company.id] = company
    generate = settings.get("generate")
    if generate:
        for company in generated_companies(generate):
            companies[company.id] = company
    return NmbrsState(users, debtors, companies)


def _company(spec: Mapping[str, Any]) -> Company:
    company_id = int(spec["id"])
    return Company(
        id=company_id,
        number=int(spec.get("number", company_id)),
        name=str(spec.get("name") or f"Company {company_id}"),
        debtor=spec.get("debtor"),
        period=str(spec.get("period", "Month")),
        unauthorized=bool(spec.get("unauthorized", False)),
        cost_centers=list(spec.get("costCenters", DEFAULT_COST_CENTERS)),
        cost_units=list(spec.get("costUnits", DEFAULT_COST_UNITS)),
        runs=[_run(company_id, r) for r in spec.get("runs") or []],
    )


def _run(company_id: int, spec: Mapping[str, Any]) -> Run:
    period = int(spec.get("period", 1))
    return Run(
        id=int(spec["id"]),
        number=int(spec.get("number", period)),
        year=int(spec.get("year", 2024)),
        period_start=int(spec.get("periodStart", period)),
        period_end=int(spec.get("periodEnd", period)),
        locked=bool(spec.get("locked", True)),
        description=spec.get("description"),
        run_at=spec.get("runAt"),
        employees=int(spec.get("employees", 5)),
        corrections=list(spec.get("corrections") or []),
        transactions=spec.get("transactions"),
    )


def generated_companies(spec: Mapping[str, Any]) -> Sequence[Company]:
    """`generate`: companies 1001.., each with monthly runs 1..runs."""
    count, runs = int(spec.get("companies", 1)), int(spec.get("runs", 12))
    employees, year = int(spec.get("employees", 200)), int(spec.get("year", 2024))
    out = []
    for n in range(count):
        company_id = 1001 + n
        out.append(
            Company(
                id=company_id,
                number=101 + n,
                name=f"Bench Company {n + 1} AB",
                cost_centers=list(DEFAULT_COST_CENTERS),
                cost_units=list(DEFAULT_COST_UNITS),
                runs=[
                    Run(company_id * 100 + p, p, year, p, p, employees=employees)
                    for p in range(1, runs + 1)
                ],
            )
        )
    return out
