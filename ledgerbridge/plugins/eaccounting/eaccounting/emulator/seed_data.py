"""What a fresh emulated Swedish eAccounting company holds.

Terms of payment, units, article account codings, VAT codes, currencies and
countries are read-only in the API [FACTS §0.6]; a company comes with them.
The values are a plausible Swedish company's, not a vendor dump (none is
published): the unit names follow the seed (Timmar, Kilometer, Styck), the
coding names its "Tjänster x% moms", the accounts the Swedish BAS chart.
UNVERIFIED (open questions in the facts file): the coding `Type` strings
("Service"/"Goods"), `VatRatePercent` as a fraction (0.25) and the `VatRate`
codes. Ids are stable across runs and seeds (`stable_guid`).

A company has three cost centers, numbered 1 to 3 (rows carry
CostCenterItemId1..3; there is no POST /costcenters): INFERENCE.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.plugins.eaccounting.stamps import stable_guid

Doc = dict[str, Any]


def _terms(days: int, name: str, english: str, kind: int = 0) -> Doc:
    return {
        "Id": stable_guid("termsofpayment", name),
        "Name": name,
        "NameEnglish": english,
        "NumberOfDays": days,
        "TermsOfPaymentTypeId": kind,
        "TermsOfPaymentTypeText": ["Normal", "CurrentMonth", "Cash"][kind],
        "AvailableForSales": True,
        "AvailableForPurchase": True,
    }


TERMS_OF_PAYMENT = [
    _terms(10, "10 dagar", "10 days"),
    _terms(15, "15 dagar", "15 days"),
    _terms(20, "20 dagar", "20 days"),
    _terms(30, "30 dagar", "30 days"),
    _terms(60, "60 dagar", "60 days"),
    _terms(0, "Kontant", "Cash", kind=2),
]


def _unit(name: str, code: str, abbreviation: str, english: str) -> Doc:
    return {
        "Id": stable_guid("unit", name),
        "Name": name,
        "Code": code,
        "Abbreviation": abbreviation,
        "AbbreviationEnglish": english,
    }


UNITS = [
    _unit("Styck", "ST", "st", "pcs"),
    _unit("Timmar", "H", "h", "h"),
    _unit("Kilometer", "KM", "km", "km"),
    _unit("Dagar", "DAG", "dag", "day"),
    _unit("Månad", "MAN", "mån", "mth"),
]

_SALES_ACCOUNTS = {("Goods", 25): 3001, ("Goods", 12): 3002, ("Goods", 6): 3003}
_SALES_ACCOUNTS |= {("Service", 25): 3041, ("Service", 12): 3042, ("Service", 6): 3043}
_SALES_ACCOUNTS |= {("Service", 0): 3044, ("Goods", 0): 3004}


def _coding(name: str, english: str, kind: str, percent: int) -> Doc:
    return {
        "Id": stable_guid("articleaccountcoding", name),
        "Name": name,
        "NameEnglish": english,
        "Type": kind,
        "VatRate": str(percent),
        "IsActive": True,
        "VatRatePercent": percent / 100,
        "DomesticSalesSubjectToReversedConstructionVatAccountNumber": 3231,
        "DomesticSalesSubjectToVatAccountNumber": _SALES_ACCOUNTS[(kind, percent)],
        "DomesticSalesVatExemptAccountNumber": 3004,
        "ForeignSalesSubjectToMossAccountNumber": 3108,
        "ForeignSalesSubjectToThirdPartySalesAccountNumber": 3108,
        "ForeignSalesSubjectToVatWithinEuAccountNumber": 3308,
        "ForeignSalesVatExemptOutsideEuAccountNumber": 3305,
        "ForeignSalesVatExemptWithinEuAccountNumber": 3308,
        "DomesticSalesVatCodeExemptAccountNumber": 3004,
        "ChangedUtc": "2025-01-01T00:00:00.000Z",
    }


ARTICLE_ACCOUNT_CODINGS = [
    _coding("Tjänster 25% moms", "Services 25% VAT", "Service", 25),
    _coding("Tjänster 12% moms", "Services 12% VAT", "Service", 12),
    _coding("Tjänster 6% moms", "Services 6% VAT", "Service", 6),
    _coding("Tjänster momsfri", "Services VAT exempt", "Service", 0),
    _coding("Varor 25% moms", "Goods 25% VAT", "Goods", 25),
    _coding("Varor 12% moms", "Goods 12% VAT", "Goods", 12),
    _coding("Varor 6% moms", "Goods 6% VAT", "Goods", 6),
]


def _vat(code: str, description: str, rate: float, accounts: tuple[int, ...]) -> Doc:
    related = {f"AccountNumber{i + 1}": a for i, a in enumerate(accounts)}
    return {
        "Id": stable_guid("vatcode", code),
        "Code": code,
        "Description": description,
        "VatRate": rate,
        "OssCodeType": 0,
        "RelatedAccounts": {"AccountNumber1": None, "AccountNumber2": None} | related,
    }


VAT_CODES = [
    _vat("10", "Utgående moms 25%", 25.0, (2611,)),
    _vat("11", "Utgående moms 12%", 12.0, (2621,)),
    _vat("12", "Utgående moms 6%", 6.0, (2631,)),
    _vat("48", "Ingående moms", 0.0, (2641,)),
]

CURRENCIES = [{"Code": code} for code in ("SEK", "EUR", "NOK", "DKK", "USD", "GBP")]

COUNTRIES = [
    {"Name": "Sverige", "NameEnglish": "Sweden", "Code": "SE", "IsEuMember": True},
    {"Name": "Norge", "NameEnglish": "Norway", "Code": "NO", "IsEuMember": False},
    {"Name": "Danmark", "NameEnglish": "Denmark", "Code": "DK", "IsEuMember": True},
    {"Name": "Finland", "NameEnglish": "Finland", "Code": "FI", "IsEuMember": True},
    {"Name": "Tyskland", "NameEnglish": "Germany", "Code": "DE", "IsEuMember": True},
    {"Name": "Storbritannien", "NameEnglish": "United Kingdom", "Code": "GB", "IsEuMember": False},
]

COST_CENTERS = [
    {"Number": 1, "Name": "Avdelning", "IsActive": True},
    {"Number": 2, "Name": "Projekt", "IsActive": True},
    {"Number": 3, "Name": "Kostnadsbärare", "IsActive": False},
]


def company_settings() -> Doc:
    """CompanySettingsApi of the emulated company (overridable: settings["company"])."""
    return {
        "Name": "Ledgerbridge Demo AB",
        "Email": "ekonomi@demo.example",
        "Phone": None,
        "MobilePhone": None,
        "Address1": "Storgatan 1",
        "Address2": None,
        "CountryCode": "SE",
        "PostalCode": "11122",
        "City": "Stockholm",
        "Website": None,
        "OurReference": None,
        "CurrencyCode": "SEK",
        "TermsOfPaymentId": stable_guid("termsofpayment", "30 dagar"),
        "CorporateIdentityNumber": "556000-0000",
        "VatCode": "SE556000000001",
        "BankGiro": None,
        "PlusGiro": None,
        "AccountNumberDigits": 4,
        "ProductVariant": 1,
        "TypeOfBusiness": 1,
        "VatPeriod": 3,
        "ActivatedModules": [],
        "NextCustomerNumber": 1,
        "NextSupplierNumber": 1,
        "NextCustomerInvoiceNumber": 1,
        "NextQuoteNumber": 1,
        "NextOrderNumber": 1,
        "NextArticleNumber": 1,
        "ShowPricesExclVatPC": False,
        "ShowContributionMargin": False,
        "HasProportionalVatEnabled": False,
        "UsesCostCenter": True,
        "UsesProject": True,
        "UsesMoss": False,
        "UsesPaymentReferenceNumber": False,
        "DomesticCurrencyRounding": 0,
        "UsesReverseConstructionVat": False,
        "UsesRotReducedInvoicing": False,
        "CompanyStatus": 1,
        "CompanyIdentifier": "demo-company-0001",
        "KeepOriginalDraftDate": False,
        "UsePaymentFilesForOutgoingPayments": False,
    }
