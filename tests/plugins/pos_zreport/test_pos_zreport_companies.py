"""Products and customers per Visma.net company: Storgata is booked in the
company of connection `nord` (an emulator of its own), Sentrum in the
connector's. Read from what each company received."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pos_support import D, PosEnv, a_day, base_config

from ledgerbridge.core.state.db import StateDB
from ledgerbridge.plugins.pos_zreport.duell.emulator import state_of as duell_state
from ledgerbridge.plugins.pos_zreport.plugin import check_config
from ledgerbridge.plugins.pos_zreport.saft.generator import Customer, Day, Line, Receipt, Shop
from ledgerbridge.plugins.visma_net.emulator.stock import stock_of
from ledgerbridge.plugins.visma_net.emulator.testing import api_client

BJORNSTAD = Customer("77", "Bjørnstad Rør AS", "912345678", "22334455", "post@bjornstad.no")
HANSEN = Customer("78", "Hansen Maling", None, "41234567", "ola@hansenmaling.no")
SHOPS = {
    "sentrum": Shop(location="Butikk Sentrum", register="1", customers=[BJORNSTAD, HANSEN]),
    "storgata": Shop(location="Storgata", register="7", customers=[BJORNSTAD, HANSEN]),
}
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
        "product_number": "2002",
        "product_name": "Notatbok A5",
        "price_inc_vat": "49.90",
        "vatrate_percent": "25",
        "cost_price": "14.20",
    },
]
CUSTOMERS = [
    {
        "customer_id": c.id,
        "customer_name": c.name,
        "org_no": c.org_no,
        "phone": c.phone,
        "email": c.email,
    }
    for c in (BJORNSTAD, HANSEN)
]
WAREHOUSES = {"warehouses": ["BUTIKK1", "BUTIKK2"]}


def storgata_in_nord() -> dict[str, Any]:
    departments = copy.deepcopy(base_config(Path("."))["departments"])
    departments["storgata"]["connection"] = "nord"
    return departments


def credit_day(date: str, report: str, customer: str) -> Day:
    day = a_day(date, report)
    line = Line("1001", D(3), D("45.00"), "25.00", D("9.00"))
    day.receipts.append(Receipt([line], "BANKAXEPT", "13:00:00", customer=customer))
    return day


def two_companies(pos: Any, *, nord: dict[str, Any] | None = None, **config: Any) -> PosEnv:
    """Sentrum in the connector's company (which knows Bjørnstad as 10001),
    Storgata in nord's (which knows nobody)."""
    main = {
        **WAREHOUSES,
        "customers": [{"number": "10001", "name": "Bjørnstad", "corporateId": "912345678"}],
    }
    return pos(
        duell={"products": copy.deepcopy(PRODUCTS), "customers": copy.deepcopy(CUSTOMERS)},
        companies={"nord": {**WAREHOUSES, **(nord or {})}},
        settings={"visma_net": main},
        departments=storgata_in_nord(),
        **{"stock": True, **config},
    )


def writes(env: PosEnv, emulator: str) -> int:
    return sum(len(env.sandbox.journal.find(emulator=emulator, method=m)) for m in ("POST", "PUT"))


def sides(env: PosEnv, entity: str, key: str) -> dict[str, str]:
    link = StateDB(env.workspace.db_path).links("acme", "pos_zreport").find("duell", entity, key)
    assert link is not None
    return {s.system: s.key for s in link.sides}


