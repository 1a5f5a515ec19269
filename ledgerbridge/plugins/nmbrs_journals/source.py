"""Payroll journals out of Nmbrs, one record per run and financial period.

For every mapped company and every year from `fromYear` (default last
year) to this year, the runs (`Run_GetList`) are read in order of their
number, and the journal XML of each locked run is read and split into its
transactions: the run's own period and one per period it corrects (seed
001: "booked in the period over which the correction will go"). Each
becomes a record keyed `COMPANY/RUN/YYYYMM`, sent as one Visma.net journal
transaction.

Cursors are kept per company and year (the partition `COMPANY/YEAR`): the
position is `RUN-NUMBER:I/N`, the I-th of the run's N records. A run of
2023 made after 2024's runs began is read, because 2023 has its own
cursor; a run whose records were all sent is not read again, so a run
that changed nothing costs one `Run_GetList` per company and year.

A run that is not locked yet (still being calculated) is not sent, and the
later runs of its company and year wait for it, so none is ever skipped.
A company Nmbrs lists that has no mapping is reported, never skipped in
silence (list it under ignoreCompanies to leave it out on purpose).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.http import ApiError
from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.plugins.nmbrs_journals.nmbrs import errors
from ledgerbridge.plugins.nmbrs_journals.nmbrs.api import NmbrsApi
from ledgerbridge.plugins.nmbrs_journals.nmbrs.journalxml import (
    JournalError,
    Transaction,
    parse_journal,
)
from ledgerbridge.plugins.nmbrs_journals.settings import Settings

ENTITY = "journal"
COMPANY = "company"


@dataclass(frozen=True)
class Position:
    """Where a partition's cursor stands: record `index` of `total` of run `run`."""

    run: int
    index: int
    total: int

    @classmethod
    def parse(cls, text: str | None) -> Position | None:
        if not text:
            return None
        try:
            run, rest = text.split(":", 1)
            index, total = rest.split("/", 1)
            return cls(int(run), int(index), int(total))
        except ValueError:
            return None  # not ours: read the partition from its start

    def text(self) -> str:
        return f"{self.run:06d}:{self.index}/{self.total}"

    def done_with(self, run: int) -> bool:
        return run < self.run or (run == self.run and self.index >= self.total)


def company_label(company: Mapping[str, Any]) -> str:
    return f"Nmbrs company {company.get('Number')} '{company.get('Name')}' (ID {company.get('ID')})"


class NmbrsJournalSource:
    system = "nmbrs"
    title = "Nmbrs"
    partitioned = True

    def __init__(self, api: NmbrsApi, settings: Settings, clock: Clock) -> None:
        self.api = api
        self.settings = settings
        self.clock = clock

    def years(self) -> range:
        this = datetime.fromtimestamp(self.clock.now(), UTC).year
        first = self.settings.from_year or this - 1
        return range(first, this + 1)

    def read(self, since: Mapping[str, str] | None) -> Iterator[Record | Rejected]:
        cursors = dict(since or {})
        companies = {int(c["ID"]): c for c in self.api.companies()}
        yield from self._unmapped(companies)
        for company_id in sorted(self.settings.administrations):
            company = companies.get(company_id)
            if company is None:
                yield _not_visible(company_id, sorted(companies))
                continue
            admin = self.settings.administrations[company_id]
            for year in self.years():
                yield from self._partition(company, year, admin.dimensions, cursors)

    def _unmapped(self, companies: Mapping[int, Mapping[str, Any]]) -> Iterator[Rejected]:
        for company_id, company in sorted(companies.items()):
            if company_id in self.settings.administrations or company_id in self.settings.ignored:
                continue
            yield Rejected(
                COMPANY,
                str(company_id),
                RecordError(
                    f"{company_label(company)} has no administration mapping: its journals "
                    "are not sent to Visma.net",
                    field="administrations",
                    value=str(company_id),
                    rule="every Nmbrs company is mapped to a Visma.net administration, or "
                    "ignored on purpose",
                    fix=f'add {{"nmbrsCompanyId": {company_id}}} (with its branch and '
                    "dimensions) under administrations in the config, or add "
                    f"{company_id} to ignoreCompanies",
                ),
            )

    def _partition(
        self, company: Mapping[str, Any], year: int, dimensions: bool, cursors: Mapping[str, str]
    ) -> Iterator[Record | Rejected]:
        company_id = int(company["ID"])
        partition = f"{company_id}/{year}"
        at = Position.parse(cursors.get(partition))
        try:
            runs = sorted(self.api.runs(company_id, year), key=lambda r: int(r["Number"]))
        except ApiError as exc:
            if exc.retryable:
                raise
            yield _company_refused(company, year, exc, partition)
            return
        for run in runs:
            number = int(run["Number"])
            if at is not None and at.done_with(number):
                continue
            if not run.get("IsLocked"):
                return  # the later runs wait for this one (see the module docstring)
            try:
                xml = self.api.journal(company_id, int(run["ID"]), year, dimensions)
                records = journal_records(company, run, parse_journal(xml), partition)
            except JournalError as exc:
                yield _unreadable(company, run, str(exc), partition)
                return
            except ApiError as exc:
                if exc.retryable:
                    raise
                yield _company_refused(company, year, exc, partition, run)
                return
            skip = at.index if at is not None and at.run == number else 0
            yield from records[skip:]


