"""The seed's customer rules, read from what each emulator received: contact
name joined and split (first name "?"), billing before head-office address,
always a company, terms by days, currencies, and customers that cannot go
failing alone with the reason and the fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from customer_harness import CustomerHarness, harness, sample, terms_id

from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.eaccounting.pm.emulator import testing as pm
from ledgerbridge.plugins.eaccounting.sync.customers import join_contact, split_contact
from ledgerbridge.testing.pytest_plugin import ConnectorRunner, SandboxFactory, TenantFactory

Make = Callable[..., CustomerHarness]


@pytest.fixture
def make(
    lb_workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_run: ConnectorRunner,
    lb_sandbox: SandboxFactory,
) -> Make:
    def build(master: str = "pm", pm_settings: dict[str, Any] | None = None) -> CustomerHarness:
        sandbox = lb_sandbox("severa", "eaccounting", settings={"severa": pm_settings or {}})
        return harness(lb_workspace, lb_tenant, lb_run, sandbox, master)

    return build


def sent(h: CustomerHarness, method: str, path_end: str) -> list[Any]:
    return [
        e.body
        for e in h.sandbox.journal.entries()
        if e.method == method and e.path.endswith(path_end) and e.status and e.status < 300
    ]


def no_refusals(h: CustomerHarness) -> None:
    assert not [b for b in h.bodies if b[1] >= 400], h.bodies


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("Anna Berg", "Anna", "Berg"),
        ("Anna Maria Berg", "Anna", "Maria Berg"),
        ("Madonna", "?", "Madonna"),
        ("  Anna  ", "?", "Anna"),
    ],
)
def test_a_contact_name_is_split_on_the_first_space(name: str, first: str, last: str) -> None:
    assert split_contact(name) == (first, last)
    assert join_contact(first, last) == name.strip()


def test_an_eaccounting_contact_without_a_space_gets_first_name_question_mark_in_pm(
    make: Make,
) -> None:
    h = make("eaccounting")
    h.add("eaccounting", {**sample(0), "contactName": "Madonna"})
    h.add("eaccounting", {**sample(1), "contactName": "Anna Maria Berg"})
    summary = h.run()
    assert summary.failed == 0, summary.errors
    contacts = sorted(sent(h, "POST", "/contactpersons"), key=lambda b: b["lastName"])
    assert [(c["firstName"], c["lastName"]) for c in contacts] == [
        ("?", "Madonna"),
        ("Anna", "Maria Berg"),
    ]
    # the "?" is not carried back: a second run writes nothing anywhere
    before = (h.writes("pm"), h.writes("eaccounting"))
    assert h.run().failed == 0
    assert (h.writes("pm"), h.writes("eaccounting")) == before
    no_refusals(h)


def test_pm_first_and_last_name_are_joined_with_a_space_and_the_customer_is_a_company(
    make: Make,
) -> None:
    h = make("pm")
    h.add("pm", sample(0))
    assert h.run().failed == 0
    (body,) = sent(h, "POST", "/v2/customers")
    assert body["ContactPersonName"] == "Anna Berg0"
    assert body["ContactPersonEmail"] == "anna0@kund0.se"
    assert body["ContactPersonPhone"] == "08-123450"
    assert body["IsPrivatePerson"] is False
    assert body["TermsOfPaymentId"] == terms_id(30)  # "30 dagar", matched by days
    assert body["CurrencyCode"] == "SEK" and body["InvoiceCountryCode"] == "SE"
    no_refusals(h)


def _pm_customer(guid: str, number: int, **extra: Any) -> dict[str, Any]:
    return {"guid": guid, "name": f"Kund {number}", "number": number, "paymentTerm": 30, **extra}


G1 = "11111111-1111-4111-8111-111111111111"
G2 = "22222222-2222-4222-8222-222222222222"
G3 = "33333333-3333-4333-8333-333333333333"


def test_the_first_billing_address_else_the_head_office_address(make: Make) -> None:
    se = {"guid": pm.country_guid("SE")}
    settings = {
        "customers": [
            _pm_customer(
                G1,
                2001,
                addresses=[
                    {"addressline": "Besöksvägen 1", "postalCode": "11111", "city": "Visby",
                     "isVisitAddress": True, "country": se},
                    {"addressline": "Fakturagatan 2", "postalCode": "22222", "city": "Umeå",
                     "isBillingAddress": True, "country": se},
                    {"addressline": "Fakturagatan 3", "postalCode": "33333", "city": "Kiruna",
                     "isBillingAddress": True, "country": se},
                ],
            ),
            _pm_customer(
                G2,
                2002,
                headquarterAddress={"addressline": "Huvudkontoret 9", "postalCode": "44444",
                                    "city": "Lund", "country": "SE"},
            ),
        ]
    }  # fmt: skip
    h = make("pm", settings)
    summary = h.run()
    assert summary.failed == 0, summary.errors
    bodies = {b["CustomerNumber"]: b for b in sent(h, "POST", "/v2/customers")}
    first, head = bodies["2001"], bodies["2002"]
    assert (first["InvoiceAddress1"], first["InvoicePostalCode"], first["InvoiceCity"]) == (
        "Fakturagatan 2", "22222", "Umeå",
    )  # fmt: skip
    assert (head["InvoiceAddress1"], head["InvoiceCity"], head["InvoiceCountryCode"]) == (
        "Huvudkontoret 9", "Lund", "SE",
    )  # fmt: skip
    no_refusals(h)


def test_a_customer_without_an_address_fails_alone_and_says_why(make: Make) -> None:
    h = make("pm", {"customers": [_pm_customer(G3, 2003)]})
    h.add("pm", sample(0))
    summary = h.run()
    (error,) = summary.errors
    assert error["field"] == "address"
    assert "Customer 2003 Kund 2003 has no address" in error["message"]
    assert "fill in" in error["fix"]
    assert [b["CustomerNumber"] for b in sent(h, "POST", "/v2/customers")] == ["1000"]
    no_refusals(h)


def test_a_name_over_50_characters_is_refused_before_it_is_sent(make: Make) -> None:
    h = make("pm")
    h.add("pm", {**sample(0), "name": "A" * 51})
    summary = h.run()
    (error,) = summary.errors
    assert error["field"] == "name" and "51 characters" in error["message"]
    assert "at most 50" in error["rule"]
    assert sent(h, "POST", "/v2/customers") == []


def test_a_non_sek_customer_without_pms_currency_add_on_is_a_clear_error(make: Make) -> None:
    h = make("eaccounting")
    h.add("eaccounting", {**sample(0), "currency": "EUR"})
    h.add("eaccounting", sample(1))
    summary = h.run()
    (error,) = summary.errors
    assert error["field"] == "currency" and error["value"] == "EUR"
    assert "Currencies add-on (Valutor)" in error["message"]
    assert "activate the Currencies add-on" in error["fix"]
    assert [b["number"] for b in sent(h, "POST", "/v1/customers")] == [1001]
    no_refusals(h)  # checked before sending: PM never answered 400


def test_with_the_currency_add_on_a_euro_customer_reaches_pm(make: Make) -> None:
    h = make("eaccounting", {"multi_currency": True})
    h.add("eaccounting", {**sample(0), "currency": "EUR"})
    summary = h.run()
    assert summary.failed == 0, summary.errors
    (body,) = sent(h, "POST", "/v1/customers")
    assert body["paymentTerm"] == 30
    assert body["currency"]["code"] == "EUR", "a JSON body's currency code is not a secret"
    (row,) = h.rows("pm")
    assert row["currency"] == "EUR"
    no_refusals(h)


def test_terms_of_payment_without_matching_days_in_eaccounting_fail_with_the_fix(
    make: Make,
) -> None:
    h = make("pm")
    h.add("pm", {**sample(0), "termsDays": 45})
    (error,) = h.run().errors
    assert error["field"] == "termsDays" and error["value"] == 45
    assert "add terms of payment of 45 days in eAccounting" in error["fix"]


def test_an_eaccounting_master_change_of_the_contact_updates_pms_first_contact(
    make: Make,
) -> None:
    h = make("eaccounting")
    key = h.add("eaccounting", sample(0))
    assert h.run().failed == 0
    h.edit("eaccounting", key, {"contactName": "Cher", "contactEmail": "cher@kund0.se",
                                "address": "Nygatan 5"})  # fmt: skip
    summary = h.run()
    assert summary.failed == 0, summary.errors
    (row,) = h.rows("pm")
    assert (row["contactName"], row["contactEmail"], row["address"]) == (
        "Cher", "cher@kund0.se", "Nygatan 5",
    )  # fmt: skip
    (patch,) = sent(h, "PATCH", "/contactpersons/" + _contact_guid(h))
    assert {"op": "Replace", "path": "/firstName", "value": "?"} in patch
    assert {"op": "Replace", "path": "/lastName", "value": "Cher"} in patch
    assert len(h.rows("pm")) == 1 and len(h.rows("eaccounting")) == 1
    no_refusals(h)


def _contact_guid(h: CustomerHarness) -> str:
    (contact,) = [e.response_body for e in h.sandbox.journal.entries()
                  if e.method == "POST" and e.path.endswith("/contactpersons")]  # fmt: skip
    return str(contact["guid"])
