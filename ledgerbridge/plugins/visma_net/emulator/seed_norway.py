"""Norwegian master data of the emulated company: the VAT codes ("avgiftskoder")
and accounts a Norwegian shop's DUELL integration posts to.

The emulated company is Swedish (seed_data.py); a Visma.net company can hold
a Norwegian branch's VAT codes and accounts beside them, and the POS
connector (pos_zreport) needs them. VAT ids follow the SAF-T standard tax
codes Visma.net Norway uses (Skatteetaten's Standard_Tax_Codes.csv: 3 output
VAT regular rate 25 %, 31 reduced middle 15 %, 33 reduced low 12 %, 5
zero-rated, 6 outside the VAT act); accounts follow the Norwegian standard
chart (NS 4102) as DUELL's own account plan suggests them (Øreavrunding 7740,
Beholdningsendring 4390, Varelager 1460, BankAxept 1920, kort 2380).
"""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]

# (vatId, description, type, rate %, VAT payable account)
VAT: tuple[tuple[str, str, str, float, str | None], ...] = (
    ("3", "Utgående mva, alminnelig sats 25 %", "Sales", 25.0, "2700"),
    ("31", "Utgående mva, middels sats 15 %", "Sales", 15.0, "2701"),
    ("33", "Utgående mva, lav sats 12 %", "Sales", 12.0, "2702"),
    ("5", "Innenlands omsetning fritatt for mva 0 %", "Sales", 0.0, None),
    ("6", "Omsetning utenfor merverdiavgiftsloven", "ExemptVat", 0.0, None),
)

ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("1460", "Varelager", "Asset"),
    ("1500", "Kundefordringer", "Asset"),
    ("1900", "Kontanter", "Asset"),
    ("1920", "Bankinnskudd", "Asset"),
    ("1921", "Vipps oppgjørskonto", "Asset"),
    ("1929", "Terminaldifferanse", "Asset"),
    ("1950", "Bank, nattsafe i transitt", "Asset"),
    ("2380", "Kortoppgjør (Visa, MasterCard)", "Liability"),
    ("2700", "Utgående merverdiavgift, høy sats", "Liability"),
    ("2701", "Utgående merverdiavgift, middels sats", "Liability"),
    ("2702", "Utgående merverdiavgift, lav sats", "Liability"),
    ("2900", "Gavekort, utstedt ikke innløst", "Liability"),
    ("2960", "Skyldig tips", "Liability"),
    ("3020", "Salgsinntekt, middels sats", "Income"),
    ("3030", "Salgsinntekt, lav sats", "Income"),
    ("3100", "Salgsinntekt, avgiftsfri", "Income"),
    ("4390", "Beholdningsendring", "Expense"),
    ("7740", "Øreavrunding", "Expense"),
    ("7790", "Kassedifferanse", "Expense"),
)


def vat() -> list[Doc]:
    from ledgerbridge.plugins.visma_net.emulator.seed_data import vat_record

    out = []
    for vat_id, text, kind, rate, payable in VAT:
        record = vat_record(vat_id, text, kind, rate)
        record["glAccounts"] = {"vatPayableAccount": _account(payable)}
        out.append(record)
    return out


def accounts() -> list[Doc]:
    from ledgerbridge.plugins.visma_net.emulator.seed_data import account_record

    return [account_record(*row) for row in ACCOUNTS]


def _account(number: str | None) -> Doc | None:
    return None if number is None else {"number": number, "description": None}
