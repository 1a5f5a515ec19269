"""Status back: an eAccounting invoice made from our draft gives its PM invoice
the sent status and eAccounting's invoice number; paid, the paid status.
Read from what PM received; nothing else is ever written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from invoice_harness import INVOICE, InvoiceWorld

from ledgerbridge.plugins.eaccounting.pm.emulator import testing as pm

Make = Callable[..., InvoiceWorld]
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def convert(w: InvoiceWorld, draft_id: str) -> dict[str, Any]:
    """The operator sends (books) the draft in eAccounting."""
    with w.ea_client() as client:
        response = client.post(f"/v2/customerinvoicedrafts/{draft_id}/convert")
    assert response.status_code == 201, response.text
    invoice: dict[str, Any] = response.json()
    return invoice


def writes(w: InvoiceWorld) -> int:
    return sum(
        1
        for e in w.sandbox.journal.entries()
        if e.method in WRITES and "token" not in e.path and "/convert" not in e.path
    )


def test_a_sent_invoice_gives_pm_the_sent_status_and_number_then_paid(make: Make) -> None:
    w = make()
    assert w.run().failed == 0
    (draft,) = w.ea.drafts.all()
    invoice = convert(w, draft["Id"])
    summary = w.run()
    assert summary.failed == 0, summary.errors
    assert w.flow(summary, "invoice_status").updated == 1
    patches = w.received("PATCH", f"/v1/invoices/{INVOICE}")
    assert patches[-1] == [
        {"op": "Replace", "path": "/status/guid", "value": w.pm_status_guid("Skickad")},
        {"op": "Replace", "path": "/number", "value": str(invoice["InvoiceNumber"])},
    ]
    doc = w.pm.invoices.get(INVOICE)
    assert (doc["status"]["name"], doc["number"]) == ("Skickad", invoice["InvoiceNumber"])
    # nothing changed: a run writes nothing anywhere, and reads only what changed since
    before = writes(w)
    assert w.run().failed == 0
    assert writes(w) == before
    read = w.sandbox.journal.last(path="/v2/customerinvoices")
    assert read is not None and read.query["modifiedSinceUtc"] == [invoice["ModifiedUtc"]]
    # paid in eAccounting: paid in PM
    w.ea.set_paid(invoice["Id"])
    summary = w.run()
    assert summary.failed == 0, summary.errors
    assert w.status_of() == "Betald"
    assert w.pm.invoices.get(INVOICE)["number"] == invoice["InvoiceNumber"]
    before = writes(w)
    w.run()
    assert writes(w) == before


def test_an_invoice_paid_before_the_first_check_goes_straight_to_paid(make: Make) -> None:
    w = make()
    w.run()
    invoice = convert(w, w.ea.drafts.all()[0]["Id"])
    w.ea.set_paid(invoice["Id"])
    assert w.run().failed == 0
    assert w.status_of() == "Betald"
    assert len(w.received("PATCH", f"/v1/invoices/{INVOICE}")) == 2  # transferred, paid


def test_invoices_not_made_from_our_drafts_are_left_alone(make: Make) -> None:
    w = make()
    w.run()
    # the operator makes and sends a draft of their own in eAccounting
    customer = w.ea.customers.all()[0]
    article = w.ea.articles.first(Number="LIC")
    own = {
        "CustomerId": customer["Id"],
        "EuThirdParty": False,
        "RotReducedInvoicingType": 0,
        "Rows": [
            {
                "IsTextRow": False,
                "ArticleId": article["Id"],
                "Quantity": 1,
                "UnitPrice": 5,
                "ReversedConstructionServicesVatFree": False,
            }
        ],
    }
    with w.ea_client() as client:
        made = client.post("/v2/customerinvoicedrafts", json=own).json()
    convert(w, made["Id"])
    before = writes(w)
    summary = w.run()
    assert summary.failed == 0, summary.errors
    assert writes(w) == before
    assert w.status_of() == pm.TRANSFERRED
    flow = w.flow(summary, "invoice_status")
    assert (flow.updated, flow.skipped) == (0, 1)  # not linked: passed, the cursor moves on


def test_pm_refusing_the_number_fails_that_invoice_with_pms_reason(make: Make) -> None:
    w = make()
    w.run()
    invoice = convert(w, w.ea.drafts.all()[0]["Id"])
    with w.pm.lock:  # PM already used eAccounting's number for another invoice
        other = dict(w.pm.invoices.get(INVOICE), guid="99999999-9999-4999-8999-999999999999")
        w.pm.invoices.insert({**other, "number": invoice["InvoiceNumber"]})
    summary = w.run()
    (error,) = w.errors(summary, "invoice_status")
    assert f"The invoice number {invoice['InvoiceNumber']} is already in use" in error["message"]
    assert w.status_of() == pm.TRANSFERRED
