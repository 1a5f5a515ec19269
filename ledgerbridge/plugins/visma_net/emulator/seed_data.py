"""The master data a fresh emulated Visma.net company has.

A plausible Swedish haulage company: BAS chart of accounts, Swedish VAT codes
(with the EU and reverse-charge codes a transport company needs), Nordic
currencies with SEK as base, two branches, the usual credit terms and payment
methods, and financial periods for 2023-2027. Records follow the API's DTOs
(VatInformationDto, AccountDto, CreditTermDto, ...) so the lists read like the
vendor's answers.

Tests and demos change it through the emulator settings:

    settings = {
        "master_data": {"accounts": ["1930", {"accountCD": "3010", ...}]},  # replace a list
        "without": {"accounts": ["3010"]},      # drop ids from a list
        "customers": [{"number": "ACME", "name": "Åkeri Öst AB"}],  # pre-existing customers
        "inventory": [{"inventoryNumber": "FREIGHT", "description": "Freight"}],
    }

A bare id in a replacement list becomes a minimal record of that kind.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ledgerbridge.plugins.visma_net.emulator.glmaster import default_ledgers, ledger_record

Doc = dict[str, Any]

# (vatId, description, type, rate %, reverse, euReportCode)
_VAT: tuple[tuple[str, str, str, float, bool, str | None], ...] = (
    ("01", "Utgående moms 25 % (Swedish VAT 25 %)", "Sales", 25.0, False, None),
    ("02", "Utgående moms 12 % (Swedish VAT 12 %)", "Sales", 12.0, False, None),
    ("03", "Utgående moms 6 % (Swedish VAT 6 %)", "Sales", 6.0, False, None),
    ("04", "Momsfri försäljning 0 % (VAT exempt)", "ExemptVat", 0.0, False, None),
    ("05", "Försäljning 0 %, momspliktig (zero rated)", "Sales", 0.0, False, None),
    ("06", "Varuförsäljning till annat EU-land (EU goods)", "Sales", 0.0, False, "35"),
    ("07", "Tjänsteförsäljning till annat EU-land (EU services)", "Sales", 0.0, False, "39"),
    ("08", "Export utanför EU (export)", "Sales", 0.0, False, "36"),
    ("15", "Omvänd skattskyldighet EU-tjänst (reverse charge EU)", "ReverseVat", 25.0, True, "39"),
    (
        "16",
        "Omvänd betalningsskyldighet bygg (reverse charge construction)",
        "ReverseVat",
        25.0,
        True,
        "41",
    ),
)

# (accountCD, description, type)
_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("1510", "Kundfordringar", "Asset"),
    ("1630", "Skattekonto", "Asset"),
    ("1910", "Kassa", "Asset"),
    ("1930", "Företagskonto", "Asset"),
    ("2440", "Leverantörsskulder", "Liability"),
    ("2610", "Utgående moms 25 %", "Liability"),
    ("2611", "Utgående moms på försäljning inom Sverige, 25 %", "Liability"),
    ("2620", "Utgående moms 12 %", "Liability"),
    ("2630", "Utgående moms 6 %", "Liability"),
    ("2640", "Ingående moms", "Asset"),
    ("2710", "Personalskatt", "Liability"),
    ("2730", "Lagstadgade sociala avgifter", "Liability"),
    ("2890", "Övriga kortfristiga skulder", "Liability"),
    ("3000", "Försäljning", "Income"),
    ("3001", "Försäljning inom Sverige, 25 % moms", "Income"),
    ("3002", "Försäljning inom Sverige, 12 % moms", "Income"),
    ("3003", "Försäljning inom Sverige, 6 % moms", "Income"),
    ("3010", "Försäljning transporttjänster", "Income"),
    ("3011", "Försäljning transporttjänster, 25 % moms", "Income"),
    ("3040", "Försäljning tjänster", "Income"),
    ("3105", "Försäljning varor till land utanför EU", "Income"),
    ("3108", "Försäljning varor till annat EU-land", "Income"),
    ("3308", "Försäljning tjänster till annat EU-land", "Income"),
    ("3740", "Öres- och kronutjämning", "Income"),
    ("4010", "Inköp varor och material", "Expense"),
    ("5611", "Drivmedel för personbilar", "Expense"),
    ("6570", "Bankkostnader", "Expense"),
    ("7010", "Löner till kollektivanställda", "Expense"),
    ("7210", "Löner till tjänstemän", "Expense"),
    ("7510", "Arbetsgivaravgifter", "Expense"),
)

# (termsId, description, days)
_TERMS: tuple[tuple[str, str, int], ...] = (
    ("10", "10 dagar netto", 10),
    ("14", "14 dagar netto", 14),
    ("20", "20 dagar netto", 20),
    ("30", "30 dagar netto", 30),
    ("60", "60 dagar netto", 60),
)

# (id, description, symbol, base)
_CURRENCIES: tuple[tuple[str, str, str, bool], ...] = (
    ("SEK", "Svenska kronor", "kr", True),
    ("EUR", "Euro", "€", False),
    ("NOK", "Norska kronor", "kr", False),
    ("DKK", "Danska kronor", "kr", False),
    ("USD", "US dollar", "$", False),
    ("GBP", "Brittiska pund", "£", False),
)

_BRANCHES: tuple[tuple[str, str, bool], ...] = (
    ("1", "Huvudkontor Göteborg", True),
    ("2", "Filial Stockholm", False),
)

_CUSTOMER_CLASSES: tuple[tuple[str, str], ...] = (
    ("10", "Kunder Sverige"),
    ("20", "Kunder EU"),
    ("30", "Kunder utanför EU"),
    ("DOM", "Inrikes kunder"),
    ("EU", "EU-kunder"),
    ("EXPORT", "Exportkunder"),
    ("TRANSP", "Transportkunder"),
)

# (paymentMethodID, description, meansOfPayment)
_PAYMENT_METHODS: tuple[tuple[str, str, str], ...] = (
    ("BG", "Bankgiro", "DirectDeposit"),
    ("PG", "Plusgiro", "DirectDeposit"),
    ("OCR", "Bankgiro med OCR", "DirectDeposit"),
    ("CARD", "Kortbetalning", "CreditCard"),
)

# Subaccount segments: (segmentId, description, {valueId: description})
_SEGMENTS: tuple[tuple[int, str, dict[str, str]], ...] = (
    (
        1,
        "Avdelning",
        {"000": "Ingen avdelning", "100": "Fjärrtrafik", "200": "Distribution", "300": "Lager"},
    ),
    (2, "Projekt", {"00": "Inget projekt", "10": "Kontrakt A", "20": "Kontrakt B"}),
)

FIRST_YEAR, LAST_YEAR = 2023, 2027
_MONTHS = (
    "Januari",
    "Februari",
    "Mars",
    "April",
    "Maj",
    "Juni",
    "Juli",
    "Augusti",
    "September",
    "Oktober",
    "November",
    "December",
)


# -- record builders -----------------------------------------------------------------


def vat_record(
    vat_id: str,
    description: str = "",
    kind: str = "Sales",
    rate: float = 25.0,
    reverse: bool = False,
    eu_code: str | None = None,
) -> Doc:
    """A VatInformationDto; the rate lives in its schedule, as in the API."""
    return {
        "vatId": vat_id,
        "description": description or f"VAT {vat_id}",
        "type": kind,
        "deductibleVat": False,
        "reverseVat": reverse,
        "statisticalVat": False,
        "pendingVat": False,
        "includeinVatExemptTotal": kind == "ExemptVat",
        "includeinVatTotal": True,
        "calculateOn": "ItemAmount",
        "euReportCode": eu_code,
        "schedules": [{"startDate": "2000-01-01T00:00:00", "vatRate": rate}],
        "lastModifiedDateTime": "2023-01-01T00:00:00Z",
    }


def account_record(account: str, description: str = "", kind: str = "Income") -> Doc:
    return {
        "accountID": int(account) if account.isdigit() else None,
        "accountCD": account,
        "accountClass": kind.upper(),
        "type": kind,
        "active": True,
        "description": description or f"Account {account}",
        "postOption": "Summary",
        "currency": None,
        "cashAccount": account in ("1910", "1930"),
        "allowManualEntry": True,
        "lastModifiedDateTime": "2023-01-01T00:00:00Z",
    }


def term_record(terms_id: str, description: str = "", days: int = 30) -> Doc:
    return {
        "termsId": terms_id,
        "description": description or f"{terms_id} days",
        "visibleTo": "All",
        "dueDateType": "N",
        "dueDay1": days,
        "discountType": "N",
        "discountDay": 0,
        "discountPercent": 0.0,
        "instalmentType": "Single",
        "createdDateTime": "2023-01-01T00:00:00Z",
        "lastModifiedDateTime": "2023-01-01T00:00:00Z",
    }


def currency_record(cury: str, description: str = "", symbol: str = "", base: bool = False) -> Doc:
    return {
        "id": cury,
        "description": description or cury,
        "symbol": symbol or cury,
        "isBaseCurrency": base,
        "decimalPrecision": 2,
        "isUsedForAccounting": True,
    }


def branch_record(number: str, name: str = "", main: bool = False) -> Doc:
    return {
        "branchId": int(number) if number.isdigit() else None,
        "number": number,
        "name": name or f"Branch {number}",
        "organizationId": 1,
        "isMainBranch": main,
        "isActive": True,
        "corporateId": "556000-0000",
        "vatRegistrationId": "SE556000000001",
        "lastModifiedDateTime": "2023-01-01T00:00:00Z",
    }


def customer_class_record(class_id: str, description: str = "") -> Doc:
    return {"id": class_id, "description": description or class_id, "attributes": []}


def payment_method_record(method: str, description: str = "", means: str = "DirectDeposit") -> Doc:
    return {
        "paymentMethodID": method,
        "active": True,
        "meansOfPayment": means,
        "description": description or method,
        "useInAP": False,
        "details": [],
    }


def period_record(period: str) -> Doc:
    """A FinancialPeriodDto for "YYYYMM", open in every ledger."""
    year, month = int(period[:4]), int(period[4:6])
    last = calendar.monthrange(year, month)[1]
    return {
        "year": year,
        "period": period,
        "startDate": f"{year:04d}-{month:02d}-01T00:00:00",
        "endDate": f"{year:04d}-{month:02d}-{last:02d}T00:00:00",
        "description": _MONTHS[month - 1],
        "active": True,
        "closedInSupplierLedger": False,
        "closedInCustomerLedger": False,
        "closedInInventoryManagement": False,
        "closedInGeneralLedger": False,
        "closedInCashManagement": False,
        "closedInFixedAssets": False,
    }


def subaccount_record(number: str, description: str = "", subaccount_id: int | None = None) -> Doc:
    """A SubAccountDto; the number is the segment values joined by '-'."""
    values = number.split("-")
    return {
        "subaccountNumber": number,
        "subaccountId": subaccount_id,
        "description": description or number,
        "active": True,
        "segments": [{"segmentId": i, "segmentValue": v} for i, v in enumerate(values, start=1)],
        "lastModifiedDateTime": "2023-01-01T00:00:00Z",
    }


def dimension_record(dimension: str = "SUBACCOUNT") -> Doc:
    """The subaccount dimension (DtoDimension) with its segments and values."""
    return {
        "id": dimension,
        "description": "Subaccount",
        "length": sum(max(len(v) for v in values) for _, _, values in _SEGMENTS),
        "segments": [
            {
                "segmentId": seg,
                "description": text,
                "length": max(len(v) for v in values),
                "validate": True,
                "segmentValues": [
                    {"segmentId": seg, "valueId": v, "description": d, "active": True}
                    for v, d in values.items()
                ],
            }
            for seg, text, values in _SEGMENTS
        ],
    }


# -- the whole set -----------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One master-data list: its id field and how to make a record from a bare id."""

    id_field: str
    make: Callable[[str], Doc]


