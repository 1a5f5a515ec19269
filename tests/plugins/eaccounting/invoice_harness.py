"""The invoice flows over both emulators in one sandbox: a PM organization
with the seed's statuses, a customer, a project and invoices; an eAccounting
company with articles and the project's cost center item. What each
emulator received is read from the sandbox journal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from customer_harness import setup_tenant

from ledgerbridge.core.engine import RunSummary
from ledgerbridge.core.sandbox import Sandbox
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import testing as ea
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.app import state_of as ea_state
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.state import EAccountingState
from ledgerbridge.plugins.eaccounting.pm.emulator import testing as pm
from ledgerbridge.plugins.eaccounting.pm.emulator.app import state_of as pm_state
from ledgerbridge.plugins.eaccounting.pm.emulator.state import SeveraState
from ledgerbridge.testing.pytest_plugin import ConnectorRunner, SandboxFactory, TenantFactory

ACME = "11111111-1111-4111-8111-111111111111"
BETA = "11111111-1111-4111-8111-222222222222"
PROJECT = "22222222-2222-4222-8222-222222222222"
INVOICE = "33333333-3333-4333-8333-333333333333"
ITEM = "44444444-4444-4444-8444-444444444444"
STATUSES = {
    "toTransfer": pm.TO_TRANSFER,
    "transferred": pm.TRANSFERRED,
    "sent": "Skickad",
    "paid": "Betald",
}
SETTINGS: dict[str, Any] = {
    "invoiceStatuses": STATUSES,
    "defaultArticleNumber": "99",
    "supplierInvoiceCosts": "billable",
}
ADDRESS = {"addressline": "Storgatan 1", "postalCode": "11122", "city": "Stockholm"}


def pm_customer(guid: str, number: int, name: str, **extra: Any) -> dict[str, Any]:
    address = {**ADDRESS, "isBillingAddress": True, "country": {"guid": pm.country_guid("SE")}}
    return {
        "guid": guid,
        "name": name,
        "number": number,
        "paymentTerm": 30,
        "addresses": [address],
        "contactPersons": [{"firstName": "Anna", "lastName": "Berg", "emails": ["a@x.se"]}],
        **extra,
    }


def pm_invoice(guid: str = INVOICE, customer: str = ACME, **extra: Any) -> dict[str, Any]:
    """An invoice to transfer: one work-type row on project 42."""
    return {
        "guid": guid,
        "statusName": pm.TO_TRANSFER,
        "customer": {"guid": customer},
        "projects": [{"guid": PROJECT}],
        "receiverAddress": {**ADDRESS, "country": {"name": "Sverige", "code2": "SE"}},
        "yourReference": "Eva Ek",
        "ourReference": "Olle Oj",
        "rows": [
            {
                "description": "Konsulttimmar januari",
                "quantity": 10,
                "unitPrice": 1000,
                "measurementUnit": "h",
                "code": ["KONS"],
                "rowType": "Hours",
            }
        ],
        **extra,
    }


def pm_seed(**extra: Any) -> dict[str, Any]:
    return {
        "invoice_statuses": pm.seed_statuses(),
        "customers": [pm_customer(ACME, 1001, "Acme AB")],
        "projects": [
            {"guid": PROJECT, "name": "Projekt A", "number": 42, "customer": {"guid": ACME}}
        ],
        "invoices": [pm_invoice()],
        **extra,
    }


def article(number: str, name: str, active: bool = True) -> dict[str, Any]:
    return {
        "IsActive": active,
        "Number": number,
        "Name": name,
        "NetPrice": 1000.0,
        "GrossPrice": 1250.0,
        "CodingId": ea.coding_id(),
        "UnitId": ea.unit_id("Timmar"),
    }


def ea_seed(**extra: Any) -> dict[str, Any]:
    return {
        "articles": [
            article("KONS", "Konsulttimme"),
            article("LIC", "Licens"),
            article("99", "Övrigt"),
        ],
        "cost_center_items": [
            {
                "Id": ITEM,
                "CostCenterId": ea.cost_center_id(2),
                "Name": "Projekt A",
                "ShortName": "42",
                "IsActive": True,
            }
        ],
        **extra,
    }


@dataclass
class InvoiceWorld:
    sandbox: Sandbox
    runner: ConnectorRunner
    workspace: Workspace

    @property
    def pm(self) -> SeveraState:
        return pm_state(self.sandbox.apps[pm.NAME])

    @property
    def ea(self) -> EAccountingState:
        return ea_state(self.sandbox.apps[ea.NAME])

    def run(self, **options: Any) -> RunSummary:
        return self.runner("acme", "eaccounting", transport=self.sandbox.transport(), **options)

    def received(self, method: str, path_end: str, ok: bool = True) -> list[Any]:
        """The bodies an emulator took (answered < 300 when `ok`)."""
        return [
            e.body
            for e in self.sandbox.journal.entries()
            if e.method == method
            and e.path.rstrip("/").endswith(path_end)
            and (not ok or (e.status is not None and e.status < 300))
        ]

    def ea_client(self) -> httpx.Client:
        """An eAccounting user (the operator) working in the UI."""
        return ea.api_client(self.sandbox)

    def status_of(self, guid: str = INVOICE) -> str:
        return str(self.pm.invoices.get(guid)["status"]["name"])

    def flow(self, summary: RunSummary, name: str) -> Any:
        return next(f for f in summary.flows if f.name == name)

    def errors(self, summary: RunSummary, flow: str) -> list[dict[str, Any]]:
        return [e for e in summary.errors if e["flow"] == flow]


def world(
    workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_run: ConnectorRunner,
    lb_sandbox: SandboxFactory,
    *,
    pm_settings: Mapping[str, Any] | None = None,
    ea_settings: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    faults: Any = (),
) -> InvoiceWorld:
    sandbox = lb_sandbox(
        "severa",
        "eaccounting",
        faults=faults,
        settings={
            "severa": dict(pm_settings if pm_settings is not None else pm_seed()),
            "eaccounting": dict(ea_settings if ea_settings is not None else ea_seed()),
        },
    )
    setup_tenant(workspace, lb_tenant, sandbox, "pm", extra=SETTINGS if config is None else config)
    return InvoiceWorld(sandbox, lb_run, workspace)


def _status_guid(self: InvoiceWorld, name: str) -> str:
    return str(self.pm.invoice_statuses.first(name=name)["guid"])


InvoiceWorld.pm_status_guid = _status_guid  # type: ignore[attr-defined]
