"""The product and customer registers, one flow per Visma.net company.

A department booked in its own company (`departments.<d>.connection`)
needs DUELL's customers there for its draft invoices and DUELL's items for
its stock issues, so every company a department is booked in receives the
registers through a flow of its own: `products` and `customers` for the
connector's company, `products@nord` and `customers@nord` for the company
of connection `nord`. Each flow has its own links in its company
(visma.py's `Company`), so a change in DUELL reaches every company, a
record refused in one company fails there alone, and a company that cannot
be reached stops its own flow only.

DUELL as base: DUELL -> each company (created or updated, matched as
products.py and customers.py say).

Visma.net as base: the connector's company is the base, as it is every
department's default. Its register goes to DUELL (`products`,
`customers`); the other companies receive DUELL's register as with DUELL as
base (`products@nord` ...), after the base's flow in the same run, so a
change made in the base company reaches them through DUELL in one run. A
company is never written from another company directly: what DUELL holds
(its prices and VAT rates) is what a shop sells by.
"""

from __future__ import annotations

from collections.abc import Mapping

from ledgerbridge import Flow
from ledgerbridge.core.context import RunContext
from ledgerbridge.plugins.pos_zreport import customers, products
from ledgerbridge.plugins.pos_zreport.duell.api import DuellApi
from ledgerbridge.plugins.pos_zreport.duell.listing import DuellList
from ledgerbridge.plugins.pos_zreport.settings import Settings
from ledgerbridge.plugins.pos_zreport.visma import DEFAULT, Companies, Company


def register_flows(ctx: RunContext, settings: Settings, companies: Companies) -> list[Flow]:
    """Products and customers, from their base system, when a DUELL connection is named."""
    named = ctx.config.get("connections")
    if not isinstance(named, Mapping) or not named.get("duell"):
        return []
    bases = {settings.product_base} if settings.products else set()
    bases |= {settings.customer_base} if settings.customers else set()
    if bases:  # the base company with Visma as base, and every receiver
        used = companies.used()
        companies.check_distinct(([DEFAULT] if "visma" in bases else []) + used)
    duell = DuellApi.for_connection(ctx.connection("duell"))
    flows: list[Flow] = []
    if settings.products:
        flows += product_flows(duell, settings, companies)
    if settings.customers:
        flows += customer_flows(duell, settings, companies)
    return flows


def receivers(base: str, companies: Companies) -> list[Company]:
    """The companies that receive DUELL's register: all in use with DUELL as
    base; with Visma.net as base, all but the base (the connector's)."""
    used = companies.used()
    return used if base == "duell" else [c for c in used if c != DEFAULT]


def product_flows(duell: DuellApi, settings: Settings, companies: Companies) -> list[Flow]:
    flows: list[Flow] = []
    if settings.product_base == "visma":
        flows.append(
            Flow(
                "products",
                "product",
                products.VismaItemSource(companies.api_of(DEFAULT), settings),
                products.DuellProductMapper(),
                products.DuellProductTarget(duell),
                description="Visma.net items -> DUELL products (cost price, barcode)",
            )
        )
    to = receivers(settings.product_base, companies)
    listing = DuellList(duell, "product/list", "products", readers=len(to))
    for company in to:
        flows.append(
            Flow(
                company.flow("products"),
                "product",
                products.DuellProductSource(listing),
                products.ItemMapper(settings),
                products.ItemTarget(companies.api_of(company), settings.barcode_type, company),
                description=f"DUELL products -> {company.title} items (by item number), barcodes",
            )
        )
    return flows


def customer_flows(duell: DuellApi, settings: Settings, companies: Companies) -> list[Flow]:
    flows: list[Flow] = []
    if settings.customer_base == "visma":
        flows.append(
            Flow(
                "customers",
                "customer",
                customers.VismaCustomerSource(companies.api_of(DEFAULT)),
                customers.DuellCustomerMapper(),
                customers.DuellCustomerTarget(duell),
                description="Visma.net customers -> DUELL",
            )
        )
    to = receivers(settings.customer_base, companies)
    listing = DuellList(duell, "customer/list", "customers", readers=len(to))
    for company in to:
        flows.append(
            Flow(
                company.flow("customers"),
                "customer",
                customers.DuellCustomerSource(listing),
                customers.CustomerMapper(settings),
                customers.VismaCustomerTarget(
                    companies.api_of(company), settings.allow_duplicate_customers, company
                ),
                description=f"DUELL customers -> {company.title} (matched by org. no., "
                "phone, email)",
            )
        )
    return flows


def names(flows: list[Flow], entity: str) -> tuple[str, ...]:
    """The flows of a register, for the flows that need it first."""
    return tuple(f.name for f in flows if f.entity == entity)
