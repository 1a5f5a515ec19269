"""Articles both ways through the connector, over both emulators: the test
kit's two-way contract with either master for products."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from article_harness import ArticleHarness, harness

from ledgerbridge.core.workspace import Workspace
from ledgerbridge.testing.pytest_plugin import ConnectorRunner, SandboxFactory, TenantFactory
from ledgerbridge.testing.twoway import TwoWayContract


@pytest.mark.parametrize("master", ["pm", "eaccounting"])
class TestArticlesTwoWay(TwoWayContract):
    @pytest.fixture
    def two_way(
        self,
        lb_workspace: Workspace,
        lb_tenant: TenantFactory,
        lb_run: ConnectorRunner,
        lb_sandbox: SandboxFactory,
        master: str,
    ) -> Iterator[ArticleHarness]:
        sandbox = lb_sandbox("severa", "eaccounting")
        h = harness(lb_workspace, lb_tenant, lb_run, sandbox, master)
        yield h
        bad = [b for b in h.bodies if b[1] >= 400 and b[1] != 429]  # 429s are retried
        assert not bad, f"a body was refused: {bad}"
