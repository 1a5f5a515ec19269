"""The seed's invoice settings: JSON Schema and the connector's own checks
when the config is saved; the statuses and the default article checked
against Visma PM and eAccounting when invoices are transferred, a wrong one
stopping the run with what does exist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from invoice_harness import SETTINGS, STATUSES, InvoiceWorld, pm_seed

from ledgerbridge.core.config import connector_config_problems
from ledgerbridge.plugins.eaccounting.connector import CONNECTOR
from ledgerbridge.plugins.eaccounting.pm.emulator import testing as pm

Make = Callable[..., InvoiceWorld]
WITHOUT_PAID = {k: v for k, v in STATUSES.items() if k != "paid"}
BASE = {
    "masterForCustomers": "pm",
    "masterForProducts": "pm",
    "projectCostCenter": "Projekt",
    "connections": {"severa": "pm", "eaccounting": "ea"},
}


def problems(**settings: Any) -> list[str]:
    return connector_config_problems(CONNECTOR, {**BASE, **settings})


def test_the_settings_validate_and_a_customers_only_config_still_does() -> None:
    assert problems() == []
    assert problems(**SETTINGS, supplierInvoiceDates="this-month") == []
    assert problems(supplierInvoiceDates={"from": "2026-01-01", "to": "2026-01-31"}) == []


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"supplierInvoiceCosts": "sometimes"}, "supplierInvoiceCosts"),
        (
            {"invoiceStatuses": {k: v for k, v in STATUSES.items() if k != "paid"}},
            "invoiceStatuses.paid': missing",
        ),
        ({"defaultArticleNumber": ""}, "defaultArticleNumber"),
        ({"supplierInvoiceDates": "next-week"}, "supplierInvoiceDates"),
        (
            {"supplierInvoiceDates": {"from": "2026-02-30", "to": "2026-03-01"}},
            "'supplierInvoiceDates.from': value '2026-02-30' is not a date",
        ),
        (
            {"supplierInvoiceDates": {"from": "2026-03-01", "to": "2026-02-01"}},
            "from 2026-03-01 is after to 2026-02-01",
        ),
        (
            {"invoiceStatuses": {**STATUSES, "transferred": STATUSES["toTransfer"].upper()}},
            "'invoiceStatuses.transferred'",
        ),
    ],
)
def test_a_wrong_setting_is_named_with_the_rule(settings: dict[str, Any], expected: str) -> None:
    found = problems(**settings)
    assert any(expected in p for p in found), found


def test_a_status_pm_does_not_have_stops_the_run_naming_the_ones_it_has(make: Make) -> None:
    w = make(config={**SETTINGS, "invoiceStatuses": {**STATUSES, "sent": "Skickat"}})
    summary = w.run()
    assert summary.status == "aborted"
    message = str(summary.message)
    assert "invoiceStatuses.sent" in message and "'Skickat'" in message
    assert f"PM has: Utkast, Godkänd, Skickad, Betald, Krediterad, {pm.TO_TRANSFER}" in message
    assert w.received("POST", "/v2/customerinvoicedrafts", ok=False) == []


def test_a_transferred_status_that_gives_an_invoice_number_is_refused(make: Make) -> None:
    statuses = [
        {"name": pm.TO_TRANSFER, "hasInvoiceNumber": False},
        {"name": pm.TRANSFERRED, "hasInvoiceNumber": True},
    ]
    w = make(pm_settings=pm_seed(invoice_statuses=statuses))
    summary = w.run()
    assert summary.status == "aborted"
    assert f"the PM status '{pm.TRANSFERRED}' gives the invoice a number" in str(summary.message)
    assert "untick 'Invoice number'" in str(summary.message)
    assert w.received("POST", "/v2/customerinvoicedrafts", ok=False) == []
    assert w.received("PATCH", "/v1/invoices", ok=False) == []


def test_a_default_article_eaccounting_lacks_stops_the_run_naming_its_articles(
    make: Make,
) -> None:
    w = make(config={**SETTINGS, "defaultArticleNumber": "1"})
    summary = w.run()
    assert summary.status == "aborted"
    message = str(summary.message)
    assert "eAccounting has no article number '1'" in message
    assert "eAccounting has: KONS Konsulttimme; LIC Licens; 99 Övrigt" in message
    assert w.received("POST", "/v2/customerinvoicedrafts", ok=False) == []


def test_statuses_may_be_named_by_guid_and_in_any_case(make: Make) -> None:
    w = make()
    guid = w.pm_status_guid(pm.TRANSFERRED)
    config = {
        **SETTINGS,
        "invoiceStatuses": {**STATUSES, "toTransfer": pm.TO_TRANSFER.lower(), "transferred": guid},
    }
    record = w.workspace.tenant("acme")
    record.connectors["eaccounting"]["config"] = {**BASE, **config}
    w.workspace.save_tenant(record)
    summary = w.run()
    assert summary.failed == 0, (summary.message, summary.errors)
    assert w.status_of() == pm.TRANSFERRED
