"""A tenant with pos_zreport enabled against the emulated Visma.net (and
DUELL), SAF-T files written by the generator into its departments' folders."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.connections import StoredConnection
from ledgerbridge.core.engine import RunSummary
from ledgerbridge.core.sandbox import Emulator, Sandbox
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.pos_zreport.saft.generator import Day, Line, Receipt, Shop, write_saft
from ledgerbridge.plugins.visma_net.emulator import EMULATOR as VISMA
from ledgerbridge.plugins.visma_net.emulator.app import state_of
from ledgerbridge.plugins.visma_net.emulator.auth import TOKEN_PATH
from ledgerbridge.plugins.visma_net.emulator.state import VismaState
from ledgerbridge.plugins.visma_net.emulator.testing import connection
from ledgerbridge.testing import ConnectorRunner, TenantFactory

D = Decimal
SHOPS = {
    "sentrum": Shop(location="Butikk Sentrum", register="1"),
    "storgata": Shop(location="Storgata", register="7"),
}


def base_config(folder: Path) -> dict[str, Any]:
    return {
        "connection": "visma",
        "saftFolder": str(folder),
        "departments": {
            "sentrum": {
                "name": "Butikk Sentrum",
                "branch": "1",
                "costBearer": {"segmentId": 1, "segmentValue": "100"},
                "warehouse": "BUTIKK1",
            },
            "storgata": {
                "name": "Storgata",
                "branch": "2",
                "costBearer": {"segmentId": 1, "segmentValue": "200"},
                "warehouse": "BUTIKK2",
            },
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
                "GAVEKORT": "2900",
            },
            "revenue": {"25": "3000", "15": "3020", "12": "3030", "0": "3100"},
            "rounding": "7740",
            "tips": "2960",
            "giftCards": "2900",
            "cashDifference": "7790",
            "stockChange": "4390",
            "inventory": "1460",
            "payOuts": {"BANK": "1950"},
        },
    }


def a_day(date: str, report: str, *, time: str = "12:00:00", cash: bool = True) -> Day:
    """A small, ordinary day: coffee and a bun by card, a notebook in cash (rounded)."""
    receipts = [
        Receipt(
            [
                Line("1001", D(2), D("45.00"), "25.00", D("9.00")),
                Line("1002", D(1), D("38.00"), "15.00", D("11.50")),
            ],
            "BANKAXEPT",
            time,
        )
    ]
    if cash:
        receipts.append(
            Receipt([Line("2002", D(1), D("49.90"), "25.00", D("14.20"))], "CASH", time)
        )
    return Day(date=date, report_id=report, receipts=receipts)


@dataclass
class PosEnv:
    workspace: Workspace
    sandbox: Sandbox
    folder: Path
    runner: Callable[..., RunSummary]
    config: dict[str, Any]
    tenant_factory: TenantFactory
    files: list[Path] = field(default_factory=list)

    @property
    def visma(self) -> VismaState:
        return state_of(self.sandbox.apps["visma_net"])

    def company(self, connection: str) -> VismaState:
        """The Visma.net company behind another connection (`companies=`)."""
        return state_of(self.sandbox.apps[company_emulator(connection)])

    def app(self, name: str) -> Any:
        return self.sandbox.apps[name]

    def write(self, dept: str, name: str, days: Sequence[Day], **kw: Any) -> Path:
        folder = self.folder / dept
        folder.mkdir(parents=True, exist_ok=True)
        path = write_saft(folder / name, kw.pop("shop", SHOPS[dept]), days, **kw)
        self.files.append(path)
        return path

    def side(self, dept: str, name: str, settlements: list[dict[str, Any]]) -> None:
        stem = Path(name).stem
        (self.folder / dept / f"{stem}.settlement.json").write_text(
            json.dumps({"format": "pos_zreport.settlement/1", "settlements": settlements}),
            encoding="utf-8",
        )

    def configure(self, **changes: Any) -> None:
        config = copy.deepcopy(self.config)
        config.update(changes)
        self.config = config
        self.tenant_factory("acme", connector="pos_zreport", config=config)

    def run(self, **kw: Any) -> RunSummary:
        return self.runner("acme", "pos_zreport", transport=self.sandbox.transport(), **kw)

    def journals(self) -> list[dict[str, Any]]:
        return self.visma.journal_transactions.all()

    def posts(self, path: str) -> int:
        return len(self.sandbox.journal.find(method="POST", path=path))


def make_env(
    workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_run: ConnectorRunner,
    tmp_path: Path,
    *,
    emulators: Sequence[Emulator] = (),
    settings: dict[str, dict[str, Any]] | None = None,
    clock: FakeClock | None = None,
    duell: dict[str, Any] | None = None,
    companies: Mapping[str, dict[str, Any]] | None = None,
    **config: Any,
) -> PosEnv:
    """`companies`: more Visma.net companies, each an emulator of its own
    (its seed settings) behind a connection of that name."""
    from ledgerbridge.plugins.pos_zreport.duell.emulator import EMULATOR as DUELL

    settings = dict(settings or {})
    if duell is not None:
        emulators = (*emulators, DUELL)
        settings["duell"] = duell
        config = {
            "connections": {"visma_net": "visma", "duell": "pos"},
            "itemClass": "VARER",
            **config,
        }
    more = []
    for name, seeded in (companies or {}).items():
        emulator = company_emulator(name)
        more.append(dataclasses.replace(VISMA, name=emulator, prefix=f"/{emulator}"))
        settings[emulator] = seeded
    sandbox = Sandbox([VISMA, *more, *emulators], clock=clock or FakeClock(), settings=settings)
    folder = tmp_path / "saft"
    folder.mkdir()
    conf = {**base_config(folder), **config}
    if "connections" in conf:
        conf.pop("connection", None)
    for dept in conf["departments"]:
        (folder / dept).mkdir()
    vn = connection(sandbox)
    lb_tenant(
        "acme",
        connector="pos_zreport",
        config=conf,
        secrets={"visma_client_secret": vn["clientSecret"], "visma_tenant_id": vn["tenantId"]},
    )
    record = workspace.tenant("acme")
    settings_vn = {
        **vn,
        "clientSecret": {"secret": "visma_client_secret"},
        "tenantId": {"secret": "visma_tenant_id"},
    }
    record.connections["visma"] = StoredConnection("visma", "visma_net", settings_vn).to_json()
    for name in companies or {}:
        base = sandbox.base_url(company_emulator(name))
        own = {**settings_vn, "apiBaseUrl": base, "tokenUrl": base + TOKEN_PATH}
        record.connections[name] = StoredConnection(name, "visma_net", own).to_json()
    if duell is not None:
        base = sandbox.base_url("duell")
        record.connections["pos"] = StoredConnection(
            "pos",
            "duell",
            {
                "baseUrl": base + "/v1/",
                "clientNumber": "722490",
                "clientToken": {"secret": "duell_token"},
            },
        ).to_json()
        workspace.secrets.set("acme", "duell_token", "duell-demo-token")
    workspace.save_tenant(record)
    return PosEnv(workspace, sandbox, folder, lb_run, conf, lb_tenant)


def company_emulator(connection: str) -> str:
    return f"visma_net_{connection}"


def amounts(journal: dict[str, Any]) -> dict[tuple[str, str], Decimal]:
    """(account, "D"/"C") -> total, from what Visma.net received."""
    out: dict[tuple[str, str], Decimal] = {}
    for line in journal["received"]["journalTransactionLines"]:
        for side, name in (("D", "debitAmountInCurrency"), ("C", "creditAmountInCurrency")):
            value = D(str(line.get(name) or 0))
            if value:
                key = (line["accountNumber"], side)
                out[key] = out.get(key, D(0)) + value
    return out


def totals(journal: dict[str, Any]) -> tuple[Decimal, Decimal]:
    lines = journal["received"]["journalTransactionLines"]
    debit = sum((D(str(ln["debitAmountInCurrency"])) for ln in lines), D(0))
    credit = sum((D(str(ln["creditAmountInCurrency"])) for ln in lines), D(0))
    return debit, credit
