"""The seed's settings: the master for products and the cost center for
projects are required, the cost center must exist and be active, and a
Norwegian eAccounting company is refused before anything is read or written."""

from __future__ import annotations

from typing import Any

import pytest
from customer_harness import CustomerHarness, harness, sample

from ledgerbridge.core.config import connector_config_problems
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.eaccounting.connector import CONNECTOR
from ledgerbridge.testing.pytest_plugin import ConnectorRunner, SandboxFactory, TenantFactory

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def build(
    lb_workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_run: ConnectorRunner,
    lb_sandbox: SandboxFactory,
    ea_settings: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
) -> CustomerHarness:
    sandbox = lb_sandbox("severa", "eaccounting", settings={"eaccounting": ea_settings or {}})
    return harness(lb_workspace, lb_tenant, lb_run, sandbox, "pm", config=config)


def api_writes(h: CustomerHarness) -> list[str]:
    return [
        f"{e.method} {e.path}"
        for e in h.sandbox.journal.entries()
        if e.method in WRITES and "token" not in e.path
    ]


def test_master_for_products_and_the_project_cost_center_are_required() -> None:
    problems = connector_config_problems(CONNECTOR, {"masterForCustomers": "pm"})
    text = "\n".join(problems)
    assert "masterForProducts" in text and "projectCostCenter" in text
    bad = {"masterForCustomers": "pm", "masterForProducts": "both", "projectCostCenter": 7}
    text = "\n".join(connector_config_problems(CONNECTOR, bad))
    assert "masterForProducts" in text and "projectCostCenter" in text
    good = {"masterForCustomers": "pm", "masterForProducts": "eaccounting",
            "projectCostCenter": "Projekt"}  # fmt: skip
    assert connector_config_problems(CONNECTOR, good) == []


def test_a_norwegian_eaccounting_company_is_refused_before_anything_moves(
    lb_workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_run: ConnectorRunner,
    lb_sandbox: SandboxFactory,
) -> None:
    h = build(lb_workspace, lb_tenant, lb_run, lb_sandbox, {"company": {"CountryCode": "NO"}})
    h.add("pm", sample(0))
    writes = api_writes(h)
    summary = h.run()
    assert summary.status == "aborted"
    assert summary.message is not None
    assert "Norwegian company (CountryCode NO)" in summary.message
    assert "not supported in Norway's Visma eAccounting" in summary.message
    assert "sign in to the Swedish eAccounting company" in summary.message
    assert api_writes(h) == writes, "nothing was written"


@pytest.mark.parametrize(
    ("center", "words"),
    [
        (
            "Kundprojekt",
            "has no cost center 'Kundprojekt' for Visma PM projects (its cost centers: 1 Avdelning",
        ),
        (3, "is inactive"),
    ],
)
def test_a_missing_or_inactive_project_cost_center_is_refused_with_the_fix(
    lb_workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_run: ConnectorRunner,
    lb_sandbox: SandboxFactory,
    center: Any,
    words: str,
) -> None:
    h = build(lb_workspace, lb_tenant, lb_run, lb_sandbox, config={"projectCostCenter": center})
    summary = h.run()
    assert summary.status == "aborted"
    assert summary.message is not None and words in summary.message
    assert "projectCostCenter" in summary.message
    assert api_writes(h) == []


def test_a_company_without_cost_centers_is_refused(
    lb_workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_run: ConnectorRunner,
    lb_sandbox: SandboxFactory,
) -> None:
    h = build(lb_workspace, lb_tenant, lb_run, lb_sandbox, {"company": {"UsesCostCenter": False}})
    summary = h.run()
    assert summary.status == "aborted"
    assert summary.message is not None and "does not use cost centers" in summary.message
