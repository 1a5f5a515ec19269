"""The eAccounting emulator's records: validation in the vendor's words,
change stamps, paging and $filter, duplicates, and answers that match the spec."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from ea_support import EA_SCHEMAS, article, cost_center_item, customer

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.sandbox import EmulatorOptions
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import testing as ea
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.app import build_app
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.validation import operation_scopes


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api(clock: FakeClock) -> Any:
    sandbox, _ = ea.make_sandbox(clock=clock)
    with ea.api_client(sandbox) as client:
        yield client


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_the_seeds_product_error_is_reproduced_word_for_word(api: httpx.Client) -> None:
    """Seed: "ValidateModelAttributeException - Error converting value {null} to type
    'System.Guid'. Path 'CodingId', line 8, position 18. The field Name must be a
    string with a maximum length of 50." (a pretty-printed body, CodingId 8th line)."""
    body = {
        "IsActive": True,
        "Number": "P-1",
        "Name": "x" * 51,
        "NameEnglish": None,
        "NetPrice": 100.0,
        "GrossPrice": 125.0,
        "CodingId": None,
        "UnitId": ea.unit_id(),
    }
    text = json.dumps(body, indent=2)
    assert text.splitlines()[7] == '  "CodingId": null,'
    answer = api.post("/v2/articles", content=text, headers={"Content-Type": "application/json"})
    error = ok(answer, 400)
    assert error["ErrorCode"] == 2000
    assert error["DeveloperErrorMessage"] == (
        "ValidateModelAttributeException - Error converting value {null} to type 'System.Guid'. "
        "Path 'CodingId', line 8, position 18. "
        "The field Name must be a string with a maximum length of 50."
    )
    assert [e["Field"] for e in error["Errors"]] == ["CodingId", "Name"]
    assert re.fullmatch(r"[0-9a-f-]{36}", error["ErrorId"])
    assert EA_SCHEMAS.validate("CommonExtendedBadRequest", error) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("Name", "N" * 51, "The field Name must be a string with a maximum length of 50."),
        (
            "InvoiceAddress1",
            "A" * 51,
            "The field InvoiceAddress1 must be a string with a maximum length of 50.",
        ),
        (
            "TermsOfPaymentId",
            "not-a-guid",
            "Error converting value \"not-a-guid\" to type 'System.Guid'.",
        ),
        ("IsActive", None, "Error converting value {null} to type 'System.Boolean'."),
        ("Colour", "red", "Could not find member 'Colour' on object of type 'CustomerApi'."),
    ],
)
def test_customer_validation_names_field_and_rule(
    api: httpx.Client, field: str, value: Any, message: str
) -> None:
    error = ok(api.post("/v2/customers", json=customer(**{field: value})), 400)
    assert error["DeveloperErrorMessage"].startswith(f"ValidateModelAttributeException - {message}")
    assert error["Errors"][0]["Field"] == field


def test_a_missing_required_field_is_named(api: httpx.Client) -> None:
    body = customer()
    del body["InvoiceCity"]
    error = ok(api.post("/v2/customers", json=body), 400)
    assert (
        error["DeveloperErrorMessage"]
        == "ValidateModelAttributeException - The InvoiceCity field is required."
    )


def test_change_stamps_move_on_every_write(api: httpx.Client) -> None:
    created = ok(api.post("/v2/customers", json=customer()), 201)
    replaced = ok(api.put(f"/v2/customers/{created['Id']}", json={**created, "Note": "VIP"}))
    assert replaced["ChangedUtc"] > created["ChangedUtc"]  # even on a clock that stands still
    art = ok(api.post("/v2/articles", json=article()), 201)
    art2 = ok(api.put(f"/v2/articles/{art['Id']}", json={**art, "NetPrice": 900}))
    assert art2["ChangedUtc"] > art["ChangedUtc"] and art2["CreatedUtc"] == art["CreatedUtc"]


def test_get_then_put_round_trips_every_answer(api: httpx.Client) -> None:
    """PUT is a full replace: what GET answers must be accepted back."""
    created = ok(api.post("/v2/customers", json=customer()), 201)
    fetched = ok(api.get(f"/v2/customers/{created['Id']}"))
    assert ok(api.put(f"/v2/customers/{created['Id']}", json=fetched))["Name"] == "Acme AB"
    assert EA_SCHEMAS.validate("CustomerApi", fetched) == []


