"""Realistic days of a shop for the demo, benchmarks and tests: a small
catalogue of what a Norwegian café-kiosk sells, and `random_days`, a stream
of ordinary days for one register from a seed (the same seed, the same
days), written with `generator.write_saft`."""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal

from ledgerbridge.plugins.pos_zreport.saft.generator import Customer, Day, Line, Receipt

CATALOGUE: tuple[tuple[str, str, str, str, str, str], ...] = (
    # artID, group, description, price incl. VAT, VAT rate, cost
    ("1001", "100", "Kaffe, stor", "45.00", "25.00", "9.00"),
    ("1002", "100", "Kanelbolle", "38.00", "15.00", "11.50"),
    ("1003", "110", "Smørbrød reker", "89.00", "15.00", "31.00"),
    ("2001", "200", "Notatbok A5", "129.00", "25.00", "52.00"),
    ("2002", "200", "Kulepenn, 3 stk", "49.90", "25.00", "14.20"),
    ("3001", "300", "Avis", "40.00", "0.00", "32.00"),
    ("4001", "400", "Kinobillett", "135.00", "12.00", "90.00"),
)


def random_days(
    rng: random.Random,
    dates: Sequence[str],
    *,
    first_report: int = 1,
    receipts: tuple[int, int] = (15, 40),
    customers: Sequence[Customer] = (),
    credit_share: float = 0.05,
    catalogue: Sequence[tuple[str, str, str, str, str, str]] = CATALOGUE,
) -> list[Day]:
    """A stream of ordinary days for one register (the same seed, the same days)."""
    methods = ("BANKAXEPT", "BANKAXEPT", "VISA", "MASTERCARD", "VIPPS", "CASH", "CASH")
    out = []
    for n, date in enumerate(dates):
        day = Day(date=date, report_id=str(first_report + n))
        for i in range(rng.randint(*receipts)):
            lines = []
            for _ in range(rng.randint(1, 4)):
                art, group, _text, price, vat, cost = rng.choice(catalogue)
                qty = Decimal(rng.randint(1, 3))
                lines.append(Line(art, qty, Decimal(price), vat, Decimal(cost), group))
            hour, minute = 9 + (i * 11 // max(1, receipts[1])) % 12, rng.randint(0, 59)
            customer = None
            if customers and rng.random() < credit_share:
                customer = rng.choice(customers).id
            tip = Decimal(rng.choice((0, 0, 0, 0, 10, 20))) if customer is None else Decimal(0)
            day.receipts.append(
                Receipt(
                    lines,
                    rng.choice(methods),
                    f"{hour:02d}:{minute:02d}:00",
                    tip,
                    customer,
                )
            )
        out.append(day)
    return out
