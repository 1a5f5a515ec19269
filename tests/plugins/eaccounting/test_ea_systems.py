"""The plugin's two systems: tenants connect to them once, the connector names
the connections, and `connection test` checks both for real (eAccounting with
the connection's stored sign-in)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from customer_harness import PM_SECRET, setup_tenant

from ledgerbridge.core.registry import collect
from ledgerbridge.core.sandbox import Sandbox
from ledgerbridge.core.state.budgets import BudgetStore
from ledgerbridge.core.tokenstore import connection_secret, connector_secret
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


def served_with(lb_sandbox: SandboxFactory, company: dict[str, Any]) -> Sandbox:
    sandbox = lb_sandbox("severa", "eaccounting", settings={"eaccounting": {"company": company}})
    sandbox.serve()
    return sandbox


def ea_tokens(workspace: Workspace, secret: str = connection_secret("ea")) -> dict[str, Any]:
    raw = workspace.secrets.get("acme", secret)
    assert raw is not None
    return dict(json.loads(raw))


def test_connection_test_of_eaccounting_renews_the_sign_in_and_reads_the_company(
    served: Sandbox,
    lb_workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_cli: CliInvoker,
    lb_run: ConnectorRunner,
) -> None:
    setup_tenant(lb_workspace, lb_tenant, served, "pm")
    before = ea_tokens(lb_workspace)
    ok = lb_cli("connection", "test", "acme", "ea")
    assert ok.exit_code == 0, ok.output
    assert "Visma eAccounting renewed the stored sign-in (new tokens saved" in ok.output
    assert "Ledgerbridge Demo AB (organization number 556000-0000, country SE" in ok.output
    after = ea_tokens(lb_workspace)
    assert after["refresh_token"] != before["refresh_token"]  # rotated and saved
    for secret in (after["access_token"], after["refresh_token"], before["refresh_token"]):
        assert secret not in ok.output
    posts = [e for e in served.journal.entries() if e.path.endswith("/connect/token")]
    assert posts[-1].status == 200
    # the saved set is the live one: a run signs in with it
    assert lb_run("acme", "eaccounting").failed == 0


def test_connection_test_refuses_a_norwegian_company(
    lb_sandbox: SandboxFactory,
    lb_workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_cli: CliInvoker,
) -> None:
    sandbox = served_with(lb_sandbox, {"CountryCode": "NO", "Name": "Fjord Regnskap AS"})
    try:
        setup_tenant(lb_workspace, lb_tenant, sandbox, "pm")
        refused = lb_cli("connection", "test", "acme", "ea", "--json")
    finally:
        sandbox.stop()
    assert refused.exit_code == 3, refused.output
    report = json.loads(refused.output)
    assert report["ok"] is False
    assert "Fjord Regnskap AS is a Norwegian company (CountryCode NO)" in report["detail"]
    assert "not supported in Norway's Visma eAccounting" in report["detail"]
    assert "sign in to the Swedish eAccounting company instead" in report["detail"]


def test_connection_test_of_eaccounting_without_a_sign_in_says_how(
    served: Sandbox, lb_workspace: Workspace, lb_tenant: TenantFactory, lb_cli: CliInvoker
) -> None:
    setup_tenant(lb_workspace, lb_tenant, served, "pm")
    lb_workspace.secrets.delete("acme", connection_secret("ea"))
    refused = lb_cli("connection", "test", "acme", "ea")
    assert refused.exit_code == 3
    assert "has not authorized Visma eAccounting yet" in refused.output
    assert "ledgerbridge auth acme eaccounting" in refused.output


def test_tokens_from_before_connections_are_used_and_moved(
    served: Sandbox, lb_workspace: Workspace, lb_tenant: TenantFactory, lb_cli: CliInvoker
) -> None:
    """`ledgerbridge auth` kept eAccounting's tokens as eaccounting.oauth_tokens
    before tokens were per connection: no new sign-in is needed."""
    setup_tenant(lb_workspace, lb_tenant, served, "pm")
    old = lb_workspace.secrets.get("acme", connection_secret("ea"))
    assert old is not None
    lb_workspace.secrets.delete("acme", connection_secret("ea"))
    lb_workspace.secrets.set("acme", connector_secret("eaccounting"), old)
    ok = lb_cli("connection", "test", "acme", "ea")
    assert ok.exit_code == 0, ok.output
    assert lb_workspace.secrets.get("acme", connector_secret("eaccounting")) is None
    assert ea_tokens(lb_workspace)["refresh_token"] != json.loads(old)["refresh_token"]


def test_an_unused_eaccounting_connection_is_told_how_to_sign_in(
    served: Sandbox, lb_workspace: Workspace, lb_tenant: TenantFactory, lb_cli: CliInvoker
) -> None:
    setup_tenant(lb_workspace, lb_tenant, served, "pm")
    tenant = lb_workspace.tenant("acme")
    tenant.connections["ea2"] = {**tenant.connections["ea"]}
    lb_workspace.save_tenant(tenant)
    refused = lb_cli("connection", "test", "acme", "ea2")
    assert refused.exit_code == 3
    assert "has not authorized Visma eAccounting yet" in refused.output
    assert '"connections": {"eaccounting": "ea2"}' in refused.output
    assert lb_workspace.secrets.get("acme", connection_secret("ea2")) is None
