"""A Z report as an open journal batch in Visma.net.

"Z-rapporten registreres som en åpen bunt, som deretter må bokføres i Visma
Financial. OBS! Krever utfylt kontoplan." The batch is saved, never
released; it is dated by the settlement date (our extension's
"Oppgjøret gjelder", else the report's date), so a late settlement lands in
its own period, whatever the day it is sent. Its lines, all in the
department's branch and cost bearer:

    credit  sales per VAT rate (ex VAT), with the rate's Visma.net VAT code
    credit  output VAT per rate, on the VAT's account
    debit   each payment type on its account (BankAxept, Visa, Vipps, cash, ...)
    debit   cash rounding (øreavrunding: the rounding the transactions carry)
    credit  tips; credit gift cards sold (a liability, not revenue)
    debit/credit  cash taken to the bank (pay-outs) and paid in
    debit/credit  the cash difference (counted drawer against expected)
    debit   stock change / credit inventory at cost (with stockChange on)

Before anything is sent, every VAT rate must have its Avgiftsnr in vatMap
and match Visma.net's VAT list, every part must have its account in the
account plan and that account must exist in Visma.net, and debits must
equal credits to the øre. Otherwise that Z report is refused with every
problem named; the other reports go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.records import Record
from ledgerbridge.plugins.pos_zreport.journal_lines import (
    ZERO,
    LineBuilder,
    Lines,
    Problem,
    stock_items,
    v,
)
from ledgerbridge.plugins.pos_zreport.saft.reader import fmt
from ledgerbridge.plugins.pos_zreport.settings import Department, Settings
from ledgerbridge.plugins.pos_zreport.visma import Catalog, payable_account, rate_of
from ledgerbridge.plugins.visma_net.ledger_targets import JournalPayload

__all__ = ["ZJournal", "ZReportMapper", "stock_items"]


@dataclass(frozen=True)
class ZJournal:
    """The batch for one Z report, for the department's company."""

    department: str
    label: str
    journal: JournalPayload


class ZReportMapper:
    """Z report record -> ZJournal (see the module docstring)."""

    def __init__(self, settings: Settings, catalog: Catalog) -> None:
        self.settings = settings
        self.catalog = catalog

    def map(self, record: Record) -> ZJournal:
        z = dict(record.data)
        dept = self.settings.departments[z["department"]]
        label = f"Z-report {z['reportID']} of {dept.name} (register {z['registerID']})"
        reference = f"DUELL Z {z['reportID']} {dept.name} {z['registerID']}"[:256]
        lines = Lines(dept, str(z["reportID"])[:15])
        problems: list[Problem] = []
        accounts: dict[str, str] = {}  # account -> where the plan names it
        builder = LineBuilder(self.settings, z, lines, problems, accounts)
        builder.build()
        self._check_visma(dept, builder, problems, accounts)
        if problems:
            raise _refusal(label, problems)
        if lines.debit != lines.credit:
            raise RecordError(
                f"{label} does not balance: debits {fmt(lines.debit)}, credits "
                f"{fmt(lines.credit)} (difference {fmt(lines.debit - lines.credit)}); "
                "nothing was sent",
                field="payments",
                value=fmt(lines.debit - lines.credit),
                rule="a settlement's payments, rounding, tips and cash movements must equal "
                "its sales and VAT to the øre",
                fix="check the settlement in DUELL (Rapporter -> Dagsoppgjør), correct it there "
                "and export the SAF-T file again",
            )
        date = str(z["settlementDate"])
        body: dict[str, Any] = {
            "transactionDate": v(f"{date}T00:00:00"),
            "financialPeriod": v(date[:4] + date[5:7]),
            "currencyId": v(z.get("currency") or "NOK"),
            "hold": v(False),
            "createVatTransaction": v(True),
            "journalTransactionLines": lines.rows,
        }
        if dept.branch:
            body["branch"] = v(dept.branch)
        period = date[:4] + date[5:7]
        return ZJournal(dept.key, label, JournalPayload(reference, body, period))

    def _check_visma(
        self,
        dept: Department,
        builder: LineBuilder,
        problems: list[Problem],
        accounts: dict[str, str],
    ) -> None:
        vat_list = self.catalog.vat(dept.key)
        for rate, entry in builder.rates.items():
            found = vat_list.get(entry.vat_id)
            if found is None:
                problems.append(
                    Problem(
                        f"vatMap.{rate}",
                        f"VAT rate {rate} % maps to Avgiftsnr {entry.vat_id}, which Visma.net "
                        "does not have",
                        f"enter the Avgiftsnr of {rate} % from Visma.net's Avgiftskoder "
                        f"(known: {', '.join(sorted(vat_list))}) under vatMap",
                    )
                )
            elif abs(rate_of(found) - float(rate)) > 0.001:
                problems.append(
                    Problem(
                        f"vatMap.{rate}",
                        f"VAT rate {rate} % maps to Avgiftsnr {entry.vat_id}, which is "
                        f"{rate_of(found):g} % in Visma.net",
                        f"map {rate} % to the Avgiftsnr that has this rate in Visma.net",
                    )
                )
        for rate, entry in builder.rates.items():
            if entry.vat_id in vat_list and builder.vat_amounts.get(rate, ZERO) != 0:
                account = entry.account or payable_account(vat_list[entry.vat_id])
                if account is None:
                    problems.append(
                        Problem(
                            f"vatMap.{rate}.vatAccount",
                            f"Visma.net's VAT {entry.vat_id} names no VAT account",
                            f'add "vatAccount" (e.g. "2700") to vatMap.{rate}',
                        )
                    )
                    continue
                accounts.setdefault(account, f"vatMap.{rate}.vatAccount")
                builder.lines.add(account, builder.vat_amounts[rate], "credit", f"Mva {rate} %")
        chart = self.catalog.accounts(dept.key)
        for account, where in sorted(accounts.items()):
            if account not in chart:
                problems.append(
                    Problem(
                        where,
                        f"account {account} ({where}) is not in Visma.net's chart of accounts",
                        f"create account {account} in Visma.net, or correct {where} in the config",
                    )
                )


def _refusal(label: str, problems: list[Problem]) -> RecordError:
    first = problems[0]
    more = "; ".join(p.what for p in problems[1:])
    return RecordError(
        f"{label} was not sent: {first.what}" + (f"; also: {more}" if more else ""),
        field=first.field,
        rule="every VAT rate needs its Avgiftsnr and every part of a settlement its account "
        "in the account plan (kontoplan), existing in Visma.net",
        fix="; ".join(dict.fromkeys(p.fix for p in problems)),
        details={"problems": [{"field": p.field, "problem": p.what} for p in problems]},
    )
