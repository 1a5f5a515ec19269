"""Invoices -> drafts, read from what each emulator received: PM invoices
with the "to transfer" status become eAccounting drafts (rows, text rows,
articles by product code, the default article, cost center items), the PM
invoice then gets the "transferred" status, and nothing is created twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from invoice_harness import (
    ACME,
    BETA,
    INVOICE,
    ITEM,
    InvoiceWorld,
    article,
    ea_seed,
    pm_customer,
    pm_invoice,
    pm_seed,
)

from ledgerbridge.plugins.eaccounting.pm.emulator import testing as pm

Make = Callable[..., InvoiceWorld]
SECOND = "33333333-3333-4333-8333-444444444444"


def article_id(w: InvoiceWorld, number: str) -> str:
    return str(w.ea.articles.first(Number=number)["Id"])


def test_an_invoice_to_transfer_becomes_a_draft_and_then_has_the_transferred_status(
    make: Make,
) -> None:
    w = make(
        pm_settings=pm_seed(
            invoices=[
                pm_invoice(
                    notes="Tack för förtroendet",
                    freeText1={"plainText": "Avser januari"},
                    freeText2="Betala till bankgiro 123-4567",
                )
            ]
        )
    )
    summary = w.run()
    assert summary.failed == 0, summary.errors
    (body,) = w.received("POST", "/v2/customerinvoicedrafts")
    (customer,) = w.ea.customers.all()
    assert body["CustomerId"] == customer["Id"] and customer["CustomerNumber"] == "1001"
    assert body["InvoiceAddress1"] == "Storgatan 1"
    assert (body["YourReference"], body["OurReference"]) == ("Eva Ek", "Olle Oj")
    assert body["TermsOfPaymentId"] == customer["TermsOfPaymentId"]
    texts = [r["Text"] for r in body["Rows"] if r["IsTextRow"]]
    assert texts == ["Tack för förtroendet", "Avser januari", "Betala till bankgiro 123-4567"]
    assert [r["IsTextRow"] for r in body["Rows"]] == [True, True, False, True]
    row = body["Rows"][2]
    assert row["ArticleId"] == article_id(w, "KONS")
    assert (row["Text"], row["Quantity"], row["UnitPrice"], row["UnitName"]) == (
        "Konsulttimmar januari",
        10,
        1000,
        "h",
    )
    assert row["CostCenterItemId2"] == ITEM  # the project's item (short name 42)
    (draft,) = w.ea.drafts.all()
    assert w.flow(summary, "pm_invoices").created == 1
    (patch,) = w.received("PATCH", f"/v1/invoices/{INVOICE}")
    assert patch == [
        {"op": "Replace", "path": "/status/guid", "value": w.pm_status_guid(pm.TRANSFERRED)}
    ]
    assert w.status_of() == pm.TRANSFERRED
    assert w.pm.invoices.get(INVOICE)["number"] is None  # eAccounting numbers it
    # a second run: the invoice no longer has the status to transfer, nothing is sent
    again = w.run()
    assert again.failed == 0, again.errors
    assert len(w.received("POST", "/v2/customerinvoicedrafts")) == 1
    assert [d["Id"] for d in w.ea.drafts.all()] == [draft["Id"]]


def test_a_row_with_no_product_code_is_booked_on_the_default_article(make: Make) -> None:
    rows = [
        {"description": "Licens", "quantity": 2, "unitPrice": 100, "code": ["LIC"]},
        {"description": "Fast avgift", "quantity": 1, "unitPrice": 500, "rowType": "FlatRate"},
    ]
    w = make(pm_settings=pm_seed(invoices=[pm_invoice(rows=rows)]))
    summary = w.run()
    assert summary.failed == 0, summary.errors
    (body,) = w.received("POST", "/v2/customerinvoicedrafts")
    assert [r["ArticleId"] for r in body["Rows"]] == [article_id(w, "LIC"), article_id(w, "99")]
    assert body["Rows"][1]["Text"] == "Fast avgift"


def test_rows_that_cannot_be_booked_fail_their_invoice_alone_with_the_fix(make: Make) -> None:
    def row(code: str) -> list[dict[str, Any]]:
        return [{"description": code, "quantity": 1, "unitPrice": 1, "code": [code]}]

    unknown, inactive = pm_invoice(rows=row("NOPE")), pm_invoice(SECOND, rows=row("OLD"))
    good = pm_invoice("33333333-3333-4333-8333-555555555555")
    seed = ea_seed()
    seed["articles"].append(article("OLD", "Gammal", active=False))
    w = make(pm_settings=pm_seed(invoices=[unknown, inactive, good]), ea_settings=seed)
    summary = w.run()
    errors = {e["record"]: e for e in w.errors(summary, "pm_invoices")}
    assert set(errors) == {f"invoice {INVOICE}", f"invoice {SECOND}"}, summary.errors
    missing = errors[f"invoice {INVOICE}"]
    assert "product code NOPE, and eAccounting has no article number NOPE" in missing["message"]
    assert missing["field"] == "rows[0].code" and "transfer the products first" in missing["fix"]
    off = errors[f"invoice {SECOND}"]
    assert "The remote server returned an error: (409) Conflict" in off["message"]
    assert "activate article OLD in eAccounting" in off["fix"]
    # refused before sending: only the good invoice reached eAccounting, and only it moved on
    assert len(w.received("POST", "/v2/customerinvoicedrafts", ok=False)) == 1
    assert w.status_of(INVOICE) == pm.TO_TRANSFER
    assert w.status_of("33333333-3333-4333-8333-555555555555") == pm.TRANSFERRED


def test_without_a_default_article_an_unlinked_row_fails_naming_the_setting(make: Make) -> None:
    from invoice_harness import SETTINGS

    config = {k: v for k, v in SETTINGS.items() if k != "defaultArticleNumber"}
    rows = [{"description": "Fast avgift", "quantity": 1, "unitPrice": 500}]
    w = make(pm_settings=pm_seed(invoices=[pm_invoice(rows=rows)]), config=config)
    summary = w.run()
    (error,) = w.errors(summary, "pm_invoices")
    assert "linked to no product, work type or travel expense" in error["message"]
    assert "defaultArticleNumber" in error["fix"]
    assert w.received("POST", "/v2/customerinvoicedrafts", ok=False) == []


def test_a_credit_invoice_is_not_transferred_and_is_reported_as_skipped(make: Make) -> None:
    credit = pm_invoice(SECOND, isCreditNote=True)
    w = make(pm_settings=pm_seed(invoices=[pm_invoice(), credit]))
    summary = w.run()
    assert summary.failed == 0, summary.errors
    assert len(w.received("POST", "/v2/customerinvoicedrafts")) == 1
    flow = w.flow(summary, "pm_invoices")
    assert (flow.created, flow.skipped) == (1, 1)
    (skipped,) = summary.excluded
    assert skipped["record"] == f"invoice {SECOND}"
    assert "credit invoices are not transferred" in skipped["reason"]
    assert "make the credit in eAccounting" in skipped["reason"]
    assert w.status_of(SECOND) == pm.TO_TRANSFER


def test_an_invoice_without_invoice_address_fails_with_the_seeds_message(make: Make) -> None:
    bare = pm_invoice(SECOND, receiverAddress={"addressline": "Storgatan 1", "postalCode": None})
    w = make(pm_settings=pm_seed(invoices=[bare, pm_invoice()]))
    summary = w.run()
    (error,) = w.errors(summary, "pm_invoices")
    assert error["message"] == (
        "Could not add invoice for customer 1001 Acme AB and project 42 Projekt A to Visma "
        "eAccounting, because invoice address is missing."
    )
    assert error["field"] == "receiverAddress.postalCode"
    assert "Billing information" in error["fix"] and "50 characters" in error["fix"]
    assert len(w.received("POST", "/v2/customerinvoicedrafts")) == 1  # the rest went on


def test_an_address_over_50_characters_fails_before_it_is_sent(make: Make) -> None:
    long = pm_invoice(receiverAddress={**pm_invoice()["receiverAddress"], "addressline": "G" * 51})
    w = make(pm_settings=pm_seed(invoices=[long]))
    (error,) = w.errors(w.run(), "pm_invoices")
    assert (
        "The field InvoiceAddress1 must be a string with a maximum length of 50" in error["message"]
    )
    assert w.received("POST", "/v2/customerinvoicedrafts", ok=False) == []


def test_the_customer_goes_first_and_an_invoice_whose_customer_failed_says_so(
    make: Make,
) -> None:
    beta = pm_customer(BETA, 1002, "Beta AB", addresses=[])  # no address: cannot go
    w = make(
        pm_settings=pm_seed(
            customers=[pm_customer(ACME, 1001, "Acme AB"), beta],
            invoices=[pm_invoice(), pm_invoice(SECOND, customer=BETA)],
        )
    )
    summary = w.run()
    flows = [f.name for f in summary.flows]
    assert flows.index("pm_customers") < flows.index("pm_invoices")
    (error,) = w.errors(summary, "pm_invoices")
    assert error["record"] == f"invoice {SECOND}"
    assert "the customer is not in eAccounting yet" in error["message"]
    assert "ledgerbridge errors" in error["fix"]
    (body,) = w.received("POST", "/v2/customerinvoicedrafts")
    assert body["CustomerId"] == w.ea.customers.first(CustomerNumber="1001")["Id"]


def test_a_lost_draft_answer_is_found_again_not_created_twice(make: Make) -> None:
    w = make(faults=["POST /v2/customerinvoicedrafts: drop-after@1"])
    first = w.run()
    assert [e["record"] for e in first.errors] == [f"invoice {INVOICE}"], first.errors
    assert first.errors[0]["retryable"] is True
    assert len(w.ea.drafts.all()) == 1  # eAccounting made it; the answer was lost
    assert w.status_of() == pm.TO_TRANSFER
    second = w.run()
    assert second.failed == 0, second.errors
    assert len(w.ea.drafts.all()) == 1
    assert len(w.received("POST", "/v2/customerinvoicedrafts", ok=False)) == 1
    assert w.status_of() == pm.TRANSFERRED  # the transfer is finished
    assert w.run().failed == 0 and len(w.ea.drafts.all()) == 1


def test_a_status_that_did_not_reach_pm_is_set_by_the_next_run_without_a_second_draft(
    make: Make,
) -> None:
    w = make(faults=["PATCH /rest-api/v1/invoices/*: 503 x1"])
    first = w.run()
    (error,) = first.errors
    assert "became eAccounting draft" in error["message"] and error["retryable"] is True
    assert w.status_of() == pm.TO_TRANSFER
    second = w.run()
    assert second.failed == 0, second.errors
    assert w.status_of() == pm.TRANSFERRED
    assert len(w.ea.drafts.all()) == 1
    assert len(w.received("POST", "/v2/customerinvoicedrafts")) == 1


def test_an_invoice_put_back_to_transfer_after_a_change_is_refused_not_sent_twice(
    make: Make,
) -> None:
    w = make()
    assert w.run().failed == 0
    with w.pm.lock:
        w.pm.invoices.update(
            INVOICE,
            {"status": {"guid": w.pm_status_guid(pm.TO_TRANSFER)}, "yourReference": "Ny Ref"},
        )
    summary = w.run()
    (error,) = w.errors(summary, "pm_invoices")
    assert "an invoice is sent once" in error["message"]
    assert "transferred to eAccounting once" in error["fix"]
    assert len(w.received("POST", "/v2/customerinvoicedrafts")) == 1


def test_a_dry_run_says_which_draft_it_would_make_and_writes_nothing(make: Make) -> None:
    w = make(pm_settings=pm_seed(invoices=[pm_invoice(notes="Tack")]))
    summary = w.run(dry_run=True)
    assert summary.failed == 0, summary.errors
    (plan,) = [p for p in summary.plans if p["flow"] == "pm_invoices"]
    assert plan["verb"] == "create"
    assert "1 invoice row and 1 text row" in plan["note"]
    assert f"then PM status '{pm.TRANSFERRED}'" in plan["note"]
    assert w.received("POST", "/v2/customerinvoicedrafts", ok=False) == []
    assert w.received("PATCH", f"/v1/invoices/{INVOICE}", ok=False) == []


def test_a_lost_draft_already_booked_by_the_user_is_found_as_its_invoice(make: Make) -> None:
    w = make(faults=["POST /v2/customerinvoicedrafts: drop-after@1"])
    assert w.run().failed == 1
    (draft,) = w.ea.drafts.all()
    with w.ea_client() as client:  # the user books the draft before the next run
        booked = client.post(f"/v2/customerinvoicedrafts/{draft['Id']}/convert").json()
    summary = w.run()
    assert summary.failed == 0, summary.errors
    assert w.ea.drafts.all() == [] and len(w.ea.invoices.all()) == 1
    assert len(w.received("POST", "/v2/customerinvoicedrafts", ok=False)) == 1
    # found, linked, and in the same run the status back saw it was sent
    doc = w.pm.invoices.get(INVOICE)
    assert (doc["status"]["name"], doc["number"]) == ("Skickad", booked["InvoiceNumber"])


def test_eaccountings_409_for_an_inactive_work_type_gets_the_seeds_explanation(
    make: Make,
) -> None:
    w = make(faults=["POST /v2/customerinvoicedrafts: 409 x1"])
    (error,) = w.run().errors
    assert error["message"].startswith(
        "Could not add invoice for customer 1001 Acme AB and project 42 Projekt A to Visma "
        "eAccounting: The remote server returned an error: (409) Conflict (ErrorCode: 4000, "
    )
    assert "activate them in eAccounting" in error["fix"] and error["retryable"] is False
    assert w.status_of() == pm.TO_TRANSFER
    assert w.run().failed == 0  # activated again: the next run sends it, once
    assert len(w.ea.drafts.all()) == 1


def test_more_invoices_than_a_page_are_all_transferred_in_one_run(make: Make) -> None:
    """Each transfer takes an invoice out of the "to transfer" listing: paging
    on through it while transferring skipped every other page of 100."""
    guids = [f"33333333-3333-4333-8333-{n:012d}" for n in range(230)]
    w = make(pm_settings=pm_seed(invoices=[pm_invoice(g) for g in guids]))
    summary = w.run()
    assert w.flow(summary, "pm_invoices").succeeded == 230
    assert len(w.received("POST", "/customerinvoicedrafts")) == 230
    assert {w.status_of(g) for g in guids} == {pm.TRANSFERRED}
    again = w.run()
    assert w.flow(again, "pm_invoices").succeeded == 0