def test_a_department_on_its_own_company_gets_its_invoice_and_stock_there_with_its_registers(
    pos: Any,
) -> None:
    env = two_companies(pos)
    env.write("sentrum", "z.xml", [credit_day("2024-03-12", "118", "77")], shop=SHOPS["sentrum"])
    env.write("storgata", "z.xml", [credit_day("2024-03-12", "40", "77")], shop=SHOPS["storgata"])
    summary = env.run()
    assert summary.failed == 0, summary.errors
    names = [f.name for f in summary.flows]
    assert names == [
        "products",
        "products@nord",
        "customers",
        "customers@nord",
        "zreports",
        "invoice_bases",
        "stock",
    ]
    main, nord = env.visma, env.company("nord")
    for company in (main, nord):  # every company has DUELL's register, each its own items
        items = {i["inventoryNumber"]: i for i in company.inventory.all()}
        assert set(items) == {"1001", "1002", "2002"}
        assert items["1001"]["crossReferences"][0]["alternateID"] == "7038010000010"
        assert items["1002"]["description"] == "1002"  # nameless: its item number
    # customers matched in each company on its own: org. no. in the main one, created in nord
    assert {c["number"] for c in main.customers.all()} == {"10001", "D78"}
    assert {c["number"] for c in nord.customers.all()} == {"D77", "D78"}
    # Storgata's draft invoice and stock issue are in nord, for nord's customer and items
    (invoice,) = nord.invoices.all()
    assert invoice["received"]["customerNumber"] == "D77" and invoice["status"] == "Hold"
    assert invoice["received"]["invoiceLines"][0]["inventoryNumber"] == "1001"
    (issue,) = stock_of(env.app("visma_net_nord")).issues.all()
    assert issue["status"] == "Released" and issue["externalReference"].startswith("DUELL Z storg")
    assert {ln["warehouseId"] for ln in issue["issueLines"]} == {"BUTIKK2"}
    on_hand = nord.inventory.get("1001")["warehouseDetails"][0]["quantityOnHand"]
    assert on_hand == -5.0  # 2 sold over the counter, 3 on credit: out of nord's stock
    (journal,) = nord.journal_transactions.all()
    assert journal["description"].endswith("Storgata 7")
    # Sentrum's are in the connector's company, for the customer matched there
    (invoice,) = main.invoices.all()
    assert invoice["received"]["customerNumber"] == "10001"
    assert len(stock_of(env.app("visma_net")).issues.all()) == 1
    # one link per thing, a side per company: bare numbers in the connector's
    assert sides(env, "customer", "77") == {
        "duell": "77",
        "visma_net": "10001",
        "visma_net@nord": "nord/D77",
    }
    assert sides(env, "product", "1001") == {
        "duell": "1001",
        "visma_net": "1001",
        "visma_net@nord": "nord/1001",
    }
    # DUELL's lists are read once per run, for both companies
    assert len(env.sandbox.journal.find(emulator="duell", path="/v1/product/list")) == 1
    assert len(env.sandbox.journal.find(emulator="duell", path="/v1/customer/list")) == 1

    before = (writes(env, "visma_net"), writes(env, "visma_net_nord"))
    again = env.run()
    assert again.succeeded == 0 and again.failed == 0, again.errors
    assert (writes(env, "visma_net"), writes(env, "visma_net_nord")) == before  # nothing twice


def test_a_change_in_duell_reaches_every_company(pos: Any) -> None:
    env = two_companies(pos, stock=False)
    assert env.run().failed == 0
    duell = duell_state(env.app("duell"))
    duell.products["1001"]["price_inc_vat"] = "49.00"
    duell.customers["78"]["email"] = "faktura@hansenmaling.no"
    summary = env.run()
    assert summary.failed == 0, summary.errors
    assert {f.name: f.updated for f in summary.flows if f.updated} == {
        "products": 1,
        "products@nord": 1,
        "customers": 1,
        "customers@nord": 1,
    }
    for company in (env.visma, env.company("nord")):
        assert company.inventory.get("1001")["defaultPrice"] == 39.2
        email = company.customers.get("D78")["mainContact"]["email"]
        assert email == "faktura@hansenmaling.no"
    assert env.run().succeeded == 0


def test_a_record_refused_in_one_company_does_not_stop_the_other(pos: Any) -> None:
    """Nord has Bjørnstad twice (same org. no.): nord cannot tell which one
    DUELL's customer is; the connector's company, and nord's other
    customers, invoices and settlements, go on."""
    twice = [
        {"number": "20001", "name": "Bjørnstad Rør", "corporateId": "912345678"},
        {"number": "20002", "name": "Bjørnstad Rør AS (gml)", "corporateId": "912345678"},
    ]
    env = two_companies(pos, nord={"customers": twice})
    env.write("sentrum", "z.xml", [credit_day("2024-03-12", "118", "77")], shop=SHOPS["sentrum"])
    env.write("storgata", "z.xml", [credit_day("2024-03-12", "40", "78")], shop=SHOPS["storgata"])
    summary = env.run()
    assert summary.failed == 1, summary.errors
    (error,) = summary.errors
    assert error["flow"] == "customers@nord" and error["record"].endswith("77")
    assert "(Visma.net company of nord) matches 2 Visma.net customers" in error["message"]
    assert env.visma.invoices.all()[0]["received"]["customerNumber"] == "10001"
    (invoice,) = env.company("nord").invoices.all()  # Hansen's, created in nord
    assert invoice["received"]["customerNumber"] == "D78"
    assert len(env.company("nord").journal_transactions.all()) == 1


def test_adding_a_company_leaves_the_connectors_company_as_it_was(pos: Any) -> None:
    """A tenant that had one company keeps its links: moving Storgata to
    its own company sends the registers there and nothing to the first."""
    env = two_companies(pos, stock=False)
    departments = copy.deepcopy(env.config["departments"])
    departments["storgata"].pop("connection")
    env.configure(departments=departments)
    first = env.run()
    assert [f.name for f in first.flows][:2] == ["products", "customers"]
    assert first.succeeded == 5 and first.failed == 0
    main = writes(env, "visma_net")
    departments["storgata"]["connection"] = "nord"
    env.configure(departments=departments)
    moved = env.run()
    assert {f.name: f.created for f in moved.flows if f.created} == {
        "products@nord": 3,
        "customers@nord": 2,
    }
    assert writes(env, "visma_net") == main
    assert sides(env, "product", "2002")["visma_net"] == "2002"


