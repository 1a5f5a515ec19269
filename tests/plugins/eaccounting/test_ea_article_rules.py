"""The seed's article rules, read from what each emulator received: coding
"Tjänster x% moms" by the PM VAT rate, the unit rule (Timmar, Kilometer,
Styck unless PM names one), the price incl. VAT computed, pairing by code +
name, updates from the master only, and the seed's product errors failing
alone with the reason and the fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from article_harness import ArticleHarness, coding_for, harness, pm_product, sample

from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import testing as ea
from ledgerbridge.plugins.eaccounting.sync.articles import gross
from ledgerbridge.testing.pytest_plugin import ConnectorRunner, SandboxFactory, TenantFactory

Make = Callable[..., ArticleHarness]


@pytest.fixture
def make(
    lb_workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_run: ConnectorRunner,
    lb_sandbox: SandboxFactory,
) -> Make:
    def build(master: str = "pm", **settings: Any) -> ArticleHarness:
        sandbox = lb_sandbox("severa", "eaccounting", settings=settings)
        return harness(lb_workspace, lb_tenant, lb_run, sandbox, master)

    return build


def travel(name: str, code: str, cls: str, cost: float, vat: float) -> dict[str, Any]:
    unit_cost = {"amount": cost, "currencyCode": "SEK"}
    return {"name": name, "code": code, "expenseClass": cls, "unitCost": unit_cost, "vatRate": vat}


def refused(h: ArticleHarness) -> list[Any]:
    return [b for b in h.bodies if b[1] >= 400 and b[1] != 429]


def by_number(bodies: list[Any]) -> dict[str, Any]:
    return {b["Number"]: b for b in bodies}


def test_a_new_pm_product_gets_the_service_coding_of_its_vat_rate_and_its_prices(
    make: Make,
) -> None:
    h = make("pm")
    h.add("pm", {**sample(0), "vatRate": 25.0, "price": 1000.0, "cost": 400.0})
    h.add("pm", {**sample(1), "vatRate": 12.0, "price": 99.99, "cost": None})
    h.add("pm", {**sample(2), "vatRate": 0.0, "price": 50.0})
    summary = h.run()
    assert summary.failed == 0, summary.errors
    sent = by_number(h.sent("POST", "/v2/articles"))
    assert sent["ART100"]["CodingId"] == ea.coding_id("Tjänster 25% moms")
    assert (sent["ART100"]["NetPrice"], sent["ART100"]["GrossPrice"]) == (1000.0, 1250.0)
    assert sent["ART100"]["PurchasePrice"] == 400.0
    assert sent["ART101"]["CodingId"] == ea.coding_id("Tjänster 12% moms")
    assert sent["ART101"]["GrossPrice"] == gross(99.99, 12.0) == 111.99
    assert sent["ART102"]["CodingId"] == ea.coding_id("Tjänster momsfri")
    assert sent["ART102"]["GrossPrice"] == 50.0
    assert {b["UnitId"] for b in sent.values()} == {ea.unit_id("Styck")}
    assert not refused(h)


def test_units_timmar_for_work_types_kilometer_for_mileage_styck_unless_pm_names_one(
    make: Make,
) -> None:
    h = make("pm")
    h.add_pm("worktype", {"name": "Konsultarbete", "code": "WT1"})
    h.add_pm("travel", travel("Milersättning", "TR1", "Mileage", 25, 25))
    h.add_pm("travel", travel("Parkering", "TR2", "OtherTravelExpense", 80, 6))
    h.add_pm("product", pm_product({**sample(0), "number": "P1", "unit": None}))
    h.add_pm("product", pm_product({**sample(1), "number": "P2", "unit": "h"}))
    h.add_pm("product", pm_product({**sample(2), "number": "P3", "unit": "dag"}))
    summary = h.run()
    assert summary.failed == 0, summary.errors
    sent = by_number(h.sent("POST", "/v2/articles"))
    units = {number: body["UnitId"] for number, body in sent.items()}
    assert units == {
        "WT1": ea.unit_id("Timmar"),
        "TR1": ea.unit_id("Kilometer"),
        "TR2": ea.unit_id("Styck"),
        "P1": ea.unit_id("Styck"),
        "P2": ea.unit_id("Timmar"),  # PM's "h" is eAccounting's Timmar
        "P3": ea.unit_id("Dagar"),
    }
    # a work type has no VAT rate in PM: the organization's default (25 %)
    assert sent["WT1"]["CodingId"] == ea.coding_id("Tjänster 25% moms")
    assert sent["TR2"]["CodingId"] == ea.coding_id("Tjänster 6% moms")
    assert sent["TR1"]["PurchasePrice"] == 25
    # nothing comes back: a second run writes nothing anywhere
    before = (h.writes("pm"), h.writes("eaccounting"))
    assert h.run().failed == 0
    assert (h.writes("pm"), h.writes("eaccounting")) == before
    assert not refused(h)


def test_a_product_without_vat_fails_with_the_seeds_coding_message_and_the_rest_goes_on(
    make: Make,
) -> None:
    h = make("pm")
    h.add("pm", {**sample(0), "vatRate": None})
    h.add("pm", sample(1))
    summary = h.run()
    (error,) = summary.errors
    assert error["field"] == "vatRate"
    assert "Could not add product ART100 Tjänst 0 to Visma eAccounting" in error["message"]
    assert (
        "Error converting value {null} to type 'System.Guid'. Path 'CodingId'" in (error["message"])
    )
    assert "choose the right VAT rate on the product in Visma PM" in error["fix"]
    assert [b["Number"] for b in h.sent("POST", "/v2/articles")] == ["ART101"]
    assert not refused(h)  # checked before sending


def test_a_product_without_a_code_fails_before_it_is_sent(make: Make) -> None:
    h = make("pm")
    h.add("pm", {**sample(0), "number": None})
    h.add("pm", sample(1))
    (error,) = h.run().errors
    assert error["field"] == "number"
    assert "has no code" in error["message"]
    assert "give the product a code in Visma PM (Settings > Products)" in error["fix"]
    assert [b["Number"] for b in h.sent("POST", "/v2/articles")] == ["ART101"]


@pytest.mark.parametrize(
    ("kind", "body", "what"),
    [
        ("worktype", {"code": "WT9"}, "work type"),
        (
            "travel",
            {
                "code": "TR9",
                "expenseClass": "Mileage",
                "unitCost": {"amount": 1, "currencyCode": "SEK"},
            },
            "travel expense",
        ),
        ("product", {"code": "P9", "vatRate": 25}, "product"),
    ],
)
def test_a_name_over_50_characters_is_the_seeds_error_2000_checked_before_sending(
    make: Make, kind: str, body: dict[str, Any], what: str
) -> None:
    h = make("pm")
    h.add_pm(kind, {**body, "name": "N" * 51})
    h.add("pm", sample(1))
    (error,) = h.run().errors
    assert error["field"] == "name"
    assert f"Could not add {what} {body['code']}" in error["message"]
    assert "The field Name must be a string with a maximum length of 50" in error["message"]
    assert f"shorten the {what}'s name to 50 characters" in error["fix"]
    assert [b["Number"] for b in h.sent("POST", "/v2/articles")] == ["ART101"]
    assert not refused(h)


def test_an_inactive_work_type_is_an_inactive_article_which_a_draft_row_gets_409_for(
    make: Make,
) -> None:
    """The seed's (409) Conflict: a work type deactivated in eAccounting. Aktiv
    is synced, so the draft refusal is eAccounting's, and activating the work
    type in PM (the master) activates the article again."""
    h = make("pm")
    guid = h.add_pm("worktype", {"name": "Resa", "code": "WT2", "isActive": False})
    assert h.run().failed == 0
    (body,) = h.sent("POST", "/v2/articles")
    assert body["IsActive"] is False
    (article,) = h.rows("eaccounting")
    customer = h.ea.post("/v2/customers", json={
        "Name": "Kund AB", "CustomerNumber": "5000", "InvoiceAddress1": "Storgatan 1",
        "InvoicePostalCode": "11122", "InvoiceCity": "Stockholm", "InvoiceCountryCode": "SE",
        "IsActive": True, "IsPrivatePerson": False, "TermsOfPaymentId": ea.terms_id(),
    }).json()  # fmt: skip
    draft = {
        "CustomerId": customer["Id"],
        "EuThirdParty": False,
        "RotReducedInvoicingType": 0,
        "Rows": [{"ArticleId": article["_key"], "Quantity": 1, "UnitPrice": 900,
                  "IsTextRow": False, "ReversedConstructionServicesVatFree": False}],
    }  # fmt: skip
    assert h.ea.post("/v2/customerinvoicedrafts", json=draft).status_code == 409
    h.edit("pm", f"worktype:{guid}", {"active": True})
    assert h.run().failed == 0
    (put,) = h.sent("PUT", f"/v2/articles/{article['_key']}")
    assert put["IsActive"] is True
    assert h.ea.post("/v2/customerinvoicedrafts", json=draft).status_code == 201


def test_articles_on_both_sides_are_paired_by_code_and_name_and_nothing_is_written(
    make: Make,
) -> None:
    h = make("pm")
    h.add("pm", sample(0))
    h.add("eaccounting", {**sample(0), "name": "TJÄNST 0 "})  # trimmed, case-insensitive
    h.add("pm", sample(1))
    h.add("eaccounting", sample(1))
    summary = h.run()
    assert summary.failed == 0, summary.errors
    # nothing is created; the master's spelling of the one name that differs goes over
    assert h.sent("POST", "/v2/articles") == [] and h.sent("POST", "/v1/products") == []
    assert (h.writes("pm"), h.writes("eaccounting")) == (0, 1)
    (put,) = [b for m, s, p, b in h.calls if m == "PUT" and "/v2/articles/" in p]
    assert put["Name"] == "Tjänst 0"
    assert len(h.rows("pm")) == 2 and len(h.rows("eaccounting")) == 2


def test_a_master_update_keeps_a_coding_the_user_changed_while_the_vat_rate_is_the_same(
    make: Make,
) -> None:
    """The seed asks the user to check codings after the transfer (a product
    may be goods): PM's next price change must not undo that."""
    h = make("pm")
    key = h.add("pm", sample(0))
    assert h.run().failed == 0
    (article,) = h.rows("eaccounting")
    doc = h.ea.get(f"/v2/articles/{article['_key']}").json()
    goods = coding_for(25.0, "Varor")
    assert h.ea.put(f"/v2/articles/{doc['Id']}", json={**doc, "CodingId": goods}).status_code == 200
    h.edit("pm", key, {"price": 150.0})
    assert h.run().failed == 0, "a coding change is not a synced field"
    (put,) = [b for b in h.sent("PUT", f"/v2/articles/{doc['Id']}") if b["NetPrice"] == 150.0]
    assert put["CodingId"] == goods and put["GrossPrice"] == 187.5
    h.edit("pm", key, {"vatRate": 12.0})
    assert h.run().failed == 0
    last = h.sent("PUT", f"/v2/articles/{doc['Id']}")[-1]
    assert last["CodingId"] == ea.coding_id("Tjänster 12% moms")
    assert last["GrossPrice"] == 168.0


