"""Supplier invoices -> PM project costs, read from what PM received: rows
with a project become project fees (billable or not), described by invoice
date + voucher number + supplier name, quantity 1, unit cost and price =
the amount, the organization's default VAT; the invoice date window; never
twice, in runs of the same week or after a lost answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from invoice_harness import ITEM, PROJECT, SETTINGS, InvoiceWorld, ea_seed

from ledgerbridge.plugins.eaccounting.sync.supplier_costs import window

Make = Callable[..., InvoiceWorld]
FEES = "/v1/projectfees"


def supplier_invoice(date: str, *rows: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "InvoiceNumber": f"F-{date}",
        "InvoiceDate": f"{date}T00:00:00",
        "SupplierName": "Bygg & Co AB",
        "TotalAmount": 1500.0,
        "Rows": list(rows),
        **extra,
    }


def cost(amount: float, item: str | None = ITEM, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"AccountNumber": 4010, "DebetAmount": amount, **extra}
    if item:
        row["CostCenterItemId2"] = item
    return row


VAT = {"AccountNumber": 2641, "DebetAmount": 300.0}
DEBT = {"AccountNumber": 2440, "DebetAmount": 0, "CreditAmount": 1500.0}


def seeded(*invoices: dict[str, Any]) -> dict[str, Any]:
    return ea_seed(supplier_invoices=list(invoices))


def test_project_rows_become_billable_project_fees_described_as_the_seed_says(
    make: Make,
) -> None:
    # the test clock is Thursday 2026-01-01: this week is 2025-12-29 to 2026-01-04
    w = make(
        ea_settings=seeded(supplier_invoice("2026-01-01", cost(1000), cost(200, None), VAT, DEBT))
    )
    summary = w.run()
    assert summary.failed == 0, summary.errors
    (fee,) = w.received("POST", FEES)
    (voucher,) = [i["VoucherNumber"] for i in w.ea.supplier_invoices.all()]
    text = f"2026-01-01 {voucher} Bygg & Co AB"
    assert fee == {
        "project": {"guid": PROJECT},
        "name": text,
        "description": text,
        "eventDate": "2026-01-01",
        "quantity": 1,
        "unitCost": {"amount": 1000.0, "currencyCode": "SEK"},
        "unitPrice": {"amount": 1000.0, "currencyCode": "SEK"},
        "vatRate": 25.0,
        "isBillable": True,
    }
    assert w.flow(summary, "supplier_costs").created == 1
    # more runs the same week: nothing twice; a new invoice that week comes alone
    assert w.run().failed == 0
    assert len(w.received("POST", FEES)) == 1
    w.ea.supplier_invoices.insert(
        {**w.ea.supplier_invoices.all()[0], "Id": "77777777-7777-4777-8777-777777777777"}
    )
    assert w.run().failed == 0
    assert len(w.received("POST", FEES)) == 2
    assert len(w.pm.project_fees.all()) == 2


def test_non_billable_costs_and_the_date_window(make: Make) -> None:
    config = {**SETTINGS, "supplierInvoiceCosts": "non-billable"}
    w = make(
        config={**config, "supplierInvoiceDates": {"from": "2025-12-01", "to": "2025-12-31"}},
        ea_settings=seeded(
            supplier_invoice("2025-11-30", cost(1)),
            supplier_invoice("2025-12-01", cost(2)),
            supplier_invoice("2025-12-31", cost(3)),
            supplier_invoice("2026-01-01", cost(4)),
        ),
    )
    assert w.run().failed == 0
    fees = w.received("POST", FEES)
    assert [(f["unitCost"]["amount"], f["isBillable"]) for f in fees] == [
        (2.0, False),
        (3.0, False),
    ]


def test_the_window_is_this_week_by_default_this_month_or_a_range() -> None:
    from datetime import date

    thursday = date(2026, 1, 1)
    assert window("this-week", thursday) == (date(2025, 12, 29), date(2026, 1, 4))
    assert window(None, thursday) == (date(2025, 12, 29), date(2026, 1, 4))
    assert window("this-month", thursday) == (date(2026, 1, 1), date(2026, 1, 31))
    assert window("this-month", date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert window({"from": "2026-01-02", "to": "2026-01-03"}, thursday) == (
        date(2026, 1, 2),
        date(2026, 1, 3),
    )


def test_a_lost_fee_answer_is_found_again_not_created_twice(make: Make) -> None:
    w = make(
        ea_settings=seeded(supplier_invoice("2026-01-01", cost(1000))),
        faults=["POST /rest-api/v1/projectfees: drop-after@1"],
    )
    first = w.run()
    assert [e["flow"] for e in first.errors] == ["supplier_costs"], first.errors
    assert len(w.pm.project_fees.all()) == 1
    second = w.run()
    assert second.failed == 0, second.errors
    assert len(w.pm.project_fees.all()) == 1
    assert len(w.received("POST", FEES, ok=False)) == 1


def test_a_cost_in_a_currency_pm_lacks_fails_alone_with_the_fix(make: Make) -> None:
    w = make(
        ea_settings=seeded(
            supplier_invoice("2026-01-01", cost(100), CurrencyCode="EUR"),
            supplier_invoice("2026-01-02", cost(200)),
        )
    )
    summary = w.run()
    (error,) = w.errors(summary, "supplier_costs")
    assert "is in EUR, and Visma PM has no active currency EUR" in error["message"]
    assert "Valutor" in error["fix"]
    assert [f["unitCost"]["amount"] for f in w.received("POST", FEES)] == [200.0]


def test_a_row_on_an_eaccounting_project_goes_to_the_pm_project_with_its_number(
    make: Make,
) -> None:
    project = "88888888-8888-4888-8888-888888888888"
    seed = seeded(supplier_invoice("2026-01-01", cost(50, None, ProjectId=project)))
    seed["projects"] = [{"Id": project, "Number": "42", "Name": "Projekt A", "Status": 1}]
    w = make(ea_settings=seed)
    assert w.run().failed == 0
    assert [f["project"]["guid"] for f in w.received("POST", FEES)] == [PROJECT]
