"""The plugin's two systems: tenants connect to them once, the connector names
the connections, and `connection test` checks Visma PM for real."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from customer_harness import PM_SECRET, setup_tenant

from ledgerbridge.core.registry import collect
from ledgerbridge.core.sandbox import Sandbox
from ledgerbridge.core.state.budgets import BudgetStore
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.testing.pytest_plugin import (
    CliInvoker,
    ConnectorRunner,
    SandboxFactory,
    TenantFactory,
)


@pytest.fixture
def served(lb_sandbox: SandboxFactory) -> Iterator[Sandbox]:
    sandbox = lb_sandbox("severa", "eaccounting")
    sandbox.serve()  # on loopback: `connection test` uses the network
    yield sandbox
    sandbox.stop()


def test_the_connector_talks_to_both_systems() -> None:
    components = collect()
    assert {"severa", "eaccounting"} <= set(components.systems)
    connector = components.connector("eaccounting")
    assert tuple(connector.systems) == ("severa", "eaccounting")
    assert connector.authorization is not None
    assert connector.config_schema["properties"]["masterForCustomers"]["enum"] == [
        "pm",
        "eaccounting",
    ]


def test_connection_test_of_visma_pm_gets_a_token_and_reads(
    served: Sandbox, lb_workspace: Workspace, lb_tenant: TenantFactory, lb_cli: CliInvoker
) -> None:
    setup_tenant(lb_workspace, lb_tenant, served, "pm")
    ok = lb_cli("connection", "test", "acme", "pm")
    assert ok.exit_code == 0, ok.output
    assert "Visma PM issued a token for client" in ok.output
    assert "active currencies: SEK" in ok.output
    lb_workspace.secrets.set("acme", PM_SECRET, "not-the-secret")
    refused = lb_cli("connection", "test", "acme", "pm")
    assert refused.exit_code != 0
    assert "did not accept the client credentials" in refused.output
    assert "not-the-secret" not in refused.output


def test_a_config_without_a_master_is_refused_by_the_run(
    lb_sandbox: SandboxFactory,
    lb_workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_cli: CliInvoker,
) -> None:
    setup_tenant(lb_workspace, lb_tenant, lb_sandbox("severa", "eaccounting"), "pm")
    lb_tenant("acme", connector="eaccounting", config={"masterForCustomers": "both"})
    result = lb_cli("run", "acme", "eaccounting")
    assert result.exit_code != 0
    assert "masterForCustomers" in result.output


def test_a_run_in_the_sandbox_counts_each_eaccounting_endpoint_apart(
    lb_sandbox: SandboxFactory,
    lb_workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_run: ConnectorRunner,
) -> None:
    """The emulator is mounted under /eaccounting: its endpoints are still
    customers, articles, ... (600 a minute each), not one "eaccounting"."""
    sandbox = lb_sandbox("severa", "eaccounting")
    setup_tenant(lb_workspace, lb_tenant, sandbox, "pm")
    summary = lb_run("acme", "eaccounting", transport=sandbox.transport())
    assert summary.failed == 0
    store = BudgetStore(lb_workspace.db_path)
    try:
        endpoints = {k.split("#", 1)[1] for k in store.keys("acme/ea") if "#" in k}
    finally:
        store.close()
    assert {"companysettings", "customers", "articles", "costcenters"} <= endpoints
    assert "eaccounting" not in endpoints
