"""The Visma PM (Severa) API client against the emulator, in-process:
tokens and the client_id header, both paging styles, JSON-Patch helpers,
errors, pacing under 10 requests a second, and bodies matching the models."""

from __future__ import annotations

from typing import Any

import pytest
from ea_support import ACME, INVOICE, PROJECT, SEVERA_SCHEMAS, pm_settings, pm_world

from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http import ApiError
from ledgerbridge.plugins.eaccounting.pm.api import SCOPES, add, replace
from ledgerbridge.plugins.eaccounting.pm.emulator import testing as pm
from ledgerbridge.plugins.eaccounting.pm.emulator.auth import DEMO_CLIENT


def test_a_token_is_fetched_once_and_every_call_names_the_client() -> None:
    world = pm_world(pm_settings())
    api = world.api(["customers:read", "invoices:read"])
    assert api.get_customer(ACME)["name"] == "Acme AB"  # type: ignore[index]
    assert api.get_invoice(INVOICE)["number"] is None  # type: ignore[index]
    token_posts = world.sandbox.journal.find(method="POST", path="/rest-api/v1/token")
    assert len(token_posts) == 1
    assert token_posts[0].body["scope"] == "customers:read invoices:read"
    assert token_posts[0].body["client_secret"] != DEMO_CLIENT.client_secret  # masked
    calls = world.sandbox.journal.find(method="GET")
    assert calls and all(_header(c.headers, "client-id") == DEMO_CLIENT.client_id for c in calls)


def test_an_expired_token_is_renewed_once_on_a_401() -> None:
    world = pm_world(pm_settings())
    api = world.api()
    api.get_customer(ACME)
    world.sandbox.apps["severa"].auth.expire()  # type: ignore[attr-defined]
    assert api.get_customer(ACME) is not None
    assert world.sandbox.journal.count(method="POST", path="/rest-api/v1/token") == 2
    assert world.sandbox.journal.count(status=401) == 1


def test_refused_credentials_tell_the_operator_what_to_check() -> None:
    world = pm_world()
    sandbox, _ = pm.make_sandbox(
        clock=world.clock, settings={"clients": [{"client_id": "other", "client_secret": "s"}]}
    )
    world.sandbox = sandbox
    with pytest.raises(
        AuthError, match=r"did not accept the client credentials .*Settings > REST API"
    ):
        world.api().vat_rates()


def test_token_pages_follow_next_page_token() -> None:
    customers = [{"name": f"C{i:03}"} for i in range(249)]
    world = pm_world(pm_settings(customers=[*pm_settings()["customers"], *customers]))
    api = world.api()
    names = [c["name"] for c in api.customers()]
    assert len(names) == 250 and names[-1] == "C248"
    pages = world.sandbox.journal.find(method="GET", path="/rest-api/v1/customers")
    assert len(pages) == 3
    assert [("pageToken" in p.query) for p in pages] == [False, True, True]
    assert {p.query["rowCount"][0] for p in pages} == {"100"}


def test_first_row_pages_until_a_short_page() -> None:
    work_types = [{"name": f"W{i:03}", "code": f"W{i:03}"} for i in range(150)]
    world = pm_world(pm_settings(work_types=work_types))
    assert len(list(world.api().work_types())) == 150
    pages = world.sandbox.journal.find(method="GET", path="/rest-api/v1/worktypes")
    assert [p.query["firstRow"][0] for p in pages] == ["0", "100"]


def test_changed_since_reads_only_later_changes() -> None:
    world = pm_world(pm_settings())
    api = world.api()
    world.clock.advance(60)
    api.patch_customer(ACME, [replace("/notes", "moved")])
    assert [c["guid"] for c in api.customers(changed_since="2026-01-01T00:01:00Z")] == [ACME]
    assert list(api.products(changed_since="2026-01-01T00:01:00Z")) == []


def test_the_status_back_sets_status_and_number() -> None:
    world = pm_world(pm_settings())
    api = world.api()
    waiting = api.invoices(
        status_guids=[s["guid"] for s in api.invoice_statuses() if s["name"] == pm.TO_TRANSFER]
    )
    invoice = next(iter(waiting))
    assert [r["description"] for r in api.invoice_rows(invoice["guid"])] == ["Konsult"]
    done = api.set_invoice_status(invoice["guid"], pm.status_guid("Skickad"), 5001)
    assert (done["status"]["name"], done["number"]) == ("Skickad", 5001)
    body = world.sandbox.journal.last(method="PATCH").body  # type: ignore[union-attr]
    assert body == [
        {"op": "Replace", "path": "/status/guid", "value": pm.status_guid("Skickad")},
        {"op": "Replace", "path": "/number", "value": "5001"},
    ]


