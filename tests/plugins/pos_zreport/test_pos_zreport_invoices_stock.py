"""Invoice bases as draft invoices on hold, and stock as released inventory issues."""

from __future__ import annotations

from typing import Any

from pos_support import SHOPS, D, a_day

from ledgerbridge.core.sandbox import parse_fault
from ledgerbridge.plugins.pos_zreport.saft.generator import Customer, Day, Line, Receipt, Shop
from ledgerbridge.plugins.visma_net.emulator.stock import stock_of

CUSTOMER = Customer("77", "Bjørnstad Rør AS", "912345678", "22334455", "post@bjornstad.no")
SHOP = Shop(location="Butikk Sentrum", register="1", customers=[CUSTOMER])


def _credit_day() -> Day:
    day = a_day("2024-03-12", "118")
    day.receipts.append(
        Receipt(
            [
                Line("1001", D(3), D("45.00"), "25.00", D("9.00")),
                Line("9999", D(1), D("100.00"), "15.00", D("60.00")),
            ],
            "BANKAXEPT",
            "13:00:00",
            customer="77",
        )
    )
    return day


def test_a_credit_sale_becomes_a_draft_invoice_on_hold_for_the_matched_customer(pos: Any) -> None:
    env = pos(
        invoiceAccount="3000",
        settings={
            "visma_net": {
                "customers": [{"number": "10001", "name": "Bjørnstad", "corporateId": "912345678"}],
                "inventory": [
                    {"inventoryNumber": "1001", "description": "Kaffe", "type": "FinishedGoodItem"}
                ],
            }
        },
    )
    env.write("sentrum", "z.xml", [_credit_day()], shop=SHOP)
    summary = env.run()
    assert summary.failed == 0, summary.errors
    (invoice,) = env.visma.invoices.all()
    got = invoice["received"]
    assert got["hold"] is True and invoice["status"] == "Hold"  # a draft, finished in Visma.net
    assert got["customerNumber"] == "10001"  # matched by org. no.
    assert got["externalReference"].startswith("DUELL sentrum/1/")
    assert got["documentDate"] == "2024-03-12T00:00:00" and got["financialPeriod"] == "202403"
    first, second = got["invoiceLines"]
    assert first["inventoryNumber"] == "1001" and first["quantity"] == 3.0
    assert first["unitPriceInCurrency"] == 36.0 and first["vatCodeId"] == "3"
    assert second["accountNumber"] == "3000" and second["vatCodeId"] == "31"  # not an item
    assert not env.sandbox.journal.find(path_glob="*customerinvoice*/action/release")
    # the credit sale is not in the Z report's batch: it is the invoice's
    (journal,) = env.journals()
    assert all(
        ln["accountNumber"] != "1500" for ln in journal["received"]["journalTransactionLines"]
    )
    assert env.run().succeeded == 0  # sent once


def test_a_lost_draft_answer_is_found_by_its_reference(pos: Any) -> None:
    env = pos(
        invoiceAccount="3000",
        settings={
            "visma_net": {
                "customers": [{"number": "10001", "name": "Bjørnstad", "corporateId": "912345678"}]
            }
        },
    )
    env.write("sentrum", "z.xml", [_credit_day()], shop=SHOP)
    env.sandbox.faults.add(parse_fault("POST /v2/customerinvoice: drop-after x1"))
    env.run()
    env.run()
    assert len(env.visma.invoices.all()) == 1


def test_a_customer_visma_net_does_not_have_refuses_the_invoice_basis(pos: Any) -> None:
    env = pos(invoiceAccount="3000")
    env.write("sentrum", "z.xml", [_credit_day()], shop=SHOP)
    summary = env.run()
    assert summary.failed == 1
    assert "customer Bjørnstad Rør AS (77) is not in Visma.net" in summary.errors[0]["message"]
    assert env.visma.invoices.all() == []


def test_stock_issues_each_settlement_per_warehouse_and_releases_it(pos: Any) -> None:
    items = [
        {
            "inventoryNumber": n,
            "description": n,
            "type": "FinishedGoodItem",
            "warehouseDetails": [{"warehouse": "BUTIKK1", "quantityOnHand": 50.0}],
        }
        for n in ("1001", "1002", "2002")
    ]
    env = pos(stock=True, settings={"visma_net": {"inventory": items}})
    day = a_day("2024-03-12", "118")
    day.receipts.append(Receipt([Line("1002", D(-1), D("38.00"), "15.00", D("11.50"))], "CASH"))
    env.write("sentrum", "z.xml", [day])
    summary = env.run()
    assert summary.failed == 0, summary.errors
    (issue,) = stock_of(env.app("visma_net")).issues.all()
    assert issue["status"] == "Released" and issue["date"] == "2024-03-12T00:00:00"
    lines = {ln["inventoryNumber"]: ln for ln in issue["issueLines"]}
    assert lines["1001"]["quantity"] == 2.0 and lines["1001"]["tranType"] == "Issue"
    assert lines["1001"]["warehouseId"] == "BUTIKK1" and lines["1001"]["unitCost"] == 9.0
    assert "1002" not in lines  # one sold, one returned: no movement
    on_hand = env.visma.inventory.get("1001")["warehouseDetails"][0]["quantityOnHand"]
    assert on_hand == 48.0
    # stock on, stock change off: the batch has no cost-of-goods lines (counted once)
    (journal,) = env.journals()
    accounts = {ln["accountNumber"] for ln in journal["received"]["journalTransactionLines"]}
    assert not accounts & {"4390", "1460"}
    assert env.run().succeeded == 0


def test_unused_shop_constant_is_the_plain_sentrum_shop() -> None:
    assert SHOPS["sentrum"].register == SHOP.register