def test_visma_as_base_the_connectors_company_feeds_duell_and_duell_the_others(
    pos: Any,
) -> None:
    items = [
        {"inventoryNumber": "5001", "description": "Termokopp", "type": "FinishedGoodItem"},
        {"inventoryNumber": "5002", "description": "", "type": "FinishedGoodItem"},
    ]
    env = pos(
        duell={"products": [], "customers": []},
        companies={"nord": dict(WAREHOUSES)},
        settings={
            "visma_net": {
                "inventory": items,
                "customers": [{"number": "10001", "name": "Bjørnstad", "corporateId": "912345678"}],
            }
        },
        departments=storgata_in_nord(),
        productBase="visma",
        customerBase="visma",
    )
    summary = env.run()
    assert summary.failed == 0, summary.errors
    assert [f.name for f in summary.flows][:4] == [
        "products",
        "products@nord",
        "customers",
        "customers@nord",
    ]
    duell = duell_state(env.app("duell"))
    assert {p["product_name"] for p in duell.products.values()} == {"Termokopp", "5002"}
    nord = env.company("nord")
    assert {i["inventoryNumber"]: i["description"] for i in nord.inventory.all()} == {
        "5001": "Termokopp",
        "5002": "5002",
    }
    assert [c["name"] for c in nord.customers.all()] == ["Bjørnstad"]
    assert env.visma.customers.all()[0]["number"] == "10001"  # the base is not written
    # a change in the base company reaches nord through DUELL in the same run
    env.sandbox.clock.advance(60)
    with api_client(env.sandbox) as user:  # a user renames the item in the base company
        user.put("/v1/inventory/5001", json={"description": {"value": "Termokopp 0,4 l"}})
    summary = env.run()
    assert summary.failed == 0, summary.errors
    assert nord.inventory.get("5001")["description"] == "Termokopp 0,4 l"
    assert env.run().succeeded == 0


def test_ambiguous_companies_are_refused_at_config_time(tmp_path: Any) -> None:
    config = base_config(tmp_path)
    config["departments"]["storgata"]["connection"] = "visma"  # the connector's own
    (problem,) = check_config(config)
    assert problem.startswith("key 'departments.storgata.connection': 'visma' is the connector's")
    assert "fix: remove departments.storgata.connection" in problem

    config = {
        **base_config(tmp_path),
        "connections": {"visma_net": "visma", "duell": "pos"},
        "productBase": "visma",
    }
    config.pop("connection")
    assert check_config(config) == []  # one company: DUELL creates no items
    config["departments"]["storgata"]["connection"] = "nord"
    (problem,) = check_config(config)
    assert problem.startswith("key 'itemClass': missing; rule: with Visma as product base")
    assert "(nord) receive DUELL's products" in problem


def test_a_duell_list_is_read_once_for_its_readers_and_again_after_a_broken_read() -> None:
    from ledgerbridge.plugins.pos_zreport.duell.listing import DuellList

    class Pages:
        reads = 0

        def pages(self, path: str, items: str) -> Any:
            Pages.reads += 1
            yield from ({"n": i, "name": "Kåre"} for i in range(3))

    shared = DuellList(Pages(), "product/list", "products", readers=3)  # type: ignore[arg-type]
    broken = shared.rows()
    assert next(broken) == {"n": 0, "name": "Kåre"}
    broken.close()  # the first flow stopped after one row: nothing is kept
    assert (
        list(shared.rows()) == list(shared.rows()) == [{"n": i, "name": "Kåre"} for i in range(3)]
    )
    assert Pages.reads == 2 and shared._kept is None  # the last reader let the rows go


def test_two_connections_to_one_company_are_refused(pos: Any) -> None:
    """DUELL asks for a user per department; two users of one company would
    have its registers kept twice, so the run refuses it, naming the fix."""
    env = two_companies(pos, stock=False)
    record = env.workspace.tenant("acme")
    record.connections["kasse2"] = {**record.connections["visma"]}  # the main company again
    env.workspace.save_tenant(record)
    departments = copy.deepcopy(env.config["departments"])
    departments["storgata"]["connection"] = "kasse2"
    env.configure(departments=departments)
    refused = env.run()
    assert refused.status == "aborted"
    message = refused.message or ""
    assert "connection 'kasse2' (storgata) reaches the same company as the connector's" in message
    assert "fix: remove departments.storgata.connection" in message
    assert "demo-tenant" not in message  # the tenant id is a secret
    assert writes(env, "visma_net") == writes(env, "visma_net_nord") == 0
