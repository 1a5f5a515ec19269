"""The journal XML the emulated Nmbrs answers for a run.

Shaped as CONNECTOR-FACTS.md §4 describes Nmbrs' journal string (Twinfield's
transaction XML: `transactions/transaction/header/date`, `lines/line` with
`dim1..dim3`, `debitcredit`, `value`, `description`), declared as UTF-16
as the live service does.

A run is either given its transactions verbatim (tests: an unbalanced
journal, an unknown account) or generated from a number of employees: per
employee a gross salary, the wage tax withheld, the employer's social fees
and the net pay, on a Swedish BAS chart (the emulated Visma.net company's),
aggregated per account, cost center and cost unit as Nmbrs' company journal
is. Corrections of earlier periods become transactions of their own, dated
at the end of the period they correct.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from xml.sax.saxutils import escape

GROSS, FEES, TAX, FEES_DUE, NET = "7210", "7510", "2710", "2730", "2890"
TAX_RATE, FEE_RATE = Decimal("0.30"), Decimal("0.3142")
CENT = Decimal("0.01")


def period_end(year: int, period: int, frequency: str) -> date:
    """The last day of a payroll period: a calendar month, or for 4-weekly
    companies (LoonaangifteTijdvak Week4) the 28-day period `period` of the
    year counted from 1 January (the emulator's own approximation)."""
    if frequency == "Week4":
        return date(year, 1, 1) + timedelta(days=28 * period - 1)
    last = calendar.monthrange(year, min(max(period, 1), 12))[1]
    return date(year, min(max(period, 1), 12), last)


def _cents(seed: str, low: int, high: int) -> Decimal:
    n = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big")
    return Decimal(low * 100 + n % ((high - low) * 100)) / 100


def generated_lines(
    key: str,
    employees: int,
    cost_centers: Sequence[str],
    cost_units: Sequence[str],
    with_dimensions: bool,
    scale: Decimal = Decimal(1),
) -> list[dict[str, Any]]:
    """A balanced journal of `employees` salaries, aggregated per account
    (and cost center / cost unit when asked)."""
    sums: dict[tuple[str, str, str | None, str | None], Decimal] = {}
    for i in range(employees):
        gross = (_cents(f"{key}/{i}", 2800, 5200) * scale).quantize(CENT)
        tax = (gross * TAX_RATE).quantize(CENT, ROUND_HALF_UP)
        fees = (gross * FEE_RATE).quantize(CENT, ROUND_HALF_UP)
        cc = cost_centers[i % len(cost_centers)] if with_dimensions and cost_centers else None
        cu = cost_units[i % len(cost_units)] if with_dimensions and cost_units else None
        for account, side, amount in (
            (GROSS, "debit", gross),
            (FEES, "debit", fees),
            (TAX, "credit", tax),
            (FEES_DUE, "credit", fees),
            (NET, "credit", gross - tax),
        ):
            k = (account, side, cc, cu)
            sums[k] = sums.get(k, Decimal(0)) + amount
    return [
        {
            "account": account,
            "side": side,
            "value": str(value),
            "description": DESCRIPTIONS[account],
            "costCenter": cc,
            "costUnit": cu,
        }
        for (account, side, cc, cu), value in sorted(sums.items(), key=_order)
    ]


def _order(item: tuple[tuple[str, str, str | None, str | None], Decimal]) -> tuple[str, ...]:
    (account, side, cc, cu), _ = item
    return ((side != "debit" and "1") or "0", account, cc or "", cu or "")


DESCRIPTIONS = {
    GROSS: "Bruttolön",
    FEES: "Arbetsgivaravgifter",
    TAX: "Personalskatt",
    FEES_DUE: "Skuld arbetsgivaravgifter",
    NET: "Nettolön att betala",
}


def journal_xml(transactions: Sequence[Mapping[str, Any]], with_dimensions: bool) -> str:
    """The journal string: one <transaction> per {date: YYYYMMDD, lines}."""
    out = ['<?xml version="1.0" encoding="utf-16"?>', "<transactions>"]
    for tx in transactions:
        out.append("<transaction><header>")
        out.append(f"<date>{escape(str(tx['date']))}</date>")
        if tx.get("currency"):
            out.append(f"<currency>{escape(str(tx['currency']))}</currency>")
        out.append("</header><lines>")
        for line in tx.get("lines") or []:
            out.append('<line type="detail">')
            out.append(f"<dim1>{escape(str(line['account']))}</dim1>")
            if with_dimensions and line.get("costCenter"):
                out.append(f"<dim2>{escape(str(line['costCenter']))}</dim2>")
            if with_dimensions and line.get("costUnit"):
                out.append(f"<dim3>{escape(str(line['costUnit']))}</dim3>")
            out.append(f"<debitcredit>{escape(str(line['side']))}</debitcredit>")
            out.append(f"<value>{escape(str(line['value']))}</value>")
            out.append(f"<description>{escape(str(line.get('description') or ''))}</description>")
            out.append("</line>")
        out.append("</lines></transaction>")
    out.append("</transactions>")
    return "".join(out)
