"""A payroll journal of one run and period -> a Visma.net journal transaction.

What Nmbrs' own integration refuses is refused here, before anything is
sent, each with the reason and the fix: a company marked 'Test company', a
blocked debtor (seed 001), a financial period that is closed or missing in
Visma.net, an account Visma.net lacks, an account outside Format BAS and
Format PNL (seed 002), a cost center or unit with no value in its
Visma.net dimension, and a journal whose debits and credits differ.

The transaction is not released (`hold: false`, no release call: it stays
a balanced, open batch for the accountant), dated on the journal's date
and booked in its period; every line carries the run's reference
(`NMBRS-<RunId>`), the same for the corrections of earlier periods, and the
batch's description names company, run and period, which is how a write
whose answer was lost is found again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.records import Record
from ledgerbridge.plugins.nmbrs_journals.settings import Administration, Settings
from ledgerbridge.plugins.nmbrs_journals.vismaref import VismaReference
from ledgerbridge.plugins.visma_net.ledger_targets import JournalPayload

TEST_COMPANY = "Journals can't be sent when the company is marked as 'Test company'"
BLOCKED = "Journals can't be sent when the debtor is blocked"
CENT = Decimal("0.01")


def reference(run_id: Any) -> str:
    """The reference every transaction of a run carries (seed 001: "equal to
    the normal run")."""
    return f"NMBRS-{run_id}"


def label(data: Mapping[str, Any]) -> str:
    company, run, period = data["company"], data["run"], data["period"]
    return (
        f"the journal of Nmbrs company {company['number']} '{company['name']}' run "
        f"{run['number']}/{run['year']} for {period[:4]}-{period[4:]}"
    )


def batch_description(data: Mapping[str, Any]) -> str:
    """Unique per record: company, run and period (Visma.net's description field)."""
    company, run, period = data["company"], data["run"], data["period"]
    kind = "correction " if data.get("correction") else ""
    return (
        f"Nmbrs {company['number']} run {run['number']}/{run['year']} "
        f"{kind}{period[:4]}-{period[4:]} (RunId {run['id']})"
    )


class JournalMapper:
    def __init__(
        self, settings: Settings, refs: Callable[[Administration], VismaReference]
    ) -> None:
        self.settings = settings
        self.refs = refs  # each administration's Visma.net company

    def map(self, record: Record) -> JournalPayload:
        data = record.data
        admin = self.settings.administrations[int(data["company"]["id"])]
        what = label(data)
        _refuse_flags(admin, what)
        self._check_period(self.refs(admin), data["period"], what)
        lines = [self._line(admin, ln, i, what, data) for i, ln in enumerate(data["lines"])]
        _check_balance(data["lines"], what)
        body: dict[str, Any] = {
            "hold": {"value": False},
            "transactionDate": {"value": f"{data['date']}T00:00:00"},
            "financialPeriod": {"value": data["period"]},
            "journalTransactionLines": lines,
        }
        for key, value in (
            ("branch", admin.branch),
            ("ledger", admin.ledger),
            ("currencyId", data.get("currency")),
        ):
            if value:
                body[key] = {"value": value}
        return JournalPayload(batch_description(data), body, data["period"])

    def _check_period(self, ref: VismaReference, period: str, what: str) -> None:
        found = ref.periods().get(period)
        shown = f"{period[4:]}-{period[:4]}"
        if found is None:
            raise RecordError(
                f"{what} is booked in financial period {shown}, which Visma.net does not have",
                field="period",
                value=period,
                rule="a journal is booked in a financial period that exists in Visma.net",
                fix=f"create the financial year of {period[:4]} in Visma.net (Financial "
                "periods), then run again",
            )
        if found.get("active") is False or found.get("closedInGeneralLedger"):
            raise RecordError(
                f"{what} is booked in financial period {shown}, which is closed in Visma.net's "
                "general ledger",
                field="period",
                value=period,
                rule="Visma.net accepts journal transactions only in periods open in the "
                "general ledger",
                fix=f"reopen period {shown} for the general ledger in Visma.net (Financial "
                "periods) or ask the accountant to; the next run sends it",
            )

    def _line(
        self,
        admin: Administration,
        line: Mapping[str, Any],
        i: int,
        what: str,
        data: Mapping[str, Any],
    ) -> dict[str, Any]:
        account = str(line["account"])
        where = f"line {i + 1} of {what}"
        if account not in self.refs(admin).accounts():
            raise RecordError(
                f"account {account} on {where} does not exist in Visma.net",
                field=f"lines[{i}].account",
                value=account,
                rule="every account of a journal must exist in Visma.net's chart of accounts",
                fix=f"add account {account} in Visma.net (Chart of accounts), or correct the "
                "general ledger account in Nmbrs and recalculate the journal",
            )
        amount = Decimal(str(line["value"])).quantize(CENT)
        out: dict[str, Any] = {
            "operation": "Insert",
            "lineNumber": {"value": i + 1},
            "accountNumber": {"value": account},
            "referenceNumber": {"value": reference(data["run"]["id"])},
            "transactionDescription": {"value": str(line.get("description") or "")[:256]},
            "debitAmountInCurrency": {"value": float(amount) if line["side"] == "debit" else 0.0},
            "creditAmountInCurrency": {"value": float(amount) if line["side"] == "credit" else 0.0},
        }
        segments = self._segments(admin, line, account, where, i)
        if segments:
            out["subaccount"] = segments
        return out

    def _segments(
        self, admin: Administration, line: Mapping[str, Any], account: str, where: str, i: int
    ) -> list[dict[str, Any]]:
        if not admin.dimensions or not admin.formats.carries_dimensions(account, where):
            return []
        out = []
        for key, name, title in (
            ("costCenter", admin.cost_center, "cost center"),
            ("costUnit", admin.cost_unit, "cost unit"),
        ):
            code = line.get(key)
            if name is None or not code:
                continue
            seg = self.refs(admin).segment_for(name, f"dimensions.{key}")
            if seg.values is not None and str(code) not in seg.values:
                raise RecordError(
                    f"{title} {code} on {where} has no value in the Visma.net dimension "
                    f"'{seg.description}'",
                    field=f"lines[{i}].{key}",
                    value=str(code),
                    rule=f"a {title} is booked on the value of the same code in the "
                    f"dimension '{seg.description}'",
                    fix=f"add the value {code} to the dimension '{seg.description}' in Visma.net "
                    "(Segment values), then run again",
                )
            out.append({"segmentId": seg.segment_id, "segmentValue": str(code)})
        return out


def _refuse_flags(admin: Administration, what: str) -> None:
    if admin.test_company:
        raise RecordError(
            f"{TEST_COMPANY}: {what}",
            field="testCompany",
            value="true",
            rule=TEST_COMPANY,
            fix="clear 'Test company' for the company in Nmbrs and testCompany in its "
            "administration mapping, then run again",
        )
    if admin.debtor_blocked:
        raise RecordError(
            f"{BLOCKED}: {what}",
            field="debtorBlocked",
            value="true",
            rule=BLOCKED,
            fix="have Nmbrs unblock the debtor, then clear debtorBlocked in the "
            "administration mapping and run again",
        )


def _check_balance(lines: list[Mapping[str, Any]], what: str) -> None:
    debit = sum((Decimal(str(ln["value"])) for ln in lines if ln["side"] == "debit"), Decimal(0))
    credit = sum((Decimal(str(ln["value"])) for ln in lines if ln["side"] == "credit"), Decimal(0))
    if debit.quantize(CENT) != credit.quantize(CENT):
        raise RecordError(
            f"{what} does not balance: debit {debit:.2f}, credit {credit:.2f} "
            f"(difference {debit - credit:.2f})",
            field="lines",
            value=f"{debit - credit:.2f}",
            rule="a journal transaction's debits must equal its credits",
            fix="correct the journal in Nmbrs (check the general ledger accounts of the wage "
            "components) and recalculate it, then run again",
        )
