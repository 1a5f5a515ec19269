"""The Severa (Visma PM) emulator: tokens, client_id header, scopes,
NextPageToken paging, changedSince, JSON-Patch, invoice statuses, errors,
10 requests a second."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from ea_support import ACME, INVOICE, PROJECT, pm_settings, pm_world

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.plugins.eaccounting.pm.emulator import testing as pm
from ledgerbridge.plugins.eaccounting.pm.emulator.auth import DEMO_CLIENT, TOKEN_PATH

BASE = "/rest-api/v1"


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    body = ok(response, status)
    assert set(body) == {"error"} and body["error"]["httpStatusCode"] == status
    error: dict[str, Any] = body["error"]
    return error


@pytest.fixture
def world() -> Any:
    w = pm_world(pm_settings())
    with w.raw() as api:
        yield api, w


def test_the_token_endpoint_takes_json_client_credentials() -> None:
    sandbox, _ = pm.make_sandbox()
    with sandbox.client("severa") as client:
        good = {"client_id": DEMO_CLIENT.client_id, "client_secret": DEMO_CLIENT.client_secret}
        issued = ok(client.post(TOKEN_PATH, json={**good, "scope": "customers:read,invoices:read"}))
        bad = client.post(TOKEN_PATH, json={**good, "client_secret": "wrong"})
        missing = client.post(TOKEN_PATH, json={"client_id": DEMO_CLIENT.client_id})
        refreshed = ok(client.post("/rest-api/v1/refreshtoken", json=issued["refresh_token"]))
        spent = client.post("/rest-api/v1/refreshtoken", json=issued["refresh_token"])
    assert issued["access_token_type"] == "Bearer" and issued["access_token_expires_in"] == 3600
    assert issued["scope"] == "customers:read invoices:read"
    assert {
        "refresh_token",
        "access_token_expires_utc",
        "refresh_token_expires_in",
    } <= issued.keys()
    assert error_of(bad, 401)["type"] == "AuthenticationRequired"
    assert error_of(missing, 400)["details"][0]["location"]["name"] == "client_secret"
    assert refreshed["access_token"] != issued["access_token"]
    assert spent.status_code == 401


def test_calls_need_the_token_the_client_id_header_and_the_area_scope() -> None:
    w = pm_world(pm_settings())
    token = pm.get_token(w.sandbox, "customers:read")
    with w.sandbox.client("severa") as client:
        no_header = client.get(f"{BASE}/customers", headers={"Authorization": f"Bearer {token}"})
        headers = {"Authorization": f"Bearer {token}", "client_id": DEMO_CLIENT.client_id}
        reads = client.get(f"{BASE}/customers", headers=headers)
        writes = client.post(f"{BASE}/customers", json={"name": "X"}, headers=headers)
        other_area = client.get(f"{BASE}/invoices", headers=headers)
        w.sandbox.apps["severa"].auth.expire()  # type: ignore[attr-defined]
        expired = client.get(f"{BASE}/customers", headers=headers)
    assert error_of(no_header, 401)["details"][0]["location"]["name"] == "client_id"
    assert reads.status_code == 200
    assert "customers:write" in error_of(writes, 403)["details"][0]["message"]
    assert error_of(other_area, 403)["type"] == "InsufficientApiScope"
    assert error_of(expired, 401)["type"] == "AuthenticationRequired"


def test_lists_page_with_next_page_token_headers(world: Any) -> None:
    api, w = world
    for i in range(4):
        w.clock.advance(1)  # 10 requests a second
        ok(api.post(f"{BASE}/customers", json={"name": f"C{i}"}), 201)
    first = api.get(f"{BASE}/customers", params={"rowCount": 2})
    token = first.headers["NextPageToken"]
    second = api.get(f"{BASE}/customers", params={"rowCount": 2, "pageToken": token})
    third = api.get(
        f"{BASE}/customers", params={"rowCount": 2, "pageToken": second.headers["NextPageToken"]}
    )
    names = [c["name"] for page in (first, second, third) for c in ok(page)]
    assert names == ["Acme AB", "C0", "C1", "C2", "C3"]
    assert "NextPageToken" not in third.headers
    w.clock.advance(1)
    foreign = api.get(
        f"{BASE}/customers", params={"rowCount": 2, "pageToken": token, "isActive": "true"}
    )
    assert error_of(foreign, 400)["details"][0]["location"]["name"] == "pageToken"
    assert len(ok(api.get(f"{BASE}/customers", params={"rowCount": 500}))) == 5  # capped at 100


def test_changed_since_is_greater_or_equal(world: Any) -> None:
    api, w = world
    w.clock.advance(60)
    since = "2026-01-01T00:01:00Z"
    new = ok(api.post(f"{BASE}/customers", json={"name": "New"}), 201)
    changed = ok(api.get(f"{BASE}/customers", params={"changedSince": since}))
    assert [c["guid"] for c in changed] == [new["guid"]]
    assert new["lastUpdatedDateTime"] == "2026-01-01T00:01:00.000Z"
    bad = api.get(f"{BASE}/customers", params={"changedSince": "yesterday"})
    assert error_of(bad, 400)["details"][0]["location"] == {
        "type": "UriParameter",
        "name": "changedSince",
        "identifier": None,
    }


def test_json_patch_updates_and_moves_the_stamp(world: Any) -> None:
    api, _ = world
    before = ok(api.get(f"{BASE}/customers/{ACME}"))
    ops = [
        {"op": "Replace", "path": "/name", "value": "Acme Sverige AB"},
        {"op": "replace", "path": "/isActive", "value": "false"},  # converted, any case
        {"op": "Remove", "path": "/vatNumber"},
    ]
    patched = ok(api.patch(f"{BASE}/customers/{ACME}", json=ops))
    assert isinstance(patched, list) and len(patched) == 1  # the spec answers a list
    after = patched[0]
    assert (after["name"], after["isActive"], after["vatNumber"]) == (
        "Acme Sverige AB",
        False,
        None,
    )
    assert after["lastUpdatedDateTime"] > before["lastUpdatedDateTime"]
    assert after["createdDateTime"] == before["createdDateTime"] and after["number"] == 1001
    contact = ok(api.get(f"{BASE}/customers/{ACME}/contactpersons"))[0]
    append = [{"op": "Add", "path": "/emails/-", "value": "anna.berg@acme.se"}]
    added = ok(api.patch(f"{BASE}/contactpersons/{contact['guid']}", json=append))
    assert added[0]["emails"] == ["anna@acme.se", "anna.berg@acme.se"]
    no_list = [{"op": "Add", "path": "/phoneNumbers/-", "value": "070-1234567"}]
    refused = api.patch(f"{BASE}/contactpersons/{contact['guid']}", json=no_list)
    assert error_of(refused, 400)["details"][0]["location"]["name"] == "/phoneNumbers/-"


@pytest.mark.parametrize(
    ("ops", "name"),
    [
        ([{"op": "Replace", "path": "/guid", "value": "x"}], "/guid"),
        ([{"op": "Replace", "path": "/lastUpdatedDateTime", "value": "x"}], "/lastUpdatedDateTime"),
        ([{"op": "Replace", "path": "/nothing", "value": "x"}], "/nothing"),
        ([{"op": "Replace", "path": "/number", "value": "many"}], "/number"),
        ([{"op": "Jump", "path": "/name"}], "[1].op"),
        ([{"op": "Replace", "path": "name", "value": "x"}], "name"),
    ],
)
def test_bad_patches_are_refused_whole(world: Any, ops: list[dict[str, Any]], name: str) -> None:
    api, w = world
    before = w.state.customers.get(ACME)
    error = error_of(
        api.patch(
            f"{BASE}/customers/{ACME}",
            json=[{"op": "Replace", "path": "/notes", "value": "n"}, *ops],
        ),
        400,
    )
    assert error["type"] == "InvalidParameter"
    assert error["details"][0]["location"]["name"] == name
    assert w.state.customers.get(ACME) == before


def test_invoice_status_flow_and_invoice_numbers(world: Any) -> None:
    """PM numbers an invoice itself when it gets a status with hasInvoiceNumber:
    why the seed's "transferred" status must not have it."""
    api, w = world
    to_transfer = w.state.invoice_statuses.first(name=pm.TO_TRANSFER)["guid"]
    waiting = ok(api.get(f"{BASE}/invoices", params={"invoiceStatusGuids": to_transfer}))
    assert [i["guid"] for i in waiting] == [INVOICE] and waiting[0]["number"] is None
    rows = ok(api.get(f"{BASE}/invoices/{INVOICE}/invoicerows"))
    assert [(r["description"], r["quantity"], r["unitPrice"]["amount"]) for r in rows] == [
        ("Konsult", 10, 1000)
    ]
    transferred = w.state.invoice_statuses.first(name=pm.TRANSFERRED)["guid"]
    moved = ok(
        api.patch(
            f"{BASE}/invoices/{INVOICE}",
            json=[{"op": "Replace", "path": "/status/guid", "value": transferred}],
        )
    )[0]
    assert moved["status"]["name"] == pm.TRANSFERRED and moved["number"] is None
    sent = [
        {"op": "Replace", "path": "/status/guid", "value": pm.status_guid("Skickad")},
        {"op": "Replace", "path": "/number", "value": "5001"},
    ]
    done = ok(api.patch(f"{BASE}/invoices/{INVOICE}", json=sent))[0]
    assert (done["status"]["isSent"], done["number"]) == (True, 5001)
    assert ok(api.get(f"{BASE}/invoices", params={"invoiceStatusGuids": to_transfer})) == []
    unknown = api.patch(
        f"{BASE}/invoices/{INVOICE}",
        json=[{"op": "Replace", "path": "/status/guid", "value": ACME}],
    )
    assert error_of(unknown, 400)["details"][0]["location"]["name"] == "status.guid"
    w.clock.advance(1)
    ok(
        api.patch(
            f"{BASE}/invoices/{INVOICE}", json=[{"op": "Replace", "path": "/number", "value": None}]
        )
    )
    numbered = ok(
        api.patch(
            f"{BASE}/invoices/{INVOICE}", json=[{"op": "Replace", "path": "/notes", "value": "x"}]
        )
    )[0]
    assert numbered["number"] == 10001  # the status asks for a number: PM gives its own


