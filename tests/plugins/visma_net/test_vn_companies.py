"""The emulator keeps every tenant id's company apart, as Visma.net does:
one client acting for two companies sees two registers of customers, two
sets of documents, two number series."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.sandbox import EmulatorOptions, Sandbox, SeedError
from ledgerbridge.plugins.visma_net.emulator import build_app, manual, state_of
from ledgerbridge.plugins.visma_net.emulator.testing import api_client, make_sandbox

Json = dict[str, Any]
CLIENT = {"client_id": "opter", "client_secret": "s3", "tenants": ["t-1", "t-2"]}
FORM = {"client_id": "opter", "client_secret": "s3"}
ACME = {"number": "ACME", "name": "Åkeri Öst AB", "creditTermsId": "30"}


def v(value: Any) -> Json:
    return {"value": value}


def invoice(number: str | None = None, customer: str = "ACME") -> Json:
    body: Json = {
        "customerNumber": v(customer),
        "documentDate": v("2024-05-31T00:00:00"),
        "currencyId": v("SEK"),
        "invoiceLines": [
            {
                "operation": "Insert",
                "lineNumber": v(1),
                "description": v("Frakt"),
                "quantity": v(1),
                "unitPriceInCurrency": v(100.0),
                "accountNumber": v("3010"),
                "vatCodeId": v("01"),
            }
        ],
    }
    if number is not None:
        body["referenceNumber"] = v(number)
        body["overrideNumberSeries"] = v(True)
    return body


def journal() -> Json:
    rows = (("1930", 1000.0, 0.0), ("3010", 0.0, 1000.0))
    return {
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


def number_in(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    return response.headers["Location"].rsplit("/", 1)[1]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box, _ = make_sandbox(clock=FakeClock(), settings={"clients": [CLIENT], "customers": [ACME]})
    yield box
    box.stop()


@pytest.fixture
def one(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with api_client(sandbox, **FORM, tenant_id="t-1") as client:
        yield client


@pytest.fixture
def two(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with api_client(sandbox, **FORM, tenant_id="t-2") as client:
        yield client


def test_each_company_has_its_own_customers(one: httpx.Client, two: httpx.Client) -> None:
    body = {"name": v("Nya Åkeriet AB"), "customerClassId": v("DOM"), "creditTermsId": v("30")}
    assert number_in(one.post("/v1/customer", json=body)) == "10001"
    assert number_in(two.post("/v1/customer", json=body)) == "10001"  # its own series
    created = {**body, "number": v("BETA"), "overrideNumberSeries": v(True)}
    assert one.post("/v1/customer", json=created).status_code == 201
    assert two.get("/v1/customer/BETA").status_code == 404
    assert two.post("/v1/customer", json=created).status_code == 201  # free in company 2
    assert one.put("/v1/customer/BETA", json={"name": v("Beta i ett")}).status_code == 204
    assert one.get("/v1/customer/BETA").json()["name"] == "Beta i ett"
    assert two.get("/v1/customer/BETA").json()["name"] == "Nya Åkeriet AB"


def test_invoices_are_numbered_and_kept_per_company(
    sandbox: Sandbox, one: httpx.Client, two: httpx.Client
) -> None:
    assert number_in(one.post("/v2/customerinvoice", json=invoice())) == "100001"
    assert number_in(two.post("/v2/customerinvoice", json=invoice())) == "100001"
    only_one = number_in(one.post("/v2/customerinvoice", json=invoice()))
    assert only_one == "100002"
    assert one.get(f"/v1/customerinvoice/{only_one}").status_code == 200
    refused = two.get(f"/v1/customerinvoice/{only_one}")
    assert refused.status_code == 404, "a token of company 2 read company 1's invoice"
    assert [i["referenceNumber"] for i in two.get("/v1/customerinvoice").json()] == ["100001"]
    # The same number sent by both (overrideNumberSeries) is no clash.
    assert number_in(one.post("/v2/customerinvoice", json=invoice("7001"))) == "7001"
    assert number_in(two.post("/v2/customerinvoice", json=invoice("7001"))) == "7001"

    app = sandbox.apps["visma_net"]
    assert state_of(app) is state_of(app, "t-1")  # the first tenant is the default company
    assert sorted(state_of(app, "t-1").invoices.keys()) == ["100001", "100002", "7001"]
    assert sorted(state_of(app, "t-2").invoices.keys()) == ["100001", "7001"]


def test_journal_transactions_are_numbered_per_company(
    one: httpx.Client, two: httpx.Client
) -> None:
    assert number_in(one.post("/v2/journaltransaction", json=journal())) == "000001"
    assert number_in(two.post("/v2/journaltransaction", json=journal())) == "000001"
    assert number_in(one.post("/v2/journaltransaction", json=journal())) == "000002"
    assert two.get("/v1/journaltransaction/000002").status_code == 404


def test_a_company_is_seeded_from_the_settings_on_first_use(two: httpx.Client) -> None:
    assert two.get("/v1/customer/ACME").json()["name"] == "Åkeri Öst AB"
    assert {c["vatId"] for c in two.get("/v1/vat").json()} >= {"01", "05"}


def test_settings_can_seed_a_company_differently() -> None:
    settings = {
        "clients": [CLIENT],
        "customers": [ACME],
        "companies": {"t-2": {"customers": [], "numbering": {"invoice": 900001}}},
    }
    sandbox, default = make_sandbox(clock=FakeClock(), settings=settings)
    with (
        api_client(sandbox, **FORM, tenant_id="t-1") as one,
        api_client(sandbox, **FORM, tenant_id="t-2") as two,
    ):
        assert two.get("/v1/customer/ACME").status_code == 404
        own = {"name": v("ACME i två"), "number": v("ACME"), "overrideNumberSeries": v(True)}
        assert two.post("/v1/customer", json=own).status_code == 201
        assert number_in(two.post("/v2/customerinvoice", json=invoice())) == "900001"
        assert number_in(one.post("/v2/customerinvoice", json=invoice())) == "100001"
    assert default.customers.get("ACME")["name"] == "Åkeri Öst AB"  # type: ignore[index]
    sandbox.stop()


@pytest.mark.parametrize(
    ("companies", "message"),
    [
        ({"t-9": {}}, "companies['t-9']: no client has this tenant id"),
        ({"t-2": {"rate_limit": 5}}, "rate_limit cannot differ per company"),
        ({"t-2": {"master_data": {"nope": []}}}, "unknown master-data lists ['nope']"),
    ],
)
def test_bad_company_settings_fail_when_the_emulator_starts(companies: Json, message: str) -> None:
    options = EmulatorOptions(settings={"clients": [CLIENT], "companies": companies})
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build_app(options)


def test_state_of_an_unknown_tenant_says_so() -> None:
    app = build_app(EmulatorOptions(settings={"clients": [CLIENT]}))
    with pytest.raises(KeyError, match="no client in the emulator's settings has it"):
        state_of(app, "t-3")
    assert app.companies.started() == ["t-1"]  # t-2 is built when first used
    state_of(app, "t-2")
    assert app.companies.started() == ["t-1", "t-2"]


def test_a_seed_file_may_seed_a_company_differently() -> None:
    section = {"clients": [CLIENT], "companies": {"t-2": {"numbering": {"invoice": 7001}}}}
    assert manual.seed(section) == section
    with pytest.raises(SeedError) as refused:
        manual.seed({"companies": {"t-2": {"rate_limit": 5}}})
    assert "rate_limit" in str(refused.value)