def test_customer_numbers_are_given_and_unique(api: httpx.Client) -> None:
    first = ok(api.post("/v2/customers", json=customer()), 201)
    ok(api.post("/v2/customers", json=customer("Own", CustomerNumber="2")), 201)
    third = ok(api.post("/v2/customers", json=customer("Next")), 201)
    assert (first["CustomerNumber"], third["CustomerNumber"]) == ("1", "3")
    clash = ok(api.post("/v2/customers", json=customer("Again", CustomerNumber="2")), 400)
    assert clash["ErrorCode"] == 4000 and clash["Errors"][0]["Field"] == "CustomerNumber"


def test_lists_page_as_meta_and_data(api: httpx.Client) -> None:
    for i in range(7):
        ok(api.post("/v2/customers", json=customer(f"C{i}")), 201)
    page = ok(api.get("/v2/customers", params={"$page": 2, "$pagesize": 3}))
    assert page["Meta"] | {"ServerTimeUtc": "-"} == {
        "CurrentPage": 2,
        "PageSize": 3,
        "TotalNumberOfPages": 3,
        "TotalNumberOfResults": 7,
        "ServerTimeUtc": "-",
    }
    assert [c["Name"] for c in page["Data"]] == ["C3", "C4", "C5"]
    assert EA_SCHEMAS.validate("CommonPaginationMetadata", page["Meta"]) == []
    assert ok(api.get("/v2/customers"))["Meta"]["PageSize"] == 50  # the vendor's default
    bad = ok(api.get("/v2/customers", params={"$page": 0}), 400)
    assert bad["ErrorCode"] == 2000


def test_filter_on_change_stamps_returns_only_later_writes(
    api: httpx.Client, clock: FakeClock
) -> None:
    old = ok(api.post("/v2/customers", json=customer("Old")), 201)
    watermark = ok(api.get("/v2/customers"))["Meta"]["ServerTimeUtc"]
    clock.advance(5)
    ok(api.post("/v2/customers", json=customer("New")), 201)
    ok(api.put(f"/v2/customers/{old['Id']}", json={**old, "Note": "changed"}))
    changed = ok(api.get("/v2/customers", params={"$filter": f"ChangedUtc gt {watermark}"}))
    assert sorted(c["Name"] for c in changed["Data"]) == ["New", "Old"]
    later = ok(
        api.get(
            "/v2/customers", params={"$filter": f"ChangedUtc gt {changed['Meta']['ServerTimeUtc']}"}
        )
    )
    assert later["Data"] == []
    named = ok(api.get("/v2/customers", params={"$filter": "Name eq 'new' and IsActive eq true"}))
    assert [c["Name"] for c in named["Data"]] == ["New"]
    ordered = ok(api.get("/v2/customers", params={"$orderby": "Name desc"}))
    assert [c["Name"] for c in ordered["Data"]] == ["Old", "New"]


def test_unsupported_filters_are_refused_not_ignored(api: httpx.Client) -> None:
    unknown = ok(api.get("/v2/customers", params={"$filter": "Colour eq 'red'"}), 400)
    assert "Could not find a property named 'Colour'" in unknown["DeveloperErrorMessage"]
    function = ok(api.get("/v2/customers", params={"$filter": "contains(Name,'a')"}), 400)
    assert "contains" in function["DeveloperErrorMessage"]


def test_articles_check_coding_unit_and_number(api: httpx.Client) -> None:
    created = ok(api.post("/v2/articles", json=article()), 201)
    assert (created["CodingName"], created["UnitName"], created["IsServiceArticle"]) == (
        "Tjänster 25% moms",
        "Timmar",
        True,
    )
    duplicate = ok(api.post("/v2/articles", json=article(name="Other")), 400)
    assert duplicate["ErrorCode"] == 4000 and duplicate["Errors"][0]["Field"] == "Number"
    unknown = ok(api.post("/v2/articles", json=article("X", CodingId=ea.terms_id())), 400)
    assert unknown["ErrorCode"] == 3000 and unknown["Errors"][0]["Field"] == "CodingId"