def test_with_eaccounting_the_master_a_new_article_becomes_a_pm_product(make: Make) -> None:
    h = make("eaccounting")
    h.add("eaccounting", {**sample(0), "unit": "Timmar", "price": 950.0, "cost": 500.0})
    summary = h.run()
    assert summary.failed == 0, summary.errors
    (body,) = h.sent("POST", "/v1/products")
    assert body["code"] == "ART100" and body["name"] == "Tjänst 0"
    assert body["vatRate"] == 25.0 and body["measurementUnit"] == "Timmar"
    assert body["unitPrice"] == {"amount": 950.0, "currencyCode": "SEK"}
    assert body["unitCost"] == {"amount": 500.0, "currencyCode": "SEK"}
    assert not refused(h)


def test_an_eaccounting_master_change_reaches_a_linked_work_type_with_its_own_fields(
    make: Make,
) -> None:
    h = make("eaccounting")
    guid = h.add_pm("worktype", {"name": "Konsultarbete", "code": "WT1",
                                 "hourCost": {"amount": 300, "currencyCode": "SEK"}})  # fmt: skip
    assert h.run().failed == 0
    (article,) = h.rows("eaccounting")
    h.edit("eaccounting", article["_key"], {"name": "Konsulttimme", "cost": 320.0})
    summary = h.run()
    assert summary.failed == 0, summary.errors
    (patch,) = h.sent("PATCH", f"/v1/worktypes/{guid}")
    assert {"op": "Replace", "path": "/name", "value": "Konsulttimme"} in patch
    assert {"op": "Replace", "path": "/hourCost/amount", "value": "320"} in patch
    assert {op["path"] for op in patch} == {"/name", "/code", "/isActive", "/hourCost/amount"}
    assert not refused(h)
