"""The eaccounting connector: Visma PM <-> Visma eAccounting (seed 003, issue 9).

Built: customers both ways on the two-way core. The connector only declares
the rules on its flows (master from the config, first-sync match by number +
name); links, echo and conflicts are the engine's.
"""

from __future__ import annotations

from ledgerbridge.core.components import Connector, Flow
from ledgerbridge.core.context import RunContext
from ledgerbridge.plugins.eaccounting.invoice_settings import check_invoice_settings
from ledgerbridge.plugins.eaccounting.settings import CONFIG_SCHEMA
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
from ledgerbridge.plugins.eaccounting.systems import EACCOUNTING, SEVERA, apis, authorization


def build_flows(ctx: RunContext) -> list[Flow]:
    pm, ea = apis(ctx)
    pm_ref, ea_ref = PmReference(pm), EaReference(ea)
    master = str(ctx.config["masterForCustomers"])
    return [
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
        *invoice_flows(ctx),
    ]


CONNECTOR = Connector(
    "eaccounting",
    "Visma PM <-> Visma eAccounting",
    CONFIG_SCHEMA,
    build_flows,
    systems=(SEVERA, EACCOUNTING),
    authorization=authorization,
    check_config=check_invoice_settings,
    docs="docs/connectors/eaccounting.md",
)
