"""Products and customers: both bases, the match order, duplicates allowed,
the nameless product; read from what each emulator received."""

from __future__ import annotations

from typing import Any

from ledgerbridge.plugins.pos_zreport.duell.emulator import state_of as duell_state

PRODUCTS = [
    {
        "product_number": "1001",
        "product_name": "Kaffe, stor",
        "barcode": "7038010000010",
        "price_inc_vat": "45.00",
        "vatrate_percent": "25",
        "cost_price": "9.00",
    },
    {
        "product_number": "1002",
        "product_name": "",
        "price_inc_vat": "38.00",
        "vatrate_percent": "15",
        "cost_price": "11.50",
    },
    {
        "product_number": "2001",
        "product_name": "Notatbok A5",
        "price_inc_vat": "129.00",
        "vatrate_percent": "25",
    },
]


def test_duell_as_product_base_creates_and_updates_visma_items_by_number(pos: Any) -> None:
    env = pos(
        duell={"products": PRODUCTS},
        settings={
            "visma_net": {
                "inventory": [
                    {
                        "inventoryNumber": "2001",
                        "description": "Gammel notatbok",
                        "type": "FinishedGoodItem",
                    }
                ]
            }
        },
        customers=False,
    )
    summary = env.run()
    assert summary.succeeded == 3, summary.errors[0]["message"]
    items = {i["inventoryNumber"]: i for i in env.visma.inventory.all()}
    assert set(items) == {"1001", "1002", "2001"}  # 2001 matched by number, not duplicated
    assert items["1001"]["description"] == "Kaffe, stor"
    assert items["1001"]["defaultPrice"] == 36.0  # 45.00 incl. 25 % VAT
    assert items["1001"]["crossReferences"][0]["alternateType"] == "Barcode"
    assert items["1001"]["crossReferences"][0]["alternateID"] == "7038010000010"
    assert items["1002"]["description"] == "1002"  # no name: its item number
    assert items["2001"]["description"] == "Notatbok A5"
    assert env.run().succeeded == 0  # nothing changed
    duell_state(env.app("duell")).products["1001"]["price_inc_vat"] = "49.00"
    assert env.run().succeeded == 1
    assert env.visma.inventory.get("1001")["defaultPrice"] == 39.2


def test_visma_as_product_base_sends_cost_price_and_barcode_to_duell(pos: Any) -> None:
    inventory = [
        {
            "inventoryNumber": "5001",
            "description": "Termokopp",
            "type": "FinishedGoodItem",
            "costPriceStatistics": {"averageCost": 61.25, "lastCost": 64.0},
            "crossReferences": [{"alternateType": "Barcode", "alternateID": "7040000050014"}],
        },
        {
            "inventoryNumber": "5002",
            "description": "",
            "type": "FinishedGoodItem",
            "costPriceStatistics": {"averageCost": 10.0, "lastCost": 12.0},
        },
    ]
    env = pos(
        duell={},
        settings={"visma_net": {"inventory": inventory}},
        productBase="visma",
        customers=False,
        costPriceField="last",
    )
    summary = env.run()
    assert summary.succeeded == 2, summary.errors
    products = duell_state(env.app("duell")).products
    assert (
        products["5001"]["cost_price"] == "64.0" and products["5001"]["barcode"] == "7040000050014"
    )
    assert products["5001"]["product_name"] == "Termokopp"
    assert products["5002"]["product_name"] == "5002"  # the seed's FAQ: no name, its number
    assert env.run().succeeded == 0


VISMA_CUSTOMERS = [
    {"number": "10001", "name": "Org AS", "corporateId": "912345678"},
    {"number": "10002", "name": "Telefon AS", "mainContact": {"phone1": "22334455"}},
    {"number": "10003", "name": "Epost AS", "mainContact": {"email": "post@epost.no"}},
    {"number": "10006", "name": "Epost2 AS", "mainContact": {"email": "faktura@epost2.no"}},
    {"number": "10004", "name": "Dup 1", "mainContact": {"phone1": "99887766"}},
    {"number": "10005", "name": "Dup 2", "mainContact": {"phone1": "99887766"}},
]
DUELL_CUSTOMERS = [
    # org. no. first, even though the email is Epost AS's
    {
        "customer_id": "1",
        "customer_name": "Org AS avd. Oslo",
        "org_no": "NO 912 345 678 MVA",
        "email": "post@epost.no",
    },
    {"customer_id": "2", "customer_name": "Telefon", "phone": "+47 22 33 44 55"},
    {"customer_id": "3", "customer_name": "Epost", "email": "FAKTURA@Epost2.no"},
    {"customer_id": "4", "customer_name": "Ny Kunde", "email": "ny@kunde.no"},
    {"customer_id": "5", "customer_name": "Uten telefon", "phone": "99999999"},
    {"customer_id": "6", "customer_name": "Tvetydig", "phone": "99887766"},
]


def test_customers_are_matched_by_org_number_then_phone_then_email(pos: Any) -> None:
    env = pos(
        duell={"customers": DUELL_CUSTOMERS},
        settings={"visma_net": {"customers": VISMA_CUSTOMERS}},
        products=False,
    )
    summary = env.run()
    assert summary.succeeded == 5 and summary.failed == 1
    names = {c["number"]: c["name"] for c in env.visma.customers.all()}
    assert names["10001"] == "Org AS avd. Oslo"  # matched by org. no.
    assert names["10002"] == "Telefon"  # by phone, normalised
    assert names["10003"] == "Epost AS"  # its email was customer 1's, matched by org. no. first
    assert names["10006"] == "Epost"  # by email, case-insensitively
    assert names["D4"] == "Ny Kunde" and names["D5"] == "Uten telefon"  # created
    assert len(names) == 8
    assert "matches 2 Visma.net customers by phone" in summary.errors[0]["message"]
    assert env.visma.customers.get("10001")["corporateId"] == "912345678"


def test_allow_duplicate_customer_data_always_creates(pos: Any) -> None:
    env = pos(
        duell={"customers": DUELL_CUSTOMERS[:3]},
        settings={"visma_net": {"customers": VISMA_CUSTOMERS}},
        products=False,
        allowDuplicateCustomerData=True,
    )
    summary = env.run()
    assert summary.succeeded == 3, summary.errors[0]["message"]
    names = {c["number"]: c["name"] for c in env.visma.customers.all()}
    assert names["10001"] == "Org AS" and names["D1"] == "Org AS avd. Oslo"
    assert len(names) == 9
    # no matching: not one customer list was read by org. no., phone or email
    assert not env.sandbox.journal.find(method="GET", path="/v1/customer")


def test_visma_as_customer_base_sends_customers_to_duell(pos: Any) -> None:
    env = pos(
        duell={},
        settings={"visma_net": {"customers": VISMA_CUSTOMERS[:3]}},
        products=False,
        customerBase="visma",
    )
    assert env.run().succeeded == 3
    got = {c["customer_name"]: c for c in duell_state(env.app("duell")).customers.values()}
    assert got["Org AS"]["org_no"] == "912345678"
    assert got["Telefon AS"]["phone"] == "22334455"
    assert env.run().succeeded == 0
