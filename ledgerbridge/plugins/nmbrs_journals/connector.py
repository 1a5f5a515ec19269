"""The nmbrs_journals connector: Nmbrs payroll journals -> the Visma.net
general ledger (seeds 001 and 002, issue 10).

One flow, write-once: a journal transaction is sent once, found again by its
description after a lost answer (visma_net's JournalTransactions target, the
tenant's Visma.net connection and rate budget), and a changed journal is
refused with the fix "book it as a correction run in Nmbrs".
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.components import Connector, Flow
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.errors import ConfigError
from ledgerbridge.core.state.links import LinkView
from ledgerbridge.plugins.nmbrs_journals.companies import CompanyJournalTarget, VismaCompanies
from ledgerbridge.plugins.nmbrs_journals.mapper import JournalMapper
from ledgerbridge.plugins.nmbrs_journals.nmbrs.api import NmbrsApi
from ledgerbridge.plugins.nmbrs_journals.nmbrs.system import NAME as NMBRS
from ledgerbridge.plugins.nmbrs_journals.nmbrs.system import base_url, soap_client
from ledgerbridge.plugins.nmbrs_journals.settings import (
    Settings,
    check_config,
    config_schema,
    load_settings,
)
from ledgerbridge.plugins.nmbrs_journals.source import ENTITY, NmbrsJournalSource

VISMA_NET = "visma_net"
STATE = "nmbrs_journals.nmbrs"


def nmbrs_api(ctx: RunContext) -> NmbrsApi:
    """The run's one Nmbrs client."""
    api = ctx.state.get(STATE)
    if not isinstance(api, NmbrsApi):
        conn = ctx.connection(NMBRS)
        api = NmbrsApi(soap_client(conn), base_url(conn))
        ctx.state[STATE] = api
    return api


def check_references(settings: Settings, companies: VismaCompanies) -> None:
    """Dimensions, branches and ledgers named in the mapping must exist in
    each administration's Visma.net company: a config error naming what
    does, before anything is read."""
    problems: list[str] = []
    for company in sorted(settings.administrations):
        admin = settings.administrations[company]
        at = f"administrations[nmbrsCompanyId={company}]"
        problems += companies.ref(admin).check(admin, at)
    if problems:
        raise ConfigError(
            "The nmbrs_journals mapping names what the Visma.net company does not have:",
            problems,
        )


def build_flows(ctx: RunContext) -> list[Flow]:
    settings = load_settings(ctx.config)
    companies = VismaCompanies(ctx)
    check_references(settings, companies)
    target = CompanyJournalTarget(settings, companies)
    return [
        Flow(
            "journals",
            ENTITY,
            NmbrsJournalSource(nmbrs_api(ctx), settings, ctx.clock),  # type: ignore[arg-type]
            JournalMapper(settings, companies.ref),
            target,
            description="Nmbrs payroll journals (per run and period) -> Visma.net journal "
            "transactions",
            mode="write-once",
            sent_once_fix="a journal is sent once: book the difference as a correction run "
            "in Nmbrs, which is sent as its own transaction",
        )
    ]


def sent_runs(links: LinkView) -> list[str]:
    """Which payroll runs of each company are in Visma.net (the seed's "the
    logo turns dark"): one line per company, its runs in number order, with
    the periods a run's journals went to."""
    periods: dict[str, dict[int, set[str]]] = {}
    for side in links.sides("nmbrs", ENTITY):
        company, run, period = [*side.key.split("/"), "", ""][:3]
        if run.isdigit():
            periods.setdefault(company, {}).setdefault(int(run), set()).add(period)
    lines = []
    for company in sorted(periods, key=lambda c: (len(c), c)):
        runs = periods[company]
        shown = ", ".join(
            f"{run} ({', '.join(sorted(p for p in runs[run] if p)) or '-'})" for run in sorted(runs)
        )
        lines.append(f"company {company}: {len(runs)} runs sent to Visma.net: {shown}")
    return lines


def _demo(kit: Any) -> Any:
    from ledgerbridge.plugins.nmbrs_journals.demo import demo_setup

    return demo_setup(kit)


CONNECTOR = Connector(
    name="nmbrs_journals",
    title="Nmbrs payroll journals -> Visma.net",
    config_schema=config_schema(),
    build_flows=build_flows,
    systems=(NMBRS, VISMA_NET),
    description="The journals of Nmbrs payroll runs (with corrections in the periods they "
    "correct) into the Visma.net general ledger as open journal transactions.",
    check_config=check_config,
    demo=_demo,
    status=sent_runs,
    docs="docs/connectors/nmbrs_journals.md",
)
