"""One emulated Nmbrs environment and one emulated Visma.net company, a tenant
running nmbrs_journals between them, and ways to read what Visma.net received."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.engine import RunSummary
from ledgerbridge.core.sandbox import Sandbox
from ledgerbridge.core.state.db import StateDB
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator import DEMO_USER, NmbrsState, state_of
from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator import EMULATOR as NMBRS
from ledgerbridge.plugins.visma_net.emulator import EMULATOR as VISMA
from ledgerbridge.plugins.visma_net.emulator import VismaState
from ledgerbridge.plugins.visma_net.emulator import state_of as visma_state
from ledgerbridge.plugins.visma_net.emulator.testing import connection as visma_connection
from ledgerbridge.testing import ConnectorRunner, TenantFactory

TENANT = "acme"
CONNECTOR = "nmbrs_journals"
SECRETS = {"nmbrs_token": DEMO_USER["token"]}


def company(cid: int, *runs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": cid, "number": cid - 10, "name": f"Bolag {cid} AB", "runs": list(runs), **extra}


def run(rid: int, period: int, year: int = 2024, **extra: Any) -> dict[str, Any]:
    return {"id": rid, "number": period, "year": year, "period": period, "employees": 4, **extra}


def line(account: str, side: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"account": account, "side": side, "value": value, "description": "Lön", **extra}


@dataclass
class Env:
    sandbox: Sandbox
    workspace: Workspace
    lb_tenant: TenantFactory
    lb_run: ConnectorRunner
    clock: FakeClock
    config: dict[str, Any]

    @property
    def nmbrs(self) -> NmbrsState:
        return state_of(self.sandbox.apps["nmbrs"])

    @property
    def visma(self) -> VismaState:
        return visma_state(self.sandbox.apps["visma_net"])

    def configure(self, **changes: Any) -> None:
        self.config = {**self.config, **changes}
        self.lb_tenant(TENANT, connector=CONNECTOR, config=self.config, secrets=SECRETS)

    def run(self, *, dry_run: bool = False, full: bool = False) -> RunSummary:
        return self.lb_run(
            TENANT, CONNECTOR, transport=self.sandbox.transport(), dry_run=dry_run, full=full
        )

    def received(self) -> list[dict[str, Any]]:
        """Every journal transaction Visma.net holds: the body as received."""
        return [doc["received"] for doc in self.visma.journal_transactions]

    def posts(self) -> int:
        return len(self.sandbox.journal.find(method="POST", path="/v2/journaltransaction"))

    def outcomes(self, summary: RunSummary) -> list[Any]:
        state = StateDB(self.workspace.db_path)
        try:
            return list(state.outcomes(summary.run_id))
        finally:
            state.close()


def make_env(
    workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_run: ConnectorRunner,
    clock: FakeClock,
    companies: list[dict[str, Any]],
    visma: dict[str, Any] | None = None,
    serve: bool = False,
    **config: Any,
) -> Env:
    sandbox = Sandbox(
        [VISMA, NMBRS],
        clock=clock,
        settings={"visma_net": dict(visma or {}), "nmbrs": {"companies": companies}},
    )
    if serve:  # on loopback, for the CLI
        sandbox.serve()
    base = sandbox.base_url("nmbrs")
    full = {
        **visma_connection(sandbox),
        "username": DEMO_USER["username"],
        "token": {"secret": "nmbrs_token"},
        "domain": DEMO_USER["domain"],
        "soapBaseUrl": f"{base}/soap/v3/",
        "fromYear": 2024,
        "administrations": [{"nmbrsCompanyId": c["id"], "branch": "1"} for c in companies],
        **config,
    }
    # visma_net's demo client: its secrets are given inline as secret names
    full["clientSecret"] = {"secret": "visma_client_secret"}
    full["tenantId"] = {"secret": "visma_tenant_id"}
    secrets = {
        **SECRETS,
        "visma_client_secret": visma_connection(sandbox)["clientSecret"],
        "visma_tenant_id": visma_connection(sandbox)["tenantId"],
    }
    SECRETS.update(secrets)
    env = Env(sandbox, workspace, lb_tenant, lb_run, clock, full)
    env.configure()
    return env
