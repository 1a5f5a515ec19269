"""The invoice flows of the connector, built from the seed's settings.

    pm_invoices        PM invoices "to transfer" -> eAccounting drafts (write-once),
                       after the customers flows (an invoice needs its customer)
    invoice_status     sent/paid eAccounting invoices -> the PM invoice's status and
                       number (update-only, through the draft's link)
    supplier_costs     supplier invoice rows with a project -> PM project fees
                       (create-only: never twice)

The first two run when `invoiceStatuses` is set, the third when
`supplierInvoiceCosts` is.
"""

from __future__ import annotations

from ledgerbridge.core.components import Flow
from ledgerbridge.core.context import RunContext
from ledgerbridge.plugins.eaccounting.sync.draft_mapper import DraftMapper
from ledgerbridge.plugins.eaccounting.sync.drafts import (
    ENTITY,
    SENT_ONCE_FIX,
    DraftTarget,
    PmInvoiceSource,
)
from ledgerbridge.plugins.eaccounting.sync.invoice_setup import setup_for
from ledgerbridge.plugins.eaccounting.sync.status_back import (
    EaInvoiceSource,
    PmStatusTarget,
    StatusMapper,
)
from ledgerbridge.plugins.eaccounting.sync.supplier_costs import (
    ENTITY as COST,
)
from ledgerbridge.plugins.eaccounting.sync.supplier_costs import (
    ProjectFeeMapper,
    ProjectFeeTarget,
    SupplierCostSource,
    today_in_sweden,
    window,
)

# A draft needs its customer, its rows' articles and their cost center items.
DRAFT_NEEDS = ("pm_customers", "eaccounting_customers", "pm_articles", "pm_projects")


def invoice_flows(ctx: RunContext, project_center: int | None = None) -> list[Flow]:
    config = ctx.config
    flows: list[Flow] = []
    if not config.get("invoiceStatuses") and not config.get("supplierInvoiceCosts"):
        return flows
    setup = setup_for(ctx, project_center)
    pm, ea, links = setup.pm, setup.ea, ctx.links
    if config.get("invoiceStatuses"):
        flows.append(
            Flow(
                "pm_invoices",
                ENTITY,
                PmInvoiceSource(pm, setup),
                DraftMapper(setup, links, dry_run=ctx.options.dry_run),
                DraftTarget(ea, pm, setup, links),
                description="PM invoices to transfer -> eAccounting invoice drafts",
                depends_on=DRAFT_NEEDS,
                mode="write-once",
                sent_once_fix=SENT_ONCE_FIX,
            )
        )
        flows.append(
            Flow(
                "invoice_status",
                ENTITY,
                EaInvoiceSource(ea),
                StatusMapper(setup),
                PmStatusTarget(pm),
                description="sent or paid eAccounting invoices -> the PM invoice's status",
                depends_on=("pm_invoices",),
                mode="update-only",
            )
        )
    if config.get("supplierInvoiceCosts"):
        dates = window(
            config.get("supplierInvoiceDates", "this-week"), today_in_sweden(ctx.clock.now())
        )
        flows.append(
            Flow(
                "supplier_costs",
                COST,
                SupplierCostSource(ea, pm, setup, dates),
                ProjectFeeMapper(pm, config["supplierInvoiceCosts"] == "billable"),
                ProjectFeeTarget(pm, links),
                description="supplier invoice rows with a project -> PM project costs",
                mode="create-only",
            )
        )
    return flows