KINDS: dict[str, Kind] = {
    "vat": Kind("vatId", vat_record),
    "accounts": Kind("accountCD", account_record),
    "credit_terms": Kind("termsId", term_record),
    "currencies": Kind("id", currency_record),
    "branches": Kind("number", branch_record),
    "customer_classes": Kind("id", customer_class_record),
    "payment_methods": Kind("paymentMethodID", payment_method_record),
    "financial_periods": Kind("period", period_record),
    "subaccounts": Kind("subaccountNumber", subaccount_record),
    "dimensions": Kind("id", dimension_record),
    "ledgers": Kind("number", ledger_record),
}


def defaults() -> dict[str, list[Doc]]:
    """Every master-data list of a fresh company."""
    from ledgerbridge.plugins.visma_net.emulator import seed_norway  # a Norwegian branch's codes

    periods = [f"{y}{m:02d}" for y in range(FIRST_YEAR, LAST_YEAR + 1) for m in range(1, 13)]
    subaccounts = [f"{a}-{b}" for a in _SEGMENTS[0][2] for b in _SEGMENTS[1][2]]
    return {
        "vat": [vat_record(*row) for row in _VAT] + seed_norway.vat(),
        "accounts": [account_record(*row) for row in _ACCOUNTS] + seed_norway.accounts(),
        "credit_terms": [term_record(*row) for row in _TERMS],
        "currencies": [currency_record(*row) for row in _CURRENCIES],
        "branches": [branch_record(*row) for row in _BRANCHES],
        "customer_classes": [customer_class_record(*row) for row in _CUSTOMER_CLASSES],
        "payment_methods": [payment_method_record(*row) for row in _PAYMENT_METHODS],
        "financial_periods": [period_record(p) for p in periods],
        "subaccounts": [
            subaccount_record(s, subaccount_id=i) for i, s in enumerate(subaccounts, start=1)
        ],
        "dimensions": [dimension_record()],
        "ledgers": default_ledgers(),
    }


