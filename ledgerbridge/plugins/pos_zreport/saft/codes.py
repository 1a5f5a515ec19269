"""The SAF-T predefined codes the connector relies on, read from
Skatteetaten's code lists (codelists/, see SOURCE.md).

A file names its own codes (`basics/basic`: basicType, basicID, and the
predefinedBasicID it stands for); the connector reasons in the predefined
ones: a transaction whose type stands for 11002 is a credit sale, a payment
type standing for 12001 is cash, an event standing for 13009 is a Z report.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

CASH_SALE = "11001"
CREDIT_SALE = "11002"
RETURN_PAYMENT = "11006"
CASH = "12001"
GIFT_TOKEN = "12005"
Z_REPORT = "13009"

_ENCODINGS = {"11": "iso-8859-1", "12": "iso-8859-1", "13": "utf-8"}


@cache
def code_list(basic_type: str) -> dict[str, str]:
    """Predefined code -> English description, for one basic type ("12")."""
    name = f"saft/codelists/PredefinedBasicID-{basic_type}.csv"
    raw = resources.files("ledgerbridge.plugins.pos_zreport").joinpath(name).read_bytes()
    text = raw.decode(_ENCODINGS[basic_type])
    rows = csv.reader(io.StringIO(text), delimiter=";")
    next(rows)
    return {row[0].strip(): row[1].strip() for row in rows if row and row[0].strip()}


def describe(code: str) -> str:
    """ "12001" -> "Cash" (the code itself when unknown)."""
    return code_list(code[:2]).get(code, code) if code[:2] in _ENCODINGS else code
