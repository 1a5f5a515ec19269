"""The Visma.net ERP emulator: auth, rate limits, master data, customers,
sales documents, attachments, journal transactions, inventory and errors,
all through httpx against an in-process sandbox on a FakeClock."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.http import (
    ApiClient,
    ClientCredentials,
    HeaderBudget,
    RetryPolicy,
)
from ledgerbridge.core.redact import Redactor
from ledgerbridge.core.sandbox import EmulatorOptions, Sandbox
from ledgerbridge.plugins.visma_net.api import SCOPES, VismaNetApi
from ledgerbridge.plugins.visma_net.emulator import EMULATOR, VismaState, build_app, state_of
from ledgerbridge.plugins.visma_net.emulator.testing import (
    api_client,
    connection,
    make_sandbox,
    token_form,
)
from ledgerbridge.plugins.visma_net.errors import parse_visma_net_error

Json = dict[str, Any]
ACME = {"number": "ACME", "name": "Åkeri Öst AB", "creditTermsId": "30"}
READ = "vismanet_erp_service_api:read"


def v(value: Any) -> Json:
    return {"value": value}


def line(**overrides: Any) -> Json:
    body: Json = {
        "operation": "Insert",
        "lineNumber": v(1),
        "description": v("Frakt Göteborg–Oslo"),
        "quantity": v(2),
        "unitPriceInCurrency": v(500.0),
        "accountNumber": v("3010"),
        "vatCodeId": v("01"),
    }
    body.update(overrides)
    return {k: val for k, val in body.items() if val is not None}


def invoice(number: str | None = "10023", rows: int = 1, **overrides: Any) -> Json:
    body: Json = {
        "customerNumber": v("ACME"),
        "documentDate": v("2024-05-31T00:00:00"),
        "currencyId": v("SEK"),
        "externalReference": v(number or "ext-1"),
        "invoiceLines": [line(lineNumber=v(i)) for i in range(1, rows + 1)],
    }
    if number is not None:
        body["referenceNumber"] = v(number)
        body["overrideNumberSeries"] = v(True)
    body.update(overrides)
    return {k: val for k, val in body.items() if val is not None}


def credit_note(number: str = "10026", **overrides: Any) -> Json:
    body = invoice(number)
    body["lines"] = body.pop("invoiceLines")
    body.update(overrides)
    return body


def journal(*amounts: tuple[str, float, float], **overrides: Any) -> Json:
    rows = amounts or (("1930", 1000.0, 0.0), ("3010", 0.0, 1000.0))
    body: Json = {
        "transactionDate": v("2024-05-31T00:00:00"),
        "description": v("Lönejournal maj"),
        "journalTransactionLines": [
            {
                "operation": "Insert",
                "lineNumber": v(i),
                "accountNumber": v(account),
                "debitAmountInCurrency": v(debit),
                "creditAmountInCurrency": v(credit),
            }
            for i, (account, debit, credit) in enumerate(rows, start=1)
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def box(clock: FakeClock) -> Iterator[tuple[Sandbox, VismaState]]:
    sandbox, state = make_sandbox(seed=3, clock=clock, settings={"customers": [ACME]})
    yield sandbox, state
    sandbox.stop()


@pytest.fixture
def state(box: tuple[Sandbox, VismaState]) -> VismaState:
    return box[1]


@pytest.fixture
def api(box: tuple[Sandbox, VismaState]) -> Iterator[httpx.Client]:
    with api_client(box[0]) as client:
        yield client


def sandbox_with(clock: FakeClock, **settings: Any) -> tuple[Sandbox, VismaState]:
    return make_sandbox(seed=3, clock=clock, settings={"customers": [ACME], **settings})


def exception(response: httpx.Response, status: int = 400) -> Json:
    """The Visma.net business error body, checked for its shape."""
    assert response.status_code == status, response.text
    body: Json = response.json()
    assert set(body) == {
        "ExceptionType",
        "ExceptionMessage",
        "ExceptionFaultCode",
        "ExceptionMessageID",
        "ExceptionDetails",
    }
    assert body["ExceptionMessageID"].startswith(body["ExceptionFaultCode"] + "_")
    return body


# -- Visma Connect -----------------------------------------------------------------------------


def test_token_grant_gives_an_hour_long_bearer_token(box: tuple[Sandbox, VismaState]) -> None:
    with box[0].client("visma_net") as client:
        response = client.post("/connect/token", data=token_form())
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
        assert response.headers["Cache-Control"] == "no-store"
        auth = {"Authorization": f"Bearer {body['access_token']}"}
        assert client.get("/v1/currency", headers=auth).status_code == 200


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"client_id": "someone-else"}, "invalid_client"),
        ({"tenant_id": "other-tenant"}, "invalid_grant"),
        ({"tenant_id": ""}, "invalid_request"),
    ],
)
def test_token_refusals_are_400s(
    box: tuple[Sandbox, VismaState], form: dict[str, str], error: str
) -> None:
    with box[0].client("visma_net") as client:
        response = client.post("/connect/token", data=token_form(**form))
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_api_without_token_is_401(box: tuple[Sandbox, VismaState]) -> None:
    with box[0].client("visma_net") as client:
        response = client.get("/v1/vat")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json() == {"Message": "Authorization has been denied for this request."}


def test_token_expires_on_the_emulator_clock(api: httpx.Client, clock: FakeClock) -> None:
    clock.advance(3599)
    assert api.get("/v1/vat").status_code == 200
    clock.advance(1)
    response = api.get("/v1/vat")
    assert response.status_code == 401
    assert "expired" in response.json()["Message"]


def test_the_operation_needs_its_scope(box: tuple[Sandbox, VismaState]) -> None:
    with api_client(box[0], scope=READ) as client:
        assert client.get("/v1/customer").status_code == 200
        response = client.post("/v1/customer", json={"name": v("X")})
    assert response.status_code == 403


def test_clients_come_from_the_settings(clock: FakeClock) -> None:
    client = {"client_id": "opter", "client_secret": "s3", "tenants": ["t-1", "t-2"]}
    sandbox, _ = make_sandbox(clock=clock, settings={"clients": [client]})
    with sandbox.client("visma_net") as http:
        assert http.post("/connect/token", data=token_form()).status_code == 400
        mine = token_form(client_id="opter", client_secret="s3", tenant_id="t-2")
        assert http.post("/connect/token", data=mine).status_code == 200


def test_secrets_are_redacted_from_the_journal(box: tuple[Sandbox, VismaState]) -> None:
    sandbox = box[0]
    with api_client(sandbox) as client:
        client.get("/v1/vat")
    text = str([e.to_dict() for e in sandbox.journal.find()])
    assert "demo-secret" not in text and "demo-tenant-0001" not in text


# -- rate limit --------------------------------------------------------------------------------


def test_every_api_answer_reports_the_budget(api: httpx.Client) -> None:
    first = api.get("/v1/vat")
    second = api.get("/v1/customer/NOPE")
    assert first.headers["X-RateLimit-Limit"] == "15000"
    assert first.headers["X-RateLimit-Remaining"] == "14999"
    assert second.headers["X-RateLimit-Remaining"] == "14998"
    assert first.headers["X-RateLimit-Reset"] == "3600"  # FakeClock starts on the hour
    assert first.headers["X-RateLimit-Policy"] == "4-fixed-window"


def test_an_exhausted_budget_is_429_until_the_window_resets(clock: FakeClock) -> None:
    sandbox, _ = sandbox_with(clock, rate_limit=3)
    with api_client(sandbox) as client:
        for _ in range(3):
            assert client.get("/v1/vat").status_code == 200
        clock.advance(600)
        refused = client.get("/v1/vat")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "3000"
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        assert "Rate limit is exceeded" in refused.json()["message"]
    clock.advance(3000)  # the next hour: a new window (and a new token)
    with api_client(sandbox) as client:
        assert client.get("/v1/vat").headers["X-RateLimit-Remaining"] == "2"


def test_the_budget_is_per_company_and_client(clock: FakeClock) -> None:
    client = {"client_id": "c", "client_secret": "s", "tenants": ["t-1", "t-2"]}
    sandbox, _ = make_sandbox(clock=clock, settings={"clients": [client], "rate_limit": 1})
    form = {"client_id": "c", "client_secret": "s"}
    with (
        api_client(sandbox, **form, tenant_id="t-1") as one,
        api_client(sandbox, **form, tenant_id="t-2") as two,
    ):
        assert one.get("/v1/vat").status_code == 200
        assert one.get("/v1/vat").status_code == 429
        assert two.get("/v1/vat").status_code == 200


# -- master data -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field", "expected"),
    [
        ("/v1/vat", "vatId", {"01", "02", "03", "04", "05", "06", "07", "08", "15", "16"}),
        ("/v1/account", "accountCD", {"1510", "1930", "2610", "2611", "3001", "3010", "7510"}),
        ("/v1/currency", "id", {"SEK", "EUR", "NOK", "DKK", "USD", "GBP"}),
        ("/v1/branch", "number", {"1", "2"}),
        ("/v1/customer/customerClass", "id", {"10", "20", "30", "DOM", "EU"}),
        ("/v1/paymentmethod", "paymentMethodID", {"BG", "PG", "OCR", "CARD"}),
        ("/v1/financialPeriod", "period", {"202301", "202405", "202712"}),
        ("/v1/subaccount", "subaccountNumber", {"000-00", "200-10"}),
    ],
)
def test_master_data_lists(api: httpx.Client, path: str, field: str, expected: set[str]) -> None:
    response = api.get(path, params={"pageNumber": 1, "pageSize": 500})
    assert response.status_code == 200
    ids = {item[field] for item in response.json()}
    assert expected <= ids


def test_credit_terms_answer_base_pagination_dto(api: httpx.Client) -> None:
    body = api.get("/v1/creditTerm", params={"pageNumber": 2, "pageSize": 2}).json()
    assert (body["pageNumber"], body["pageSize"], body["totalCount"]) == (2, 2, 5)
    assert [r["termsId"] for r in body["records"]] == ["20", "30"]


def test_vat_codes_carry_their_rate_and_sek_is_the_base_currency(api: httpx.Client) -> None:
    vat = {r["vatId"]: r for r in api.get("/v1/vat").json()}
    assert vat["01"]["schedules"][0]["vatRate"] == 25.0
    assert vat["16"]["reverseVat"] is True
    currencies = {c["id"]: c for c in api.get("/v1/currency").json()}
    assert [k for k, c in currencies.items() if c["isBaseCurrency"]] == ["SEK"]


def test_paging_with_metadata_and_a_capped_page_size(clock: FakeClock) -> None:
    sandbox, state = sandbox_with(clock, max_page_size=7)
    total = len(state.master["accounts"])  # the Swedish chart and a Norwegian branch's
    with api_client(sandbox) as client:
        pages = [
            client.get("/v1/account", params={"pageNumber": n, "pageSize": 50}).json()
            for n in range(1, total // 7 + 2)
        ]
    assert [len(p) for p in pages] == [7] * (total // 7) + [total % 7]
    assert pages[0][0]["metadata"] == {"totalCount": total, "maxPageSize": 7}
    codes = [a["accountCD"] for page in pages for a in page]
    assert len(set(codes)) == total


def test_financial_periods_cover_2023_to_2027(api: httpx.Client) -> None:
    periods = api.get("/v1/financialPeriod").json()
    assert len(periods) == 60
    assert periods[4]["startDate"] == "2023-05-01T00:00:00"
    assert periods[4]["endDate"] == "2023-05-31T00:00:00"


def test_dimensions_and_single_records(api: httpx.Client) -> None:
    assert api.get("/v1/dimension").json() == ["SUBACCOUNT"]
    segments = api.get("/v1/dimension/SUBACCOUNT").json()["segments"]
    assert [s["segmentId"] for s in segments] == [1, 2]
    assert api.get("/v1/vat/01").json()["vatId"] == "01"
    missing = exception(api.get("/v1/account/9999"), 404)
    assert missing["ExceptionMessage"] == "Account 9999 was not found."


def test_bad_paging_parameters_are_400(api: httpx.Client) -> None:
    response = api.get("/v1/vat", params={"pageNumber": 0})
    assert response.status_code == 400
    assert "Message" in response.json()


def test_settings_remove_and_replace_master_data(clock: FakeClock) -> None:
    settings = {
        "without": {"accounts": ["3010"]},
        "master_data": {"currencies": ["SEK", {"id": "CHF", "description": "Swiss franc"}]},
    }
    sandbox, state = sandbox_with(clock, **settings)
    with api_client(sandbox) as client:
        accounts = {a["accountCD"] for a in client.get("/v1/account").json()}
        currencies = {c["id"]: c for c in client.get("/v1/currency").json()}
        refused = client.post("/v2/customerinvoice", json=invoice())
    assert "3010" not in accounts and "3001" in accounts
    assert set(currencies) == {"SEK", "CHF"}
    assert currencies["CHF"]["description"] == "Swiss franc"
    assert "Account '3010' cannot be found" in exception(refused)["ExceptionMessage"]
    assert not state.exists("accounts", "3010")


def test_unknown_master_data_list_in_settings_is_an_error(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="unknown master-data lists"):
        sandbox_with(clock, without={"acounts": ["3010"]})


# -- customers ---------------------------------------------------------------------------------


def customer(number: str | None = "NEW1", **overrides: Any) -> Json:
    body: Json = {
        "name": v("Nya Åkeriet AB"),
        "corporateId": v("556000-1234"),
        "creditTermsId": v("30"),
        "customerClassId": v("DOM"),
        "mainAddress": v(
            {"addressLine1": v("Hamngatan 1"), "city": v("Göteborg"), "countryId": v("SE")}
        ),
    }
    if number is not None:
        body["number"] = v(number)
        body["overrideNumberSeries"] = v(True)
    body.update(overrides)
    return body


def test_customer_create_and_get(api: httpx.Client, state: VismaState) -> None:
    response = api.post("/v1/customer", json=customer())
    assert response.status_code == 201
    assert response.headers["Location"] == "http://sandbox.ledgerbridge/visma_net/v1/customer/NEW1"
    got = api.get("/v1/customer/NEW1").json()
    assert got["name"] == "Nya Åkeriet AB" and got["status"] == "Active"
    assert got["creditTerms"] == {"id": "30", "description": "30 dagar netto"}
    assert got["customerClass"]["id"] == "DOM"
    assert got["mainAddress"]["country"] == {"id": "SE"}
    assert got["lastModifiedDateTime"] == "2026-01-01T00:00:00Z"
    assert "received" not in got
    assert state.customers.get("NEW1")["received"]["corporateId"] == "556000-1234"  # type: ignore[index]


def test_customer_without_number_gets_one_from_the_series(api: httpx.Client) -> None:
    first = api.post("/v1/customer", json=customer(None))
    second = api.post("/v1/customer", json=customer(None))
    assert first.headers["Location"].endswith("/v1/customer/10001")
    assert second.headers["Location"].endswith("/v1/customer/10002")


def test_duplicate_customer_is_refused(api: httpx.Client) -> None:
    body = exception(api.post("/v1/customer", json=customer("ACME")))
    assert body["ExceptionFaultCode"] == "12023"
    assert "'ACME' already exists" in body["ExceptionMessage"]


def test_missing_customer_is_a_vendor_404(api: httpx.Client) -> None:
    body = exception(api.get("/v1/customer/NOPE"), 404)
    assert body["ExceptionMessage"] == "Customer NOPE was not found."
    assert body["ExceptionType"] == "IPPException"


def test_customer_update(api: httpx.Client, clock: FakeClock) -> None:
    api.post("/v1/customer", json=customer())
    clock.advance(90)
    response = api.put("/v1/customer/NEW1", json={"name": v("Nytt Namn AB")})
    assert response.status_code == 204
    got = api.get("/v1/customer/NEW1").json()
    assert got["name"] == "Nytt Namn AB"
    assert got["corporateId"] == "556000-1234"  # untouched fields stay
    assert got["createdDateTime"] == "2026-01-01T00:00:00Z"
    assert got["lastModifiedDateTime"] == "2026-01-01T00:01:30Z"
    exception(api.put("/v1/customer/NOPE", json={"name": v("X")}), 404)


def test_customer_list_filters_and_metadata(api: httpx.Client) -> None:
    api.post("/v1/customer", json=customer("A1", corporateId=v("111")))
    api.post("/v1/customer", json=customer("A2", corporateId=v("222")))
    everyone = api.get("/v1/customer", params={"pageNumber": 1, "pageSize": 2}).json()
    assert [c["number"] for c in everyone] == ["ACME", "A1"]
    assert everyone[0]["metadata"]["totalCount"] == 3
    found = api.get("/v1/customer", params={"corporateId": "222"}).json()
    assert [c["number"] for c in found] == ["A2"]
    by_name = api.get("/v1/customer", params={"name": "Åkeri Öst AB"}).json()
    assert [c["number"] for c in by_name] == ["ACME"]
    # the filter index follows every write: a create, an update, a direct edit
    api.post("/v1/customer", json=customer("A3", corporateId=v("222")))
    found = api.get("/v1/customer", params={"corporateId": "222"}).json()
    assert [c["number"] for c in found] == ["A2", "A3"]
    api.put("/v1/customer/A2", json={"corporateId": v("333")})
    assert [c["number"] for c in api.get("/v1/customer", params={"corporateId": "222"}).json()] == [
        "A3"
    ]
    assert [c["number"] for c in api.get("/v1/customer", params={"corporateId": "333"}).json()] == [
        "A2"
    ]


def test_customer_rules(api: httpx.Client) -> None:
    body = exception(
        api.post("/v1/customer", json=customer("X" * 31, customerClassId=v("NOPE"), name=v("")))
    )
    details = body["ExceptionDetails"]
    assert "name: 'Customer Name' cannot be empty." in details
    assert "number: 'Customer ID' is too long: 31 characters, at most 30" in details
    assert "customerClassId: Customer class 'NOPE' cannot be found" in details


# -- customer invoices -------------------------------------------------------------------------


def test_invoice_create_with_location(api: httpx.Client, state: VismaState) -> None:
    response = api.post("/v2/customerinvoice", json=invoice("10023", rows=2))
    assert response.status_code == 201
    location = "http://sandbox.ledgerbridge/visma_net/v1/customerinvoice/10023"
    assert response.headers["Location"] == location
    got = api.get("/v1/customerinvoice/10023").json()
    assert got["documentType"] == "Invoice" and got["status"] == "Balanced"
    assert got["customer"] == {"number": "ACME", "name": "Åkeri Öst AB"}
    assert got["financialPeriod"] == "202405"
    assert got["creditTerms"]["id"] == "30"  # the customer's terms
    assert got["documentDueDate"] == "2024-06-30T00:00:00"
    assert (got["detailTotal"], got["vatTotal"], got["amount"]) == (2000.0, 500.0, 2500.0)
    assert got["invoiceLines"][0]["account"]["number"] == "3010"
    assert got["invoiceLines"][0]["vatCode"]["id"] == "01"
    assert len(state.invoices) == 1


def test_the_number_series_numbers_invoices_without_override(api: httpx.Client) -> None:
    body = invoice("10023")
    del body["overrideNumberSeries"]
    first = api.post("/v2/customerinvoice", json=body)
    second = api.post("/v2/customerinvoice", json=invoice(None))
    assert first.headers["Location"].endswith("/100001")
    assert second.headers["Location"].endswith("/100002")


def test_manual_numbering_uses_the_sent_number(clock: FakeClock) -> None:
    sandbox, _ = sandbox_with(clock, manual_numbering=True)
    body = invoice("10023")
    del body["overrideNumberSeries"]
    with api_client(sandbox) as client:
        response = client.post("/v2/customerinvoice", json=body)
    assert response.headers["Location"].endswith("/10023")


def test_override_number_is_kept_and_a_duplicate_rejected(
    api: httpx.Client, state: VismaState
) -> None:
    assert api.post("/v2/customerinvoice", json=invoice("10023")).status_code == 201
    body = exception(api.post("/v2/customerinvoice", json=invoice("10023")))
    assert body["ExceptionFaultCode"] == "12023"
    assert "reference number '10023' already exists" in body["ExceptionMessage"]
    assert len(state.invoices) == 1


def test_schema_errors_are_all_listed(api: httpx.Client) -> None:
    body = invoice(
        dontEmail=v("yes"),
        invoiceLines=[line(quantity=v("two"), operation="Upsert", unitPrice=v(1))],
        customerNumbr=v("ACME"),
    )
    response = api.post("/v2/customerinvoice", json=body)
    assert response.status_code == 400
    errors = response.json()["ModelState"]
    assert response.json()["Message"] == "The request is invalid."
    assert set(errors) == {
        "dontEmail.value",
        "invoiceLines[0].quantity.value",
        "invoiceLines[0].operation",
        "invoiceLines[0].unitPrice",
        "customerNumbr",
    }


def test_vendor_tolerance_for_unknown_fields_can_be_switched_on(clock: FakeClock) -> None:
    sandbox, _ = sandbox_with(clock, strict_fields=False)
    with api_client(sandbox) as client:
        response = client.post("/v2/customerinvoice", json=invoice(extra=v(1)))
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"customerNumber": v("NOPE")}, "customerNumber", "Customer 'NOPE' cannot be found"),
        ({"customerNumber": None}, "customerNumber", "'Customer' cannot be empty."),
        ({"currencyId": v("XXX")}, "currencyId", "Currency 'XXX' cannot be found"),
        ({"branchNumber": v("9")}, "branchNumber", "Branch '9' cannot be found"),
        ({"creditTermsId": v("99")}, "creditTermsId", "Credit terms '99' cannot be found"),
        ({"paymentMethodId": v("SWISH")}, "paymentMethodId", "Payment method 'SWISH' cannot"),
        ({"financialPeriod": v("202213")}, "financialPeriod", "'202213' is not defined"),
        ({"documentDate": v("2031-01-01T00:00:00")}, "documentDate", "'203101' is not defined"),
        ({"exchangeRate": v(0)}, "exchangeRate", "'Exchange rate' must be greater than 0."),
        ({"customerRefNumber": v("R" * 41)}, "customerRefNumber", "41 characters, at most 40"),
        ({"invoiceText": v("T" * 257)}, "invoiceText", "257 characters, at most 256"),
        ({"referenceNumber": v("1" * 16)}, "referenceNumber", "16 characters, at most 15"),
        ({"referenceNumber": None}, "referenceNumber", "'Reference nbr.' cannot be empty."),
        (
            {"invoiceLines": [line(accountNumber=v("9999"))]},
            "invoiceLines[0].accountNumber",
            "Account '9999' cannot be found",
        ),
        (
            {"invoiceLines": [line(vatCodeId=v("99"))]},
            "invoiceLines[0].vatCodeId",
            "VAT code '99' cannot be found",
        ),
        (
            {"invoiceLines": [line(description=v("D" * 257))]},
            "invoiceLines[0].description",
            "at most 256",
        ),
        (
            {"invoiceLines": [line(subaccount=[{"segmentId": 1, "segmentValue": "999"}])]},
            "invoiceLines[0].subaccount[0].segmentValue",
            "'999' is not a valid value of subaccount segment 1",
        ),
        (
            {"invoiceLines": [line(operation="Update")]},
            "invoiceLines[0].operation",
            "needs an existing line",
        ),
    ],
)
def test_business_rules(
    api: httpx.Client, state: VismaState, overrides: Json, field: str, message: str
) -> None:
    body = exception(api.post("/v2/customerinvoice", json=invoice(**overrides)))
    assert body["ExceptionFaultCode"] == "12022"
    assert body["ExceptionMessage"].startswith("Error creating customer invoice. Error: ")
    assert message in body["ExceptionMessage"]
    assert body["ExceptionDetails"].startswith(f"{field}: ")
    assert len(state.invoices) == 0


def test_every_broken_rule_is_named_at_once(api: httpx.Client) -> None:
    lines = [line(accountNumber=v("9999")), line(vatCodeId=v("99"))]
    body = exception(
        api.post(
            "/v2/customerinvoice",
            json=invoice(currencyId=v("XXX"), branchNumber=v("7"), invoiceLines=lines),
        )
    )
    fields = [row.split(":")[0] for row in body["ExceptionDetails"].splitlines()]
    assert fields == [
        "currencyId",
        "branchNumber",
        "invoiceLines[0].accountNumber",
        "invoiceLines[1].vatCodeId",
    ]


def test_a_period_closed_in_the_customer_ledger_is_refused(clock: FakeClock) -> None:
    periods = ["202404", {"period": "202405", "closedInCustomerLedger": True}]
    sandbox, _ = sandbox_with(clock, master_data={"financial_periods": periods})
    with api_client(sandbox) as client:
        body = exception(client.post("/v2/customerinvoice", json=invoice()))
    assert "Financial period '202405' is closed in customer ledger." in body["ExceptionMessage"]


def test_an_inactive_customer_cannot_be_invoiced(clock: FakeClock) -> None:
    sandbox, _ = make_sandbox(clock=clock, settings={"customers": [{**ACME, "status": "Inactive"}]})
    with api_client(sandbox) as client:
        body = exception(client.post("/v2/customerinvoice", json=invoice()))
    assert "Customer 'ACME' is inactive." in body["ExceptionMessage"]


def test_everything_received_is_stored(api: httpx.Client, state: VismaState) -> None:
    body = invoice(
        dontEmail=v(True),
        dontPrint=v(False),
        sendToAutoInvoice=v(True),
        exchangeRate=v(11.5),
        currencyId=v("EUR"),
        paymentMethodId=v("BG"),
        financialPeriod=v("202406"),
        branchNumber=v("2"),
        customerRefNumber=v("Anna Andersson"),
        creditTermsId=v("10"),
    )
    assert api.post("/v2/customerinvoice", json=body).status_code == 201
    stored = state.invoices.get("10023")
    assert stored is not None
    received = stored["received"]
    assert received["dontEmail"] is True and received["sendToAutoInvoice"] is True
    assert received["exchangeRate"] == 11.5 and received["paymentMethodId"] == "BG"
    assert received["invoiceLines"][0]["vatCodeId"] == "01"
    assert stored["paymentMethod"] == {"id": "BG", "description": "Bankgiro"}
    assert stored["branchNumber"]["number"] == "2"
    assert stored["financialPeriod"] == "202406"
    assert stored["documentDueDate"] == "2024-06-10T00:00:00"
    assert (stored["amountInCurrency"], stored["amount"]) == (1250.0, 14375.0)
    assert (stored["dontEmail"], stored["dontPrint"], stored["sendToAutoInvoice"]) == (
        True,
        False,
        True,
    )


def test_reverse_charge_lines_carry_no_vat(api: httpx.Client) -> None:
    body = invoice(invoiceLines=[line(vatCodeId=v("16")), line(vatCodeId=v("02"))])
    api.post("/v2/customerinvoice", json=body)
    got = api.get("/v1/customerinvoice/10023").json()
    assert (got["vatTotal"], got["vatTaxableTotalInCurrency"]) == (120.0, 1000.0)


def pdf(marker: bytes = b"1") -> bytes:
    return b"%PDF-1.4\n" + marker * 100 + b"\n%%EOF"


def test_lookup_by_external_reference_with_attachments(api: httpx.Client) -> None:
    for number in ("10023", "10024", "10025"):
        api.post("/v2/customerinvoice", json=invoice(number))
    api.post("/v1/customerinvoice/10024/attachment", files={"file": ("10024.pdf", pdf())})
    query: dict[str, str | int] = {"externalReference": "10024", "pageNumber": 1, "pageSize": 10}
    found = api.get("/v1/customerinvoice", params={**query, "expandAttachments": "true"}).json()
    assert [d["referenceNumber"] for d in found] == ["10024"]
    assert [a["name"] for a in found[0]["attachments"]] == ["10024.pdf"]
    assert found[0]["metadata"]["totalCount"] == 1
    plain = api.get("/v1/customerinvoice", params=query).json()
    assert "attachments" not in plain[0]
    assert api.get("/v1/customerinvoice", params={"externalReference": "nope"}).json() == []


def test_invoice_list_filters(api: httpx.Client) -> None:
    api.post("/v2/customerinvoice", json=invoice("10023"))
    api.post("/v2/customerinvoice", json=invoice("10024", financialPeriod=v("202406")))
    june = api.get("/v1/customerinvoice", params={"financialPeriod": "202406"}).json()
    assert [d["referenceNumber"] for d in june] == ["10024"]
    theirs = api.get("/v1/customerinvoice", params={"customer": "ACME"}).json()
    assert len(theirs) == 2


def test_missing_invoice_is_a_vendor_404(api: httpx.Client) -> None:
    body = exception(api.get("/v1/customerinvoice/99999"), 404)
    assert body["ExceptionMessage"] == "Invoice 99999 was not found."


def test_malformed_json_is_a_400(api: httpx.Client) -> None:
    response = api.post(
        "/v2/customerinvoice", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["Message"].startswith("The request body is not valid JSON")


def test_the_connector_parses_the_business_error(api: httpx.Client) -> None:
    response = api.post("/v2/customerinvoice", json=invoice(customerNumber=v("NOPE")))
    error = parse_visma_net_error(response)
    assert error is not None
    assert error.code == "12022"
    assert "Customer 'NOPE' cannot be found" in error.message
    assert error.error_id == response.json()["ExceptionMessageID"]


# -- credit notes ------------------------------------------------------------------------------


def test_credit_note_create_get_and_lookup(api: httpx.Client, state: VismaState) -> None:
    response = api.post("/v2/customerCreditNote", json=credit_note())
    assert response.status_code == 201
    assert response.headers["Location"].endswith("/v1/customerCreditNote/10026")
    got = api.get("/v1/customerCreditNote/10026").json()
    assert got["documentType"] == "CreditNote" and got["lines"][0]["amount"] == 1000.0
    found = api.get("/v1/customerCreditNote", params={"externalReference": "10026"}).json()
    assert [d["referenceNumber"] for d in found] == ["10026"]
    assert state.credit_notes.get("10026") is not None and len(state.invoices) == 0


def test_credit_notes_have_their_own_series_and_the_deprecated_post(api: httpx.Client) -> None:
    body = credit_note()
    del body["overrideNumberSeries"], body["referenceNumber"]
    assert api.post("/v2/customerCreditNote", json=body).headers["Location"].endswith("/500001")
    assert api.post("/v1/customerCreditNote", json=body).headers["Location"].endswith("/500002")


def test_credit_note_rules_and_dto(api: httpx.Client) -> None:
    refused = exception(
        api.post("/v2/customerCreditNote", json=credit_note(lines=[line(accountNumber=v("1"))]))
    )
    assert refused["ExceptionMessage"].startswith("Error creating customer credit note.")
    assert "lines[0].accountNumber" in refused["ExceptionDetails"]
    not_in_dto = api.post("/v2/customerCreditNote", json=credit_note(creditTermsId=v("30")))
    assert not_in_dto.status_code == 400
    assert "creditTermsId" in not_in_dto.json()["ModelState"]
    assert api.post("/v2/customerCreditNote", json=credit_note("10026")).status_code == 201
    duplicate = exception(api.post("/v2/customerCreditNote", json=credit_note("10026")))
    assert duplicate["ExceptionFaultCode"] == "12023"


# -- attachments -------------------------------------------------------------------------------


def test_multipart_attachment_is_kept(api: httpx.Client, state: VismaState) -> None:
    api.post("/v2/customerinvoice", json=invoice("10023"))
    content = pdf()
    response = api.post(
        "/v1/customerinvoice/10023/attachment",
        files={"file": ("Faktura 10023.pdf", content, "application/pdf")},
    )
    assert response.status_code == 201
    (kept,) = state.attachments.all()
    assert kept["name"] == "Faktura 10023.pdf"
    assert kept["contentType"] == "application/pdf"
    assert kept["size"] == len(content)
    assert kept["sha256"] == hashlib.sha256(content).hexdigest()
    assert kept["documentType"] == "Invoice" and kept["documentNumber"] == "10023"
    attachments = api.get("/v1/customerinvoice/10023").json()["attachments"]
    assert attachments == [{"name": "Faktura 10023.pdf", "id": kept["id"], "revision": 1}]


def test_the_same_file_again_is_a_new_revision(api: httpx.Client, state: VismaState) -> None:
    api.post("/v2/customerinvoice", json=invoice("10023"))
    for marker in (b"1", b"2"):
        api.post("/v1/customerinvoice/10023/attachment", files={"file": ("a.pdf", pdf(marker))})
    (kept,) = state.attachments.all()
    assert kept["revision"] == 2
    assert kept["sha256"] == hashlib.sha256(pdf(b"2")).hexdigest()


def test_attachment_refusals(api: httpx.Client) -> None:
    missing = api.post("/v1/customerinvoice/404/attachment", files={"file": ("a.pdf", pdf())})
    assert exception(missing, 404)["ExceptionMessage"] == "Invoice 404 was not found."
    api.post("/v2/customerinvoice", json=invoice("10023"))
    no_file = api.post("/v1/customerinvoice/10023/attachment", data={"note": "x"})
    assert "multipart/form-data" in exception(no_file)["ExceptionMessage"]
    not_multipart = api.post("/v1/customerinvoice/10023/attachment", json={"file": "x"})
    exception(not_multipart)


def test_credit_note_attachment(api: httpx.Client, state: VismaState) -> None:
    api.post("/v2/customerCreditNote", json=credit_note())
    response = api.post("/v1/customerCreditNote/10026/attachment", files={"file": ("c.pdf", pdf())})
    assert response.status_code == 201
    assert state.attachments.all()[0]["document"] == "credit_note:10026"
    assert exception(
        api.post("/v1/customerCreditNote/10023/attachment", files={"file": ("c.pdf", pdf())}),
        404,
    )


# -- journal transactions ----------------------------------------------------------------------


def test_balanced_journal_transaction(api: httpx.Client, state: VismaState) -> None:
    response = api.post("/v2/journaltransaction", json=journal())
    assert response.status_code == 201
    assert response.headers["Location"].endswith("/v2/journaltransaction/000001")
    got = api.get("/v2/journaltransaction/000001").json()
    assert (got["debitTotal"], got["creditTotal"]) == (1000.0, 1000.0)
    assert got["financialPeriod"] == "202405" and got["status"] == "Balanced"
    assert got["journalTransactionLines"][1]["accountNumber"] == "3010"
    assert state.journal_transactions.get("000001")["received"]["description"] == "Lönejournal maj"  # type: ignore[index]


def test_unbalanced_journal_transaction_is_refused_unless_on_hold(api: httpx.Client) -> None:
    rows = (("7010", 1000.0, 0.0), ("1930", 0.0, 999.99))
    body = exception(api.post("/v2/journaltransaction", json=journal(*rows)))
    assert "Batch is out of balance" in body["ExceptionMessage"]
    assert "Debit 1000.00, credit 999.99" in body["ExceptionMessage"]
    held = api.post("/v2/journaltransaction", json=journal(*rows, hold=v(True)))
    assert held.status_code == 201
    assert api.get("/v2/journaltransaction/000001").json()["status"] == "Hold"


def test_journal_transaction_rules(api: httpx.Client) -> None:
    rows = (("9999", 10.0, 0.0), ("1930", 0.0, 10.0))
    body = exception(api.post("/v2/journaltransaction", json=journal(*rows, branch=v("9"))))
    assert "journalTransactionLines[0].accountNumber: Account '9999'" in body["ExceptionDetails"]
    assert "branch: Branch '9'" in body["ExceptionDetails"]


def test_journal_transaction_list_by_period_and_override_number(api: httpx.Client) -> None:
    api.post("/v2/journaltransaction", json=journal())
    june = journal(
        transactionDate=v("2024-06-30T00:00:00"),
        batchNumber=v("LÖN-2406"),
        overrideNumberSeries=v(True),
    )
    assert (
        api.post("/v2/journaltransaction", json=june).headers["Location"].endswith("/L%C3%96N-2406")
    )
    found = api.get("/v2/journaltransaction", params={"periodId": "202406"}).json()
    assert [t["batchNumber"] for t in found] == ["LÖN-2406"]
    assert exception(api.post("/v2/journaltransaction", json=june))["ExceptionFaultCode"] == (
        "12023"
    )
    assert exception(api.get("/v2/journaltransaction/424242"), 404)


# -- inventory ---------------------------------------------------------------------------------


def item(number: str | None = "FRAKT", **overrides: Any) -> Json:
    body: Json = {
        "description": v("Frakttjänst"),
        "type": v("ServiceItem"),
        "vatCode": v("01"),
        "salesAccount": v("3010"),
        "defaultPrice": v(1200.0),
    }
    if number is not None:
        body["inventoryNumber"] = v(number)
    body.update(overrides)
    return body


def test_inventory_crud(api: httpx.Client, clock: FakeClock, state: VismaState) -> None:
    created = api.post("/v1/inventory", json=item())
    assert created.status_code == 201
    assert created.headers["Location"].endswith("/v1/inventory/FRAKT")
    got = api.get("/v1/inventory/FRAKT").json()
    assert got["vatCode"]["id"] == "01" and got["type"] == "ServiceItem"
    assert got["accountInformation"]["salesAccount"]["number"] == "3010"
    clock.advance(60)
    assert api.put("/v1/inventory/FRAKT", json={"defaultPrice": v(1500.0)}).status_code == 204
    got = api.get("/v1/inventory/FRAKT").json()
    assert got["defaultPrice"] == 1500.0 and got["description"] == "Frakttjänst"
    assert got["lastModifiedDateTime"] == "2026-01-01T00:01:00Z"
    api.post("/v1/inventory", json=item("LAGER"))
    listed = api.get("/v1/inventory", params={"pageNumber": 2, "pageSize": 1}).json()
    assert [i["inventoryNumber"] for i in listed] == ["LAGER"]
    assert listed[0]["metadata"]["totalCount"] == 2
    assert len(state.inventory) == 2


def test_inventory_refusals(api: httpx.Client) -> None:
    api.post("/v1/inventory", json=item())
    assert exception(api.post("/v1/inventory", json=item()))["ExceptionFaultCode"] == "12023"
    missing_number = exception(api.post("/v1/inventory", json=item(None)))
    assert "'Inventory ID' cannot be empty." in missing_number["ExceptionMessage"]
    bad_vat = exception(api.post("/v1/inventory", json=item("X", vatCode=v("99"))))
    assert "VAT code '99'" in bad_vat["ExceptionMessage"]
    assert api.post("/v1/inventory", json=item("Y", status=v("Gone"))).status_code == 400
    exception(api.get("/v1/inventory/NOPE"), 404)
    exception(api.put("/v1/inventory/NOPE", json={"description": v("x")}), 404)


def test_seeded_inventory(clock: FakeClock) -> None:
    sandbox, state = sandbox_with(clock, inventory=[{"inventoryNumber": "A", "description": "a"}])
    with api_client(sandbox) as client:
        assert client.get("/v1/inventory/A").json()["description"] == "a"
    assert "A" in state.inventory


# -- routing errors ----------------------------------------------------------------------------


def test_unknown_path_and_wrong_method(api: httpx.Client) -> None:
    missing = api.get("/v1/nosuchthing")
    assert missing.status_code == 404
    assert missing.json() == {
        "Message": "No HTTP resource was found that matches the request URI '/v1/nosuchthing'."
    }
    wrong = api.delete("/v1/vat")
    assert wrong.status_code == 405
    assert wrong.json() == {
        "Message": "The requested resource does not support http method 'DELETE'."
    }
    assert wrong.headers["Allow"] == "GET"


# -- determinism and wiring --------------------------------------------------------------------


def run_script(seed: int) -> list[Any]:
    sandbox, state = make_sandbox(seed=seed, settings={"customers": [ACME]})
    with sandbox.client("visma_net") as http:
        token = http.post("/connect/token", data=token_form()).json()["access_token"]
    with api_client(sandbox) as client:
        client.post("/v2/customerinvoice", json=invoice("10023"))
        client.post("/v1/customerinvoice/10023/attachment", files={"file": ("a.pdf", pdf())})
        error = client.post("/v2/customerinvoice", json=invoice("10023")).json()
    return [token, error["ExceptionMessageID"], state.attachments.all()[0]["id"]]


def test_runs_are_reproducible_under_a_seed() -> None:
    assert run_script(5) == run_script(5)
    assert run_script(5)[0] != run_script(6)[0]
    assert run_script(5)[1:] != run_script(6)[1:]


def test_emulator_registration_and_state_access() -> None:
    assert (EMULATOR.name, EMULATOR.prefix) == ("visma_net", "/visma_net")
    app = build_app(EmulatorOptions(seed=1, clock=FakeClock()))
    assert state_of(app).exists("vat", "01")
    with pytest.raises(TypeError):
        state_of(object())


def test_the_connector_api_works_against_the_emulator(
    box: tuple[Sandbox, VismaState], clock: FakeClock
) -> None:
    sandbox, state = box
    conn = connection(sandbox)
    redactor = Redactor()
    auth = ClientCredentials(
        conn["tokenUrl"],
        client_id=conn["clientId"],
        client_secret=conn["clientSecret"],
        scope=SCOPES,
        extra_form={"tenant_id": conn["tenantId"]},
        transport=sandbox.transport(),
        clock=clock,
        redactor=redactor,
    )
    client = ApiClient(
        conn["apiBaseUrl"] + "/",
        name="visma_net",
        auth=auth,
        transport=sandbox.transport(),
        clock=clock,
        redactor=redactor,
        retry=RetryPolicy(max_attempts=2),
        rate_budget=HeaderBudget(clock),
        error_parser=parse_visma_net_error,
    )
    vn = VismaNetApi(client)
    known = vn.master_data()
    assert known.accounts is not None and "3010" in known.accounts
    assert known.payment_terms == frozenset({"10", "14", "20", "30", "60"})
    assert vn.get_customer("NOPE") is None
    assert vn.create_customer(customer("NEW1")) == "NEW1"
    assert vn.create_document("/v2/customerinvoice", invoice("10023")) == "10023"
    vn.attach("invoice", "10023", "10023.pdf", pdf())
    found = vn.find_document("invoice", "10023")
    assert found is not None and found["attachments"][0]["name"] == "10023.pdf"
    assert state.attachments.all()[0]["contentType"] == "application/pdf"