def test_cost_center_items_are_unique_by_name_and_short_name(api: httpx.Client) -> None:
    item = ok(api.post("/v2/costcenteritems", json=cost_center_item()), 201)
    for clash, field in (
        (cost_center_item(short="9999"), "Name"),
        (cost_center_item("Other"), "ShortName"),
    ):
        error = ok(api.post("/v2/costcenteritems", json=clash), 400)
        assert error["ErrorCode"] == 4000
        assert error["DeveloperErrorMessage"] == (
            "CostCenterItemAlreadyExistsException - "
            "A cost center item with the provided id or name already exists."
        )
        assert error["Errors"][0]["Field"] == field
    too_long = ok(api.post("/v2/costcenteritems", json=cost_center_item(short="1234567890")), 400)
    assert (
        "The field ShortName must be a string with a maximum length of 9."
        in too_long["DeveloperErrorMessage"]
    )
    centers = ok(api.get("/v2/costcenters"))["Data"]
    assert [c["Number"] for c in centers] == [1, 2, 3]
    assert centers[1]["Items"] == [item]
    moved = ok(
        api.put(
            f"/v2/costcenteritems/{item['Id']}", json={**item, "CostCenterId": ea.cost_center_id(1)}
        ),
        400,
    )
    assert moved["ErrorCode"] == 4002
    renamed = ok(api.put(f"/v2/costcenteritems/{item['Id']}", json={**item, "Name": "Projekt A2"}))
    assert renamed["Name"] == "Projekt A2" and renamed["CreatedUtc"] == item["CreatedUtc"]


def test_reference_lists_and_company_settings_match_the_spec(api: httpx.Client) -> None:
    for path, schema in (
        ("articleaccountcodings", "ArticleAccountCodingApi"),
        ("units", "UnitApi"),
        ("termsofpayments", "TermsOfPaymentApi"),
        ("vatcodes", "VatCodeApi"),
        ("currencies", "CurrencyApi"),
        ("countries", "CountryApi"),
    ):
        data = ok(api.get(f"/v2/{path}"))["Data"]
        assert data, path
        assert [EA_SCHEMAS.validate(schema, d) for d in data] == [[]] * len(data), path
    assert EA_SCHEMAS.validate("CompanySettingsApi", ok(api.get("/v2/companysettings"))) == []
    assert ok(api.get("/v2/countries/se"))["Code"] == "SE"
    assert ok(api.get(f"/v2/units/{ea.unit_id('Kilometer')}"))["Name"] == "Kilometer"
    missing = ok(api.get(f"/v2/units/{ea.terms_id()}"), 404)
    assert missing["ErrorCode"] == 3000


def test_every_route_is_an_operation_of_the_spec() -> None:
    """No invented endpoints: each /v2 route is in the spec (with its scopes)."""
    app = build_app(EmulatorOptions(clock=FakeClock()))
    operations = {
        (key.split()[0], re.sub(r"\{[^}]+\}", "{}", key.split()[1])) for key in operation_scopes()
    }
    routes = {
        (r.method, re.sub(r"\{[^}]+\}", "{}", r.pattern.removeprefix("/v2")))
        for r in app.routes
        if r.pattern.startswith("/v2")
    }
    assert routes and routes <= operations, routes - operations


def test_seeds_go_through_the_same_rules() -> None:
    with pytest.raises(ValueError, match=r"customers\[1\] does not match CustomerApi: Name"):
        ea.make_sandbox(settings={"customers": [customer("N" * 51)]})
    with pytest.raises(ValueError, match="CostCenterItemAlreadyExistsException"):
        ea.make_sandbox(
            settings={"cost_center_items": [cost_center_item(), cost_center_item(short="2")]}
        )
    _, state = ea.make_sandbox(
        settings={
            "company": {"CountryCode": "NO"},
            "customers": [customer(Id="0f0f0f0f-0000-4000-8000-000000000001")],
        }
    )
    assert state.company["CountryCode"] == "NO"
    assert state.customers.get("0f0f0f0f-0000-4000-8000-000000000001")["Name"] == "Acme AB"