def test_vendor_errors_become_record_errors() -> None:
    world = pm_world(pm_settings())
    api = world.api()
    with pytest.raises(ApiError) as info:
        api.create_customer({"name": "Euro GmbH", "currency": {"code": "EUR"}})
    error = info.value
    assert (error.status, error.vendor_code) == (400, "AddonMissing")
    record = error.to_record_error(fix="Activate the Currencies add-on in Visma PM.")
    assert record.field == "currency" and "Currencies add-on" in (record.rule or "")
    assert api.get_customer("00000000-0000-4000-8000-000000000000") is None  # a bodiless 404
    with pytest.raises(ApiError) as bad:
        api.patch_customer(ACME, [replace("/guid", "x")])
    assert bad.value.field_errors[0].field == "/guid"


def test_requests_are_paced_under_ten_a_second() -> None:
    world = pm_world(pm_settings())
    api = world.api()
    for _ in range(30):
        api.vat_rates()
    assert world.sandbox.journal.count(status=429) == 0
    assert sum(world.clock.sleeps) >= 29 * 0.11 - 1e-4  # float seconds since the epoch


def test_a_throttled_request_is_retried() -> None:
    world = pm_world(pm_settings())
    api = world.api()
    world.sandbox.faults.add("GET /rest-api/v1/vatrates: 429 retry-after=1 x1")
    assert api.vat_rates()
    assert world.sandbox.journal.count(status=429) == 1


def test_every_body_the_client_sends_matches_the_models() -> None:
    world = pm_world(pm_settings())
    api = world.api(SCOPES)  # the scopes the connector asks for cover every call
    made = api.create_customer(
        {"name": "Beta AB", "number": 1002, "isActive": True, "vatNumber": "SE5566"}
    )
    api.patch_customer(
        made["guid"], [replace("/name", "Beta Sverige AB"), replace("/isActive", False)]
    )
    address = {
        "addressline": "Gatan 2",
        "postalCode": "41101",
        "city": "Göteborg",
        "isBillingAddress": True,
        "country": {"guid": pm.country_guid("SE")},
    }
    made_address = api.create_address(made["guid"], address)
    api.patch_address(made_address["guid"], [replace("/city", "Mölndal")])
    contact = api.create_contact(
        {"firstName": "Bo", "lastName": "Ek", "customer": {"guid": made["guid"]}, "emails": []}
    )
    api.patch_contact(contact["guid"], [add("/emails/-", "bo@beta.se")])
    product = api.create_product(
        {
            "name": "Support",
            "code": "SUP",
            "vatRate": 25.0,
            "unitPrice": {"amount": 500.0, "currencyCode": "SEK"},
        }
    )
    api.patch_product(product["guid"], [replace("/unitPrice/amount", 550.0)])
    api.create_work_type({"name": "Design", "code": "DES", "isActive": True})
    api.create_travel_expense_type(
        {
            "name": "Taxi",
            "code": "TAX",
            "expenseClass": "OtherTravelExpense",
            "unitCost": {"amount": 0.0, "currencyCode": "SEK"},
        }
    )
    fee = {
        "project": {"guid": PROJECT},
        "description": "2026-01-05 12 Leverantör AB",
        "eventDate": "2026-01-05",
        "quantity": 1,
        "unitCost": {"amount": 500.0, "currencyCode": "SEK"},
        "unitPrice": {"amount": 500.0, "currencyCode": "SEK"},
        "isBillable": True,
        "vatRate": 25.0,
    }
    assert api.create_project_fee(fee)["project"]["guid"] == PROJECT
    assert [f["description"] for f in api.project_fees()] == [fee["description"]]
    assert [p["guid"] for p in api.projects()] == [PROJECT]
    assert len(api.currencies()) == 4 and api.countries() and api.vat_rates()
    api.set_invoice_status(INVOICE, pm.status_guid("Skickad"), 5001)
    schemas = {
        "token": "ClientCredentials",
        "customers": "CustomerModel",
        "addresses": "AddressModel",
        "contactpersons": "ContactModel",
        "products": "ProductInputModel",
        "worktypes": "WorkTypeInputModel",
        "travelexpensetypes": "TravelExpenseTypeInputModel",
        "projectfees": "ProjectFeeInputModel",
    }
    checked = 0
    for entry in world.sandbox.journal.entries():
        if entry.method == "POST":
            parts = entry.path.strip("/").split("/")
            body: Any = entry.body
            if parts[-1] == "token":
                body = {**body, "client_secret": "-"}  # masked in the journal
            assert SEVERA_SCHEMAS.validate(schemas[parts[-1]], body) == [], entry.path
            checked += 1
        elif entry.method == "PATCH":
            assert SEVERA_SCHEMAS.validate("PatchDocument", entry.body) == [], entry.path
            checked += 1
    assert checked == 13  # the token, 7 creates and 5 patches
    assert world.sandbox.journal.count(status=400) == 0


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)
