"""Customers both ways through the connector, over both emulators: the test
kit's two-way contract with either master."""

from __future__ import annotations

import pytest
from customer_harness import CustomerHarness, harness

from ledgerbridge.core.workspace import Workspace
from ledgerbridge.testing.pytest_plugin import ConnectorRunner, SandboxFactory, TenantFactory
from ledgerbridge.testing.twoway import TwoWayContract


@pytest.mark.parametrize("master", ["pm", "eaccounting"])
class TestCustomersTwoWay(TwoWayContract):
    @pytest.fixture
    def two_way(
        self,
        lb_workspace: Workspace,
        lb_tenant: TenantFactory,
        lb_run: ConnectorRunner,
        lb_sandbox: SandboxFactory,
        master: str,
    ) -> CustomerHarness:
        sandbox = lb_sandbox("severa", "eaccounting")
        h = harness(lb_workspace, lb_tenant, lb_run, sandbox, master)
        yield h
        bad = [(e, s, b) for e, s, b in h.bodies if s >= 400]
        assert not bad, f"a body was refused: {bad}"
