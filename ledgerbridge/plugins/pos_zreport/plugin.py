"""The pos_zreport plugin: DUELL POS daily settlements, invoice bases,
products and customers into Visma.net (seed 004, DUELL's "Visma.NET ERP
Financial" article; docs/connectors/pos_zreport.md).

Registered through the `ledgerbridge` entry-point group in pyproject.toml.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ledgerbridge import Connector, Flow, RunOption, hookimpl
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.errors import ConfigError
from ledgerbridge.core.parsecache import for_run as parse_cache
from ledgerbridge.core.systems import System
from ledgerbridge.plugins.pos_zreport import registers
from ledgerbridge.plugins.pos_zreport.duell.system import SYSTEM as DUELL
from ledgerbridge.plugins.pos_zreport.invoices import DraftInvoiceTarget, InvoiceBasisMapper
from ledgerbridge.plugins.pos_zreport.journal import ZReportMapper
from ledgerbridge.plugins.pos_zreport.saft.parts import SharedParse
from ledgerbridge.plugins.pos_zreport.settings import (
    Settings,
    config_schema,
    load_settings,
    problems,
)
from ledgerbridge.plugins.pos_zreport.source import SaftSource
from ledgerbridge.plugins.pos_zreport.stock import StockIssueMapper, StockIssueTarget
from ledgerbridge.plugins.pos_zreport.targets import ZReportTarget
from ledgerbridge.plugins.pos_zreport.visma import Catalog, Companies

SENT_ONCE = (
    "a Z report is booked once: correct the open batch in Visma.net (it is not released), "
    "or book the difference as a new settlement in DUELL"
)


def check_config(config: Mapping[str, Any]) -> list[str]:
    return problems(config)


def transfer_departments(ctx: RunContext, settings: Settings) -> frozenset[str] | None:
    """Which departments' settlements and invoices this run sends: all with
    automatic transfer on; otherwise only those named with --transfer."""
    asked = ctx.params.get("transfer") or ()
    if isinstance(asked, str):
        asked = (asked,)
    if "all" in asked:
        return None
    unknown = sorted(set(asked) - set(settings.departments))
    if unknown:
        raise ConfigError(
            f"--transfer names departments the config does not have: {', '.join(unknown)} "
            f"(departments: {', '.join(sorted(settings.departments))}, or 'all')"
        )
    if asked:
        return frozenset(asked)
    return None if settings.automatic_transfer else frozenset()


def build_flows(ctx: RunContext) -> list[Flow]:
    settings = load_settings(ctx.config, base=ctx.workspace)
    companies = Companies(ctx, settings)
    catalog = Catalog(companies)
    flows = registers.register_flows(ctx, settings, companies)
    send = transfer_departments(ctx, settings)
    if send is not None and not send:
        ctx.log.info("automaticTransfer is off: no settlement or invoice is sent (--transfer)")
        return flows
    source = _saft_sources(ctx, settings, send)
    if settings.zreport:
        flows.append(
            Flow(
                "zreports",
                "zreport",
                source("zreport"),
                ZReportMapper(settings, catalog),
                ZReportTarget(companies),
                description="DUELL Z reports (SAF-T) -> open journal batches in Visma.net",
                mode="write-once",
                sent_once_fix=SENT_ONCE,
            )
        )
    if settings.invoices:
        flows.append(
            Flow(
                "invoice_bases",
                "invoice_basis",
                source("invoice_basis"),
                InvoiceBasisMapper(settings),
                DraftInvoiceTarget(companies, ctx.links, settings),
                description="DUELL credit sales (fakturagrunnlag) -> draft invoices on hold",
                depends_on=registers.names(flows, "customer"),
                mode="write-once",
                sent_once_fix="finish or correct the draft invoice in Visma.net, or credit "
                "the sale in DUELL",
            )
        )
    if settings.stock:
        flows.append(
            Flow(
                "stock",
                "stock_issue",
                source("stock_issue"),
                StockIssueMapper(settings),
                StockIssueTarget(companies),
                description="DUELL sales per settlement -> released inventory issues",
                depends_on=registers.names(flows, "product"),
                mode="write-once",
                sent_once_fix="correct the stock in Visma.net with an inventory adjustment",
            )
        )
    return flows


def _saft_sources(
    ctx: RunContext, settings: Settings, send: frozenset[str] | None
) -> Callable[[str], SaftSource]:
    """The SAF-T flows' sources. The flows on read the same files, in this
    order (their dependencies come before all three): the first to parse a
    new or changed file parses it for the later ones, which replay it
    (saft/parts.py); the last spools nothing. One flow alone uses no cache."""
    on = [
        entity
        for entity, wanted in (
            ("zreport", settings.zreport),
            ("invoice_basis", settings.invoices),
            ("stock_issue", settings.stock),
        )
        if wanted
    ]
    cache = parse_cache(ctx) if len(on) > 1 else None

    def source(entity: str) -> SaftSource:
        shared = None if cache is None else SharedParse(cache, spools=entity != on[-1])
        return SaftSource(settings, entity, send, shared)

    return source


def _demo(kit: Any) -> Any:
    from ledgerbridge.plugins.pos_zreport.demo import demo_setup

    return demo_setup(kit)


CONNECTOR = Connector(
    name="pos_zreport",
    title="DUELL POS -> Visma.net",
    config_schema=config_schema(),
    build_flows=build_flows,
    systems=("visma_net", DUELL.name),
    description="DUELL daily settlements (Z reports) and credit sales from SAF-T Cash "
    "Register files, products and customers from the DUELL API, into Visma.net.",
    run_options=(
        RunOption(
            "transfer",
            "pos_zreport: send this department's settlements and invoices now, when "
            "automaticTransfer is off (repeatable; 'all' for every department).",
            True,
        ),
    ),
    check_config=check_config,
    demo=_demo,
    docs="docs/connectors/pos_zreport.md",
)


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    register(CONNECTOR)


@hookimpl
def register_systems(register: Callable[[System], None]) -> None:
    """DUELL: the connection products and customers are read and written through."""
    register(DUELL)


@hookimpl
def register_emulators(register: Callable[[Any], None]) -> None:
    from ledgerbridge.plugins.pos_zreport.duell.emulator import EMULATOR

    register(EMULATOR)
