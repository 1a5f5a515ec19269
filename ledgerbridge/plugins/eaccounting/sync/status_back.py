"""Status back: a sent or paid eAccounting invoice made from our draft gives
the PM invoice the sent or paid status and eAccounting's invoice number.

The seed's "Kontrollera skickade eller betalda fakturor". eAccounting has no
"sent" flag: a draft converted to an invoice is sent (facts §0.2); the
invoice is paid when its PaymentStatus is Paid. Converting gives the invoice
a new id, so the invoice's record `replaces` the draft it was made from and
takes over the draft's link to the PM invoice; the flow is update-only, so
an invoice that came from no draft of ours is never written anywhere.
Incremental: invoices modified since the last one seen (`modifiedSinceUtc`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ledgerbridge.core.components import WriteResult
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.plugins.eaccounting.eaccounting.api import EAccountingApi
from ledgerbridge.plugins.eaccounting.pm.api import SeveraApi
from ledgerbridge.plugins.eaccounting.sync.drafts import ENTITY
from ledgerbridge.plugins.eaccounting.sync.invoice_setup import InvoiceSetup

PAID = 0  # CustomerInvoiceApi.PaymentStatus: 0 Paid, 1 Unpaid, 2 Overdue


def invoice_state(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What PM is told: the number, and "paid" or "sent"."""
    return {
        "invoiceNumber": doc.get("InvoiceNumber"),
        "status": "paid" if doc.get("PaymentStatus") == PAID else "sent",
    }


class EaInvoiceSource:
    """eAccounting invoices modified since the cursor, oldest change first.

    Every invoice is yielded, not only ours: the engine skips one linked to
    no PM invoice (update-only, action "not linked") and the cursor moves
    past it, so a run reads only what changed since the last one, however
    many invoices the company makes by hand."""

    system = "eaccounting"
    title = "Visma eAccounting"

    def __init__(self, api: EAccountingApi) -> None:
        self.api = api

    def read(self, since: str | None) -> Iterator[Record]:
        docs = list(self.api.customer_invoices(since))
        for doc in sorted(docs, key=lambda d: str(d.get("ModifiedUtc") or "")):
            stamp = str(doc.get("ModifiedUtc") or "") or None
            yield Record(
                ENTITY,
                str(doc["Id"]),
                invoice_state(doc),
                updated_at=stamp,
                version=stamp,
                replaces=str(doc["CreatedFromDraftId"]) if doc.get("CreatedFromDraftId") else None,
            )


class StatusMapper:
    """The PM status (from the settings) and number for an invoice's state."""

    def __init__(self, setup: InvoiceSetup) -> None:
        self.setup = setup

    def map(self, record: Record) -> dict[str, Any]:
        statuses = self.setup.statuses()
        status = statuses[str(record.data["status"])]
        return {
            "status": str(status["guid"]),
            "statusName": str(status["name"]),
            "number": record.data.get("invoiceNumber"),
        }


class PmStatusTarget:
    """Sets the status and number on the PM invoice the draft was made from."""

    system = "pm"
    title = "Visma PM"

    def __init__(self, api: SeveraApi) -> None:
        self.api = api

    def label(self, payload: Mapping[str, Any]) -> str:
        return f"invoice {payload.get('number')}"

    def write(
        self, payload: dict[str, Any], record: Record, binding: Binding | None
    ) -> WriteResult:
        if binding is None:  # update-only: the engine skips unlinked invoices first
            raise RecordError(
                f"eAccounting invoice {payload.get('number')} is linked to no PM invoice",
                fix="nothing to do: only invoices made from transferred drafts are updated",
            )
        number = payload.get("number")
        doc = self.api.set_invoice_status(
            binding.remote_id, payload["status"], int(number) if number is not None else None
        )
        return WriteResult(binding.remote_id, "updated", doc.get("lastUpdatedDateTime"))

    def lookup(self, payload: dict[str, Any], record: Record) -> WriteResult | None:
        return None  # never creates: nothing can have been created unseen