def test_records_that_do_not_exist_are_404_without_a_body(world: Any) -> None:
    api, _ = world
    missing = api.get(f"{BASE}/customers/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and missing.content == b""
    route = api.get(f"{BASE}/nothing")
    assert error_of(route, 404)["type"] == "InvalidRequest"


def test_validation_errors_name_every_field(world: Any) -> None:
    api, _ = world
    error = error_of(
        api.post(
            f"{BASE}/contactpersons",
            json={"firstName": "", "customer": {"guid": ACME}, "colour": 1},
        ),
        400,
    )
    names = sorted(d["location"]["name"] for d in error["details"])
    assert names == ["colour", "firstName", "lastName"]
    assert "The LastName field is required." in [d["message"] for d in error["details"]]


def test_other_currencies_need_the_currency_add_on() -> None:
    w = pm_world(pm_settings())
    with w.raw() as api:
        refused = api.post(
            f"{BASE}/customers", json={"name": "Euro GmbH", "currency": {"code": "EUR"}}
        )
    assert error_of(refused, 400)["type"] == "AddonMissing"
    w = pm_world(pm_settings(multi_currency=True))
    with w.raw() as api:
        made = ok(
            api.post(f"{BASE}/customers", json={"name": "Euro GmbH", "currency": {"code": "EUR"}}),
            201,
        )
    assert made["currency"]["code"] == "EUR"


def test_addresses_contacts_and_fees(world: Any) -> None:
    api, _ = world
    address = ok(api.get(f"{BASE}/customers/{ACME}/addresses"))[0]
    assert (address["isBillingAddress"], address["country"]["name"]) == (True, "Sverige")
    assert address["customer"] == {"name": "Acme AB", "guid": ACME, "number": 1001}
    contact = ok(api.get(f"{BASE}/customers/{ACME}/contactpersons"))[0]
    assert contact["name"] == "Anna Berg"
    fee = {
        "project": {"guid": PROJECT},
        "description": "2026-01-05 12 Leverantör AB",
        "eventDate": "2026-01-05",
        "quantity": 1,
        "unitCost": {"amount": 500.0, "currencyCode": "SEK"},
        "unitPrice": {"amount": 500.0, "currencyCode": "SEK"},
        "isBillable": False,
        "vatRate": 25.0,
    }
    made = ok(api.post(f"{BASE}/projectfees", json=fee), 201)
    assert made[0]["customer"]["guid"] == ACME and made[0]["isBillable"] is False
    assert [f["guid"] for f in ok(api.get(f"{BASE}/projects/{PROJECT}/projectfees"))] == [
        made[0]["guid"]
    ]
    wrong = api.post(f"{BASE}/projectfees", json={**fee, "project": {"guid": ACME}})
    assert error_of(wrong, 400)["details"][0]["location"]["name"] == "project.guid"


def test_settings_lists_page_by_first_row(world: Any) -> None:
    api, w = world
    for i in range(3):
        w.clock.advance(1)
        ok(api.post(f"{BASE}/worktypes", json={"name": f"W{i}", "code": f"W{i}"}), 201)
    page = ok(api.get(f"{BASE}/worktypes", params={"firstRow": 1, "rowCount": 2}))
    assert [t["name"] for t in page] == ["W0", "W1"]
    travel = ok(api.get(f"{BASE}/travelexpensetypes"))[0]
    assert travel["isMileage"] is True
    statuses = [s["name"] for s in ok(api.get(f"{BASE}/invoicestatuses"))]
    assert pm.TO_TRANSFER in statuses and "Betald" in statuses


def test_ten_requests_a_second() -> None:
    clock = FakeClock(start=1_767_225_600.0)
    w = pm_world()
    w.clock = clock
    sandbox, _ = pm.make_sandbox(clock=clock)
    with pm.api_client(sandbox) as api:
        answers = [api.get(f"{BASE}/vatrates") for _ in range(11)]
        clock.advance(1)
        later = api.get(f"{BASE}/vatrates")
    assert [a.status_code for a in answers[:10]] == [200] * 10
    throttled = answers[10]
    assert throttled.status_code == 429
    assert throttled.text == "API calls quota exceeded! maximum admitted 10 per 1s."
    assert throttled.headers["Retry-After"] == "1"
    assert later.status_code == 200


def test_seeds_are_checked() -> None:
    with pytest.raises(ValueError, match=r"customers\[1\] does not match CustomerModel"):
        pm.make_sandbox(settings={"customers": [{"name": "X", "colour": "red"}]})
    with pytest.raises(ValueError, match="the invoice status does not exist"):
        pm.make_sandbox(
            settings={
                **pm_settings(),
                "invoices": [{"statusName": "Nope", "customer": {"guid": ACME}}],
            }
        )


def test_injected_faults_answer_as_exception_models() -> None:
    w = pm_world(pm_settings())
    w.sandbox.faults.add("GET /rest-api/v1/customers: 503 x1")
    with w.raw() as api:
        failed = api.get(f"{BASE}/customers")
        ok(api.get(f"{BASE}/customers"))
    assert error_of(failed, 503)["type"] == "InternalSystemError"
    text = repr([e.to_dict() for e in w.sandbox.journal.entries()])
    assert DEMO_CLIENT.client_secret not in text


def test_a_benchmark_can_shrink_the_window() -> None:
    clock = FakeClock(start=1_767_225_600.0)
    sandbox, _ = pm.make_sandbox(clock=clock, settings={"rate_limit": 2, "rate_window": 0.1})
    with pm.api_client(sandbox) as api:
        answers = [api.get(f"{BASE}/vatrates").status_code for _ in range(3)]
        clock.advance(0.1)
        again = api.get(f"{BASE}/vatrates").status_code
    assert answers == [200, 200, 429] and again == 200
