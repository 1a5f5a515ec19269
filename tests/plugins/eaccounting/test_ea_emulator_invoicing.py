"""The eAccounting emulator's invoicing: drafts built from the customer and
articles, convert to an invoice, payments, delta reads, supplier invoices."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from ea_support import EA_SCHEMAS, article, article_row, cost_center_item, customer, draft, text_row

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import testing as ea


@pytest.fixture
def world() -> Any:
    clock = FakeClock()
    sandbox, state = ea.make_sandbox(clock=clock)
    with ea.api_client(sandbox) as api:
        yield api, state, clock, sandbox


def advance(world: Any, seconds: float) -> None:
    """Let time pass; the client signs in again (access tokens live an hour)."""
    api, _, clock, sandbox = world
    clock.advance(seconds)
    api.headers["Authorization"] = "Bearer " + ea.authorize(sandbox)["access_token"]


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def setup(api: httpx.Client) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    cust = ok(api.post("/v2/customers", json=customer()), 201)
    art = ok(api.post("/v2/articles", json=article()), 201)
    item = ok(api.post("/v2/costcenteritems", json=cost_center_item()), 201)
    return cust, art, item


def test_a_draft_takes_address_currency_and_article_data(world: Any) -> None:
    api = world[0]
    cust, art, item = setup(api)
    rows = [
        text_row("Avser januari"),
        article_row(art["Id"], 2, 1000, CostCenterItemId2=item["Id"]),
    ]
    made = ok(
        api.post("/v2/customerinvoicedrafts", json=draft(cust["Id"], *rows, YourReference="Anna")),
        201,
    )
    assert (made["InvoicePostalCode"], made["InvoiceCity"], made["InvoiceCountryCode"]) == (
        "11122",
        "Stockholm",
        "SE",
    )
    assert made["InvoiceAddress1"] == "Storgatan 1"  # null on the draft = the customer's
    assert made["InvoiceCurrencyCode"] == "SEK" and made["TermsOfPaymentId"] == ea.terms_id()
    text, line = made["Rows"]
    assert (text["IsTextRow"], text["Text"], text["LineNumber"]) == (True, "Avser januari", 0)
    assert (line["Text"], line["ArticleNumber"], line["UnitName"], line["VatRate"]) == (
        "Konsulttimme",
        "KONS",
        "Timmar",
        0.25,
    )
    assert line["Amount"] == 2000 and line["CostCenterItemId2"] == item["Id"]
    assert (made["TotalAmount"], made["TotalVatAmount"]) == (2500, 500)
    assert EA_SCHEMAS.validate("CustomerInvoiceDraftApi", made) == []


def test_draft_rules(world: Any) -> None:
    api, state = world[0], world[1]
    cust, art, item = setup(api)
    in_center_1 = article_row(art["Id"], CostCenterItemId1=item["Id"])
    wrong = ok(api.post("/v2/customerinvoicedrafts", json=draft(cust["Id"], in_center_1)), 400)
    assert wrong["Errors"][0]["Field"] == "Rows[0].CostCenterItemId1"
    no_article = {"IsTextRow": False, "Quantity": 1, "ReversedConstructionServicesVatFree": False}
    missing = ok(api.post("/v2/customerinvoicedrafts", json=draft(cust["Id"], no_article)), 400)
    assert missing["Errors"][0]["Field"] == "Rows[0].ArticleId"
    empty_text = ok(
        api.post("/v2/customerinvoicedrafts", json=draft(cust["Id"], text_row(" "))), 400
    )
    assert empty_text["Errors"][0]["Field"] == "Rows[0].Text"
    nobody = ok(
        api.post("/v2/customerinvoicedrafts", json=draft(ea.terms_id(), text_row("x"))), 400
    )
    assert (nobody["ErrorCode"], nobody["Errors"][0]["Field"]) == (3000, "CustomerId")
    too_long = ok(
        api.post("/v2/customerinvoicedrafts", json=draft(cust["Id"], text_row("t" * 2001))), 400
    )
    assert "maximum length of 2000" in too_long["DeveloperErrorMessage"]
    assert len(state.drafts) == 0


def test_a_row_with_an_inactive_article_is_a_409_conflict(world: Any) -> None:
    """Seed: "The remote server returned an error: (409) Conflict" (inactivated work type)."""
    api = world[0]
    cust, art, _ = setup(api)
    ok(api.put(f"/v2/articles/{art['Id']}", json={**art, "IsActive": False}))
    conflict = ok(
        api.post("/v2/customerinvoicedrafts", json=draft(cust["Id"], article_row(art["Id"]))), 409
    )
    assert conflict["ErrorCode"] == 4000 and "inactive" in conflict["DeveloperErrorMessage"]


def test_convert_books_the_draft_and_payment_marks_it_paid(world: Any) -> None:
    api, state = world[0], world[1]
    cust, art, _ = setup(api)
    made = ok(
        api.post("/v2/customerinvoicedrafts", json=draft(cust["Id"], article_row(art["Id"]))), 201
    )
    checks = {
        "TotalAmountInvoiceCurrency": 1250.0,
        "Rows": [{"LineNumber": 0, "TotalAmountNoVatInvoiceCurrency": 1000}],
    }
    invoice = ok(api.post(f"/v2/customerinvoicedrafts/{made['Id']}/convert", json=checks), 201)
    assert invoice["CreatedFromDraftId"] == made["Id"]
    assert (invoice["InvoiceNumber"], invoice["PaymentStatus"], invoice["RemainingAmount"]) == (
        1,
        1,
        1250,
    )
    assert (invoice["InvoiceDate"], invoice["DueDate"]) == (
        "2026-01-01T00:00:00",
        "2026-01-31T00:00:00",
    )
    assert EA_SCHEMAS.validate("CustomerInvoiceApi", invoice) == []
    assert ok(api.get(f"/v2/customerinvoicedrafts/{made['Id']}"), 404)["ErrorCode"] == 3000
    watermark = ok(api.get("/v2/customerinvoices"))["Meta"]["ServerTimeUtc"]
    advance(world, 86400)
    payment = {
        "CompanyBankAccountId": ea.cost_center_id(1),
        "PaymentAmount": 250.0,
        "PaymentCurrency": "SEK",
        "PaymentType": 1,
    }
    ok(api.post(f"/v2/customerinvoices/{invoice['Id']}/payments", json=payment), 201)
    part = ok(api.get(f"/v2/customerinvoices/{invoice['Id']}"))
    assert (part["RemainingAmount"], part["PaymentStatus"]) == (1000, 1)
    state.set_paid(invoice["Id"])  # an operator books the rest in the UI
    changed = ok(api.get("/v2/customerinvoices", params={"modifiedSinceUtc": watermark}))["Data"]
    assert [(i["PaymentStatus"], i["PaymentDate"], i["RemainingAmount"]) for i in changed] == [
        (0, "2026-01-02T00:00:00", 0)
    ]
    assert (
        ok(api.get("/v2/customerinvoices", params={"modifiedSinceUtc": "2027-01-01"}))["Data"] == []
    )
    assert state.customers.get(cust["Id"])["UnpaidInvoicesAmount"] == 0


def test_convert_refuses_wrong_totals_and_keeps_the_original_date_when_asked(world: Any) -> None:
    api, state = world[0], world[1]
    cust, art, _ = setup(api)
    body = draft(cust["Id"], article_row(art["Id"]), InvoiceDate="2025-12-15T00:00:00")
    made = ok(api.post("/v2/customerinvoicedrafts", json=body), 201)
    wrong = ok(
        api.post(
            f"/v2/customerinvoicedrafts/{made['Id']}/convert",
            json={"TotalAmountInvoiceCurrency": 1},
        ),
        400,
    )
    assert wrong["Errors"][0]["Field"] == "TotalAmountInvoiceCurrency"
    assert len(state.drafts) == 1  # still a draft
    params = {"keepOriginalDraftDate": "true", "overrideCompanyKeepOriginalDraftDate": "true"}
    invoice = ok(api.post(f"/v2/customerinvoicedrafts/{made['Id']}/convert", params=params), 201)
    assert invoice["InvoiceDate"] == "2025-12-15T00:00:00"


def test_an_unpaid_invoice_past_its_due_date_is_overdue(world: Any) -> None:
    api = world[0]
    cust, art, _ = setup(api)
    made = ok(
        api.post("/v2/customerinvoicedrafts", json=draft(cust["Id"], article_row(art["Id"]))), 201
    )
    invoice = ok(api.post(f"/v2/customerinvoicedrafts/{made['Id']}/convert"), 201)
    advance(world, 31 * 86400)
    assert ok(api.get(f"/v2/customerinvoices/{invoice['Id']}"))["PaymentStatus"] == 2


def test_a_customer_with_invoices_cannot_be_deleted(world: Any) -> None:
    api = world[0]
    cust, art, _ = setup(api)
    ok(api.post("/v2/customerinvoicedrafts", json=draft(cust["Id"], article_row(art["Id"]))), 201)
    refused = ok(api.delete(f"/v2/customers/{cust['Id']}"), 400)
    assert refused["ErrorCode"] == 4001
    spare = ok(api.post("/v2/customers", json=customer("Spare")), 201)
    assert api.delete(f"/v2/customers/{spare['Id']}").status_code == 200


def supplier_invoice(date: str, project_item: str | None, amount: float = 500.0) -> dict[str, Any]:
    return {
        "InvoiceNumber": f"F-{date}",
        "SupplierName": "Leverantör AB",
        "SupplierNumber": "20",
        "InvoiceDate": date,
        "TotalAmount": amount * 1.25,
        "Vat": amount * 0.25,
        "Rows": [
            {"AccountNumber": 4010, "DebetAmount": amount, "CostCenterItemId2": project_item},
            {"AccountNumber": 2641, "DebetAmount": amount * 0.25},
        ],
    }


def test_supplier_invoices_are_listed_by_invoice_date() -> None:
    item = "5e5e5e5e-0000-4000-8000-000000000001"
    settings = {
        "cost_center_items": [cost_center_item(Id=item)],
        "supplier_invoices": [
            supplier_invoice("2025-12-28T00:00:00", item),
            supplier_invoice("2026-01-05T00:00:00", item),
            supplier_invoice("2026-01-20T00:00:00", None),
        ],
    }
    sandbox, state = ea.make_sandbox(settings=settings)
    with ea.api_client(sandbox) as api:
        window = "InvoiceDate ge 2026-01-01T00:00:00 and InvoiceDate le 2026-01-31T00:00:00"
        found = ok(api.get("/v2/supplierinvoices", params={"$filter": window}))["Data"]
        one = ok(api.get(f"/v2/supplierinvoices/{found[0]['Id']}"))
    assert [i["InvoiceNumber"] for i in found] == ["F-2026-01-05T00:00:00", "F-2026-01-20T00:00:00"]
    assert one["Rows"][0]["CostCenterItemId2"] == item and one["VoucherNumber"] == "L 2"
    assert [
        EA_SCHEMAS.validate("SupplierInvoiceApi", d) for d in state.supplier_invoices.all()
    ] == [[]] * 3
