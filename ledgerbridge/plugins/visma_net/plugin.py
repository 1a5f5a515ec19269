"""The visma_net plugin: hooks registering the connector, the Visma.net
system (what a tenant's connection to Visma.net holds), the reusable
Visma.net targets and the Visma.net emulator.

Registered through the `ledgerbridge` entry-point group in pyproject.toml,
exactly as a third-party plugin is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ledgerbridge import Connector, Flow, RunOption, hookimpl
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.errors import ConfigError
from ledgerbridge.core.parsecache import ParseCache
from ledgerbridge.core.parsecache import for_run as parse_cache
from ledgerbridge.core.systems import System
from ledgerbridge.plugins.visma_net.api import VismaNetApi
from ledgerbridge.plugins.visma_net.exportfolder import folder_problems
from ledgerbridge.plugins.visma_net.exportparts import SharedParse
from ledgerbridge.plugins.visma_net.ledger_targets import InventoryTarget, JournalTransactionTarget
from ledgerbridge.plugins.visma_net.mapper import CustomerMapper, InvoiceMapper
from ledgerbridge.plugins.visma_net.settings import VismaNetSettings, load_settings
from ledgerbridge.plugins.visma_net.source import OpterExportSource
from ledgerbridge.plugins.visma_net.system import SYSTEM
from ledgerbridge.plugins.visma_net.target import CustomerTarget, InvoiceTarget

INVOICE_WORKERS = 4


def config_schema() -> dict[str, Any]:
    text = (
        resources.files("ledgerbridge.schemas")
        .joinpath("visma_net.config.json")
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def check_config(config: Mapping[str, Any]) -> list[str]:
    """What JSON Schema cannot check: Start text, office code, row XSLT."""
    try:
        load_settings(config)
    except ConfigError as exc:
        return exc.problems or [str(exc)]
    return []


def check_environment(config: Mapping[str, Any], workspace: Path) -> list[str]:
    """`config validate`: the export folder must be there, readable and not
    empty (exportfolder.py says why); a run finds the same as a red run."""
    folder = config.get("exportFolder")
    if not isinstance(folder, str) or not folder:
        return []  # the schema check reports it
    return folder_problems(folder, workspace)


def build_flows(ctx: RunContext) -> list[Flow]:
    settings = load_settings(ctx.config, base=ctx.workspace)
    api = VismaNetApi.for_run(ctx)
    flows: list[Flow] = []
    customers = settings.start_text.disable_customer_export is not True
    # both flows read every export file: the customers flow, first, parses each
    # new or changed one for both, and the invoices flow replays it (exportparts.py)
    cache = parse_cache(ctx) if customers else None
    if customers:
        flows.append(
            Flow(
                "customers",
                "customer",
                _source(ctx, "customer", _shared(cache, spools=True)),
                CustomerMapper(settings),
                CustomerTarget(api),
                description="Opter customers on exported invoices -> Visma.net customers",
                update_if_newer=True,
            )
        )
    flows.append(
        Flow(
            "invoices",
            "invoice",
            _source(ctx, "invoice", _shared(cache, spools=False)),
            InvoiceMapper(settings),
            InvoiceTarget(api, ctx.bindings),
            description="Opter invoices and credit invoices -> Visma.net invoices, credit notes",
            depends_on=tuple(f.name for f in flows),
            mode="write-once",
            sent_once_fix="credit the invoice in Opter and export the credit note, or correct "
            "it in Visma.net by hand",
            # invoices are independent of each other; Visma.net limits calls per hour,
            # not calls in flight, so overlapping a few hides the network's latency
            concurrency=INVOICE_WORKERS,
        )
    )
    return flows


def _shared(cache: ParseCache | None, *, spools: bool) -> SharedParse | None:
    return None if cache is None else SharedParse(cache, spools=spools)


def _source(ctx: RunContext, entity: str, shared: SharedParse | None) -> OpterExportSource:
    return OpterExportSource.from_config(
        ctx.config,
        ctx.params,
        entity,  # type: ignore[arg-type]
        base=ctx.workspace,
        shared=shared,
    )


def _demo(kit: Any) -> Any:
    from ledgerbridge.plugins.visma_net.demo import demo_setup

    return demo_setup(kit)


CONNECTOR = Connector(
    name="visma_net",
    title="Opter invoice export -> Visma.net",
    config_schema=config_schema(),
    build_flows=build_flows,
    systems=(SYSTEM.name,),
    description="Invoices, credit notes and their customers from Opter-style export files "
    "into the Visma.net sales ledger.",
    run_options=(
        RunOption("period", "visma_net: export only this invoice period (repeatable).", True),
        RunOption("invoice", "visma_net: export only this invoice number (repeatable).", True),
    ),
    check_config=check_config,
    check_environment=check_environment,
    demo=_demo,
    docs="docs/connectors/visma_net.md",
)


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    register(CONNECTOR)


@hookimpl
def register_systems(register: Callable[[System], None]) -> None:
    """Visma.net: the connection visma_net, nmbrs_journals and pos_zreport share."""
    register(SYSTEM)


@hookimpl
def register_targets(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Visma.net targets other plugins build flows with:
    `ctx.target("visma_net.customers")` etc."""
    register("visma_net.customers", lambda ctx: CustomerTarget(VismaNetApi.for_run(ctx)))
    register(
        "visma_net.invoices", lambda ctx: InvoiceTarget(VismaNetApi.for_run(ctx), ctx.bindings)
    )
    register(
        "visma_net.journal_transactions",
        lambda ctx: JournalTransactionTarget(VismaNetApi.for_run(ctx)),
    )
    register("visma_net.inventory", lambda ctx: InventoryTarget(VismaNetApi.for_run(ctx)))
    register("visma_net.api", VismaNetApi.for_run)


@hookimpl
def register_emulators(register: Callable[[Any], None]) -> None:
    from ledgerbridge.plugins.visma_net.emulator import EMULATOR

    register(EMULATOR)


__all__ = ["CONNECTOR", "VismaNetSettings"]
