"""The lines of a Z report's journal batch, built from its data and the
settings (journal.py checks them against Visma.net and sends them): sales
and output VAT per rate, payments, rounding, tips, gift cards, cash moved
and the cash difference, and with stock change the cost of goods. Every
part without an account in the plan is collected as a `Problem`, so a
refusal names them all at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledgerbridge.plugins.pos_zreport.saft import codes
from ledgerbridge.plugins.pos_zreport.saft.reader import fmt, money
from ledgerbridge.plugins.pos_zreport.settings import Department, Settings, VatEntry, rate_key

ZERO = Decimal(0)


def v(value: Any) -> dict[str, Any]:
    return {"value": value}


@dataclass
class Problem:
    field: str
    what: str
    fix: str


@dataclass
class Lines:
    """Journal lines being built; negative amounts change side."""

    dept: Department
    reference: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    debit: Decimal = ZERO
    credit: Decimal = ZERO

    def add(
        self, account: str, amount: Decimal, side: str, text: str, vat: VatEntry | None = None
    ) -> None:
        amount = amount.quantize(Decimal("0.01"))
        if amount == 0:
            return
        if amount < 0:
            amount, side = -amount, "credit" if side == "debit" else "debit"
        row: dict[str, Any] = {
            "operation": "Insert",
            "accountNumber": v(account),
            "referenceNumber": v(self.reference),
            "transactionDescription": v(text[:256]),
            "debitAmountInCurrency": v(float(amount) if side == "debit" else 0.0),
            "creditAmountInCurrency": v(float(amount) if side == "credit" else 0.0),
        }
        if vat is not None:
            row["vatCodeId"] = v(vat.vat_id)
            row["vatId"] = v(vat.vat_id)
        if self.dept.branch:
            row["branch"] = v(self.dept.branch)
        sub = self.dept.subaccount()
        if sub:
            row["subaccount"] = sub
        self.rows.append(row)
        if side == "debit":
            self.debit += amount
        else:
            self.credit += amount


class LineBuilder:
    """The lines of one Z report from its data and the settings."""

    def __init__(
        self,
        settings: Settings,
        z: dict[str, Any],
        lines: Lines,
        problems: list[Problem],
        accounts: dict[str, str],
    ) -> None:
        self.s = settings
        self.z = z
        self.lines = lines
        self.problems = problems
        self.accounts = accounts
        self.rates: dict[str, VatEntry] = {}
        self.vat_amounts: dict[str, Decimal] = {}

    def account(self, value: str | None, where: str, what: str, fix: str) -> str | None:
        if not value:
            self.problems.append(Problem(where, f"the account plan has no account for {what}", fix))
            return None
        self.accounts.setdefault(value, where)
        return value

    def book(
        self,
        value: str | None,
        where: str,
        what: str,
        fix: str,
        amount: Decimal,
        side: str,
        text: str,
        vat: VatEntry | None = None,
    ) -> None:
        if amount.quantize(Decimal("0.01")) == 0:
            return
        account = self.account(value, where, what, fix)
        if account is not None:
            self.lines.add(account, amount, side, text, vat)

    def build(self) -> None:
        self.revenue()
        self.payments()
        self.extras()
        self.cash_movements()
        if self.s.stock_change:
            self.stock_change()

    def revenue(self) -> None:
        gift = self.gift_cards()
        for i, row in enumerate(self.z.get("vat") or []):
            rate = rate_key(row.get("vatPerc"))
            base, vat = money(row.get("cashSaleAmnt")), money(row.get("vatAmnt"))
            if rate == "0.00" and gift:
                if base < gift:
                    self.problems.append(
                        Problem(
                            f"vat[{i}].cashSaleAmnt",
                            f"gift cards sold ({fmt(gift)}) exceed the 0 % sales ({fmt(base)})",
                            "check giftCardArticleGroups: gift cards are sold without VAT",
                        )
                    )
                base -= gift
                gift = ZERO
            if base == 0 and vat == 0:
                continue
            entry = self.s.vat.get(rate)
            if entry is None:
                self.problems.append(
                    Problem(
                        f"vat[{i}].vatPerc",
                        f"VAT rate {rate} % has no Avgiftsnr in vatMap",
                        f'add "{rate}": {{"vatId": "<Avgiftsnr>"}} under vatMap (Visma.net: '
                        "Avgiftskoder); the integration does not work without one for every rate",
                    )
                )
                continue
            self.rates[rate] = entry
            self.vat_amounts[rate] = self.vat_amounts.get(rate, ZERO) + vat
            account = self.s.accounts.revenue.get(rate) or row.get("accID")
            self.book(
                account,
                f"accounts.revenue.{rate}",
                f"sales at {rate} % VAT",
                f'add "{rate}": "<account>" under accounts.revenue',
                base,
                "credit",
                f"Salg {rate} %",
                entry,
            )

    def gift_cards(self) -> Decimal:
        total = sum(
            (
                money(g.get("artGroupAmnt"))
                for g in self.z.get("artGroups") or []
                if g.get("artGroupID") in self.s.gift_card_groups
            ),
            ZERO,
        )
        self.book(
            self.s.accounts.gift_cards,
            "accounts.giftCards",
            "gift cards sold",
            'add "giftCards" (e.g. "2900") under accounts',
            total,
            "credit",
            "Gavekort solgt",
        )
        return total

    def payment_account(
        self, kind: str | None, predefined: str | None, acc: str | None
    ) -> str | None:
        plan = self.s.accounts.payments
        return plan.get(kind or "") or plan.get(predefined or "") or acc

    def cash_account(self) -> str | None:
        for p in self.z.get("payments") or []:
            if p.get("predefined") == codes.CASH or p.get("paymentType") == "CASH":
                return self.payment_account(
                    p.get("paymentType"), p.get("predefined"), p.get("accID")
                )
        plan = self.s.accounts.payments
        return plan.get("CASH") or plan.get(codes.CASH)

    def payments(self) -> None:
        for p in self.z.get("payments") or []:
            kind = p.get("paymentType") or ""
            account = self.payment_account(kind, p.get("predefined"), p.get("accID"))
            name = codes.describe(p.get("predefined") or "") if p.get("predefined") else kind
            self.book(
                account,
                f"accounts.payments.{kind}",
                f"payment type {kind}",
                f'add "{kind}": "<account>" under accounts.payments',
                money(p.get("paymentAmnt")),
                "debit",
                f"{name} ({kind})",
            )

    def extras(self) -> None:
        rounding = money(self.z.get("rounding"))
        self.book(
            self.s.accounts.rounding,
            "accounts.rounding",
            "cash rounding",
            'add "rounding" (usually "7740") under accounts',
            -rounding,
            "debit",
            "Øreavrunding",
        )
        tip = money((self.z.get("tip") or {}).get("amount"))
        self.book(
            self.s.accounts.tips,
            "accounts.tips",
            "tips",
            'add "tips" under accounts',
            tip,
            "credit",
            "Tips",
        )

    def cash_movements(self) -> None:
        cash = self.cash_account()
        moved = ZERO
        for kind, rows, plan, side in (
            ("payOut", self.z.get("payOuts") or [], self.s.accounts.pay_outs, "debit"),
            ("payIn", self.z.get("payIns") or [], self.s.accounts.pay_ins, "credit"),
        ):
            for row in rows:
                amount = money(row.get(f"{kind}Amnt"))
                typ = row.get(f"{kind}Type") or ""
                key = "payOuts" if kind == "payOut" else "payIns"
                if amount == 0:
                    continue
                self.book(
                    plan.get(typ) or row.get("accID"),
                    f"accounts.{key}.{typ}",
                    f"{kind} type {typ}",
                    f'add "{typ}": "<account>" under accounts.{key}',
                    amount,
                    side,
                    f"{'Uttak' if kind == 'payOut' else 'Innskudd'} {typ}",
                )
                self.book(
                    cash,
                    "accounts.payments.CASH",
                    "cash",
                    'add "CASH": "<account>" under accounts.payments',
                    amount,
                    "credit" if side == "debit" else "debit",
                    f"Kasse {typ}",
                )
                moved += amount if kind == "payIn" else -amount
        self.cash_difference(cash, moved)

    def cash_difference(self, cash: str | None, moved: Decimal) -> None:
        counted = self.z.get("countedCash")
        if counted is None:
            return
        sales = sum(
            (
                money(p.get("paymentAmnt"))
                for p in self.z.get("payments") or []
                if p.get("predefined") == codes.CASH or p.get("paymentType") == "CASH"
            ),
            ZERO,
        )
        expected = money(self.z.get("openingFloat")) + sales + moved
        diff = money(counted) - expected
        if diff == 0:
            return
        text = "Kassedifferanse" + (f": {self.z['note']}" if self.z.get("note") else "")
        self.book(
            cash,
            "accounts.payments.CASH",
            "cash",
            'add "CASH": "<account>" under accounts.payments',
            diff,
            "debit",
            text,
        )
        self.book(
            self.s.accounts.cash_difference,
            "accounts.cashDifference",
            "cash difference",
            'add "cashDifference" (e.g. "7790") under accounts',
            diff,
            "credit",
            text,
        )

    def stock_change(self) -> None:
        items = stock_items(self.z, self.s.gift_card_groups)
        missing = [i["artID"] for i in items if not i["costKnown"]]
        if missing:
            self.problems.append(
                Problem(
                    "items.costPrice",
                    f"articles {', '.join(missing[:10])} were sold without a cost price",
                    "give the articles a cost price in DUELL and export the SAF-T file again "
                    "(or turn stockChange off)",
                )
            )
            return
        cost = sum((money(i["cost"]) for i in items), ZERO)
        self.book(
            self.s.accounts.stock_change,
            "accounts.stockChange",
            "stock change",
            'add "stockChange" (e.g. "4390") under accounts',
            cost,
            "debit",
            "Beholdningsendring",
        )
        self.book(
            self.s.accounts.inventory,
            "accounts.inventory",
            "inventory",
            'add "inventory" (e.g. "1460") under accounts',
            cost,
            "credit",
            "Varelager",
        )


def stock_items(z: Mapping[str, Any], gift_groups: frozenset[str]) -> list[dict[str, Any]]:
    """The goods a settlement moved: gift cards are not goods."""
    return [i for i in z.get("items") or [] if i.get("group") not in gift_groups]
