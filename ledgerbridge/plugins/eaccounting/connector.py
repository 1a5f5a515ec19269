"""The eaccounting connector: Visma PM <-> Visma eAccounting (seed 003, issue 9).

Built: customers and articles both ways on the two-way core, projects into
a cost center, PM invoices into eAccounting drafts with their status back,
and supplier invoices into PM project costs. The connector only declares the rules on its flows
(master from the config, first-sync match by number + name, code + name);
links, echo and conflicts are the engine's. A run first checks the
eAccounting company (company.py): not Norwegian, the cost center there.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.components import Connector, DemoSetup, Flow
from ledgerbridge.core.context import RunContext
from ledgerbridge.plugins.eaccounting.company import check_company, project_cost_center
from ledgerbridge.plugins.eaccounting.invoice_settings import check_invoice_settings
from ledgerbridge.plugins.eaccounting.settings import CONFIG_SCHEMA
from ledgerbridge.plugins.eaccounting.sync.article_flows import article_flows
from ledgerbridge.plugins.eaccounting.sync.customers import ENTITY, MATCH
from ledgerbridge.plugins.eaccounting.sync.ea_customers import (
    EaCustomerMapper,
    EaCustomerSource,
    EaCustomerTarget,
    EaReference,
)
from ledgerbridge.plugins.eaccounting.sync.invoice_flows import invoice_flows
from ledgerbridge.plugins.eaccounting.sync.pm_customers import (
    PmCustomerMapper,
    PmCustomerSource,
    PmCustomerTarget,
    PmReference,
)
from ledgerbridge.plugins.eaccounting.sync.projects import project_flows
from ledgerbridge.plugins.eaccounting.systems import EACCOUNTING, SEVERA, apis, authorization


def build_flows(ctx: RunContext) -> list[Flow]:
    pm, ea = apis(ctx)
    pm_ref, ea_ref = PmReference(pm), EaReference(ea)
    master = str(ctx.config["masterForCustomers"])
    company = check_company(ea)
    center = project_cost_center(ea, ctx.config["projectCostCenter"], company)
    flows = [
        Flow(
            "pm_customers",
            ENTITY,
            PmCustomerSource(pm, pm_ref),
            EaCustomerMapper(ea_ref),
            EaCustomerTarget(ea),
            master=master,
            match=MATCH,
        ),
        Flow(
            "eaccounting_customers",
            ENTITY,
            EaCustomerSource(ea),
            PmCustomerMapper(pm_ref),
            PmCustomerTarget(pm, pm_ref),
            master=master,
            match=MATCH,
        ),
    ]
    flows += article_flows(pm, ea, str(ctx.config["masterForProducts"]))
    flows += project_flows(ea, pm, center)
    return flows + invoice_flows(ctx, center.number)  # after customers, articles, projects


def demo(kit: Any) -> DemoSetup:
    from ledgerbridge.plugins.eaccounting.demo import demo_setup

    return demo_setup(kit)


CONNECTOR = Connector(
    "eaccounting",
    "Visma PM <-> Visma eAccounting",
    CONFIG_SCHEMA,
    build_flows,
    systems=(SEVERA, EACCOUNTING),
    authorization=authorization,
    demo=demo,
    check_config=check_invoice_settings,
    docs="docs/connectors/eaccounting.md",
)
