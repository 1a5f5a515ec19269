"""Fixtures shared by the eaccounting tests.

`make` builds the invoice world (invoice_harness.py: both emulators seeded,
the tenant with the invoice settings) for the invoice, status, supplier-cost
and settings tests; the customer, article and project tests define a `make`
of their own, which takes precedence in their modules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from invoice_harness import InvoiceWorld, world

from ledgerbridge.core.workspace import Workspace
from ledgerbridge.testing.pytest_plugin import ConnectorRunner, SandboxFactory, TenantFactory


@pytest.fixture
def make(
    lb_workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_run: ConnectorRunner,
    lb_sandbox: SandboxFactory,
) -> Callable[..., InvoiceWorld]:
    def build(**kwargs: Any) -> InvoiceWorld:
        return world(lb_workspace, lb_tenant, lb_run, lb_sandbox, **kwargs)

    return build
