"""What a fresh emulated Severa (Visma PM) organization holds.

A Swedish organization: SEK as the organization currency (others exist but
are inactive until the currency add-on, "Valutor", is on: settings
`multi_currency`), Swedish VAT rates, a few countries, and the invoice
statuses every organization starts with. The seed's own statuses ("Skicka
till eEkonomi", "Överförd eEkonomi") are the user's to add (POST
/v1/invoicestatuses, or settings `invoice_statuses`). Names and flags are
plausible, not a vendor dump; ids are stable across runs and seeds.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.plugins.eaccounting.stamps import stable_guid

Doc = dict[str, Any]
STAMP = "2025-01-01T00:00:00.000Z"


def _country(code2: str, code3: str, name: str, english: str, in_eu: bool) -> Doc:
    return {
        "guid": stable_guid("severa-country", code2),
        "name": name,
        "englishName": english,
        "code2": code2,
        "code3": code3,
        "hasRegions": "NoRegion",
        "isInEU": in_eu,
    }


COUNTRIES = [
    _country("SE", "SWE", "Sverige", "Sweden", True),
    _country("NO", "NOR", "Norge", "Norway", False),
    _country("FI", "FIN", "Finland", "Finland", True),
    _country("DK", "DNK", "Danmark", "Denmark", True),
    _country("DE", "DEU", "Tyskland", "Germany", True),
]


def _currency(code: str, name: str, symbol: str, rate: float) -> Doc:
    return {
        "guid": stable_guid("severa-currency", code),
        "name": name,
        "code": code,
        "rate": rate,
        "symbol": symbol,
        "isActive": code == "SEK",
        "isOrganizationCurrency": code == "SEK",
        "createdDateTime": STAMP,
        "lastUpdatedDateTime": STAMP,
    }


CURRENCIES = [
    _currency("SEK", "Svensk krona", "kr", 1.0),
    _currency("EUR", "Euro", "€", 0.087),
    _currency("NOK", "Norsk krone", "kr", 1.0),
    _currency("USD", "US dollar", "$", 0.095),
]


def _vat(percentage: float, code: str, default: bool = False) -> Doc:
    return {
        "guid": stable_guid("severa-vatrate", code),
        "percentage": percentage,
        "code": code,
        "isActive": True,
        "isDefault": default,
        "countryGuid": stable_guid("severa-country", "SE"),
        "createdDateTime": STAMP,
        "lastUpdatedDateTime": STAMP,
    }


VAT_RATES = [_vat(25.0, "MP1", default=True), _vat(12.0, "MP2"), _vat(6.0, "MP3"), _vat(0.0, "MF")]


def invoice_status(
    name: str,
    *,
    default: bool = False,
    number: bool = False,
    sent: bool = False,
    waiting: bool = False,
    paid: bool = False,
    order: int = 0,
) -> Doc:
    return {
        "guid": stable_guid("severa-invoicestatus", name),
        "name": name,
        "isActive": True,
        "isDefault": default,
        "isReadOnly": False,
        "hasInvoiceNumber": number,
        "isSent": sent,
        "isWaitingPayment": waiting,
        "isPaid": paid,
        "isDefaultForCreditNote": False,
        "sortOrder": order,
        "createdDateTime": STAMP,
        "lastUpdatedDateTime": STAMP,
    }


INVOICE_STATUSES = [
    invoice_status("Utkast", default=True, order=1),
    invoice_status("Godkänd", order=2),
    invoice_status("Skickad", number=True, sent=True, waiting=True, order=3),
    invoice_status("Betald", number=True, sent=True, paid=True, order=4),
    invoice_status("Krediterad", number=True, sent=True, order=5),
]