def master_data(settings: Mapping[str, Any]) -> dict[str, dict[str, Doc]]:
    """The company's master data, id -> record per list, with settings applied."""
    lists = defaults()
    unknown = set(settings.get("master_data", {})) | set(settings.get("without", {}))
    unknown -= set(KINDS)
    if unknown:
        raise ValueError(
            f"unknown master-data lists {sorted(unknown)}; known: {', '.join(sorted(KINDS))}"
        )
    for name, records in settings.get("master_data", {}).items():
        lists[name] = [_record(name, r) for r in records]
    out: dict[str, dict[str, Doc]] = {}
    for name, records in lists.items():
        dropped = {str(i) for i in settings.get("without", {}).get(name, ())}
        field = KINDS[name].id_field
        out[name] = {str(r[field]): r for r in records if str(r[field]) not in dropped}
    return out


def _record(name: str, item: str | Mapping[str, Any]) -> Doc:
    if isinstance(item, str):
        return KINDS[name].make(item)
    field = KINDS[name].id_field
    if field not in item:
        raise ValueError(f"a {name} record needs {field!r}: {dict(item)!r}")
    return {**KINDS[name].make(str(item[field])), **item}


def segment_values(dimensions: Mapping[str, Doc]) -> dict[int, frozenset[str]]:
    """Subaccount segment id -> the values that exist (for the line checks)."""
    dim = dimensions.get("SUBACCOUNT")
    if dim is None:
        return {}
    return {
        int(seg["segmentId"]): frozenset(str(v["valueId"]) for v in seg.get("segmentValues", []))
        for seg in dim.get("segments", [])
    }


def vat_rate(record: Mapping[str, Any]) -> float:
    """The current rate of a VatInformationDto (its last schedule row)."""
    schedules: Iterable[Mapping[str, Any]] = record.get("schedules") or ()
    rates = [float(s.get("vatRate") or 0) for s in schedules]
    return rates[-1] if rates else 0.0