def journal_records(
    company: Mapping[str, Any], run: Mapping[str, Any], txs: list[Transaction], partition: str
) -> list[Record]:
    """One record per financial period of the run, in period order; the
    period of the latest date is the run's own, the others corrections."""
    by_period: dict[str, list[Transaction]] = {}
    for tx in txs:
        by_period.setdefault(tx.booked.strftime("%Y%m"), []).append(tx)
    periods = sorted(by_period)
    own = periods[-1] if periods else None
    number, total = int(run["Number"]), len(periods)
    records = []
    for index, period in enumerate(periods, start=1):
        group = by_period[period]
        booked = max(tx.booked for tx in group)
        data = {
            "company": {k.lower(): company.get(k) for k in ("ID", "Number", "Name")},
            "run": {
                "id": int(run["ID"]),
                "number": number,
                "year": int(run["Year"]),
                "periodStart": run.get("PeriodStart"),
                "periodEnd": run.get("PeriodEnd"),
                "description": run.get("Description"),
            },
            "period": period,
            "date": booked.isoformat(),
            "correction": period != own,
            "currency": next((tx.currency for tx in group if tx.currency), None),
            "lines": [
                {
                    "account": ln.account,
                    "side": ln.side,
                    "value": str(ln.value.quantize(Decimal("0.01"))),
                    "description": ln.description,
                    "costCenter": ln.cost_center,
                    "costUnit": ln.cost_unit,
                }
                for tx in group
                for ln in tx.lines
            ],
        }
        records.append(
            Record(
                ENTITY,
                f"{company['ID']}/{run['ID']}/{period}",
                data,
                updated_at=str(run.get("RunAt") or "") or None,
                partition=partition,
                cursor=Position(number, index, total).text(),
            )
        )
    return records


def _not_visible(company_id: int, visible: list[int]) -> Rejected:
    shown = ", ".join(str(c) for c in visible[:20]) or "none"
    return Rejected(
        COMPANY,
        str(company_id),
        RecordError(
            f"the administrations map Nmbrs company {company_id}, which the Nmbrs user cannot "
            "see (List_GetAll does not list it)",
            field="administrations",
            value=str(company_id),
            rule=f"a mapped company must be one the Nmbrs user has access to ({shown})",
            fix="correct nmbrsCompanyId, or give the Nmbrs user access to the company",
        ),
    )


def _company_refused(
    company: Mapping[str, Any],
    year: int,
    exc: ApiError,
    partition: str,
    run: Mapping[str, Any] | None = None,
) -> Rejected:
    what = f"run {run['Number']}/{year}" if run is not None else f"the runs of {year}"
    key = f"{company['ID']}/{run['ID']}" if run is not None else f"{company['ID']}/{year}"
    return Rejected(
        ENTITY,
        key,
        RecordError(
            f"Nmbrs refused to give {what} of {company_label(company)}: {errors.describe(exc)}",
            field="nmbrsCompanyId",
            value=str(company["ID"]),
            rule="the Nmbrs user must have access to the company and its payroll runs",
            fix="give the Nmbrs user (the connection's username) access to this company "
            "in Nmbrs, then run again",
        ),
        partition=partition,
    )


def _unreadable(
    company: Mapping[str, Any], run: Mapping[str, Any], why: str, part: str
) -> Rejected:
    return Rejected(
        ENTITY,
        f"{company['ID']}/{run['ID']}",
        RecordError(
            f"the journal of run {run['Number']}/{run['Year']} of {company_label(company)} "
            f"cannot be read: {why}",
            field="journal",
            rule="Nmbrs' journal XML: transactions with header/date and lines of dim1, "
            "debitcredit and value",
            fix="recalculate the run's journal entries in Nmbrs, then run again",
        ),
        partition=part,
    )
