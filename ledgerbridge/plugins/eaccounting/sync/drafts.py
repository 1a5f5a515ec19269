"""PM invoices with the "to transfer" status -> eAccounting invoice drafts.

The seed: the invoices transferred are chosen by status only (no
last-transfer time), and each becomes a draft the user edits, sends and
books in eAccounting; the PM invoice then gets the "transferred" status.
A draft is created once (the flow is write-once). The draft and the status
are two writes in two systems, so a run that dies between them, or loses
the draft's answer, leaves an intent: the next run's `lookup` finds the
draft (same customer and the same rows, linked to no other PM invoice; or
the invoice it became) and finishes the transfer by setting the status,
instead of creating a second draft.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ledgerbridge.core.components import WriteResult
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.http import ApiError
from ledgerbridge.core.plan import Plan
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.core.state.links import LinkView
from ledgerbridge.plugins.eaccounting.eaccounting.api import EAccountingApi, describe_error
from ledgerbridge.plugins.eaccounting.eaccounting.filters import eq
from ledgerbridge.plugins.eaccounting.pm.api import SeveraApi
from ledgerbridge.plugins.eaccounting.sync.draft_mapper import DraftPayload
from ledgerbridge.plugins.eaccounting.sync.invoice_setup import InvoiceSetup

ENTITY = "invoice"
SENT_ONCE_FIX = (
    "an invoice is transferred to eAccounting once: change the draft (or credit the booked "
    "invoice) in eAccounting, and give the PM invoice its transferred status again"
)
_ROW_FIELDS: tuple[str, ...] = ("IsTextRow", "ArticleId", "Text", "Quantity", "UnitPrice")
_ROW_FIELDS += ("CostCenterItemId1", "CostCenterItemId2", "CostCenterItemId3")


def canonical_invoice(doc: Mapping[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A PM invoice and its rows: the fields the draft is made from."""
    address = doc.get("receiverAddress") or {}
    country = address.get("country")
    if isinstance(country, Mapping):
        country = country.get("code2") or country.get("name")
    return {
        "customer": _pick(doc.get("customer"), "guid", "number", "name"),
        "projects": [_pick(p, "guid", "number", "name") for p in doc.get("projects") or []],
        "address": {
            "addressline": address.get("addressline"),
            "postalCode": address.get("postalCode"),
            "city": address.get("city"),
            "country": country,
        },
        "yourReference": doc.get("yourReference"),
        "ourReference": doc.get("ourReference"),
        "paymentTerm": doc.get("paymentTerm"),
        "notes": doc.get("notes"),
        "freeTextBefore": _free_text(doc.get("freeText1")),
        "freeTextAfter": _free_text(doc.get("freeText2")),
        "isCreditNote": bool(doc.get("isCreditNote")),
        "rows": [_row(r) for r in sorted(rows, key=lambda r: r.get("sortOrder") or 0)],
    }


def _row(row: Mapping[str, Any]) -> dict[str, Any]:
    price = row.get("unitPrice")
    codes = [str(c) for c in row.get("code") or [] if str(c).strip()]
    return {
        "rowType": row.get("rowType"),
        "description": row.get("description"),
        "quantity": row.get("quantity"),
        "unit": row.get("measurementUnit"),
        "unitPrice": price.get("amount") if isinstance(price, Mapping) else price,
        "code": codes[0] if codes else None,
        "costCenter": _pick(row.get("costCenter"), "guid", "identifier", "number", "name"),
        "project": _pick(row.get("project"), "guid", "number", "name"),
    }


def _pick(value: Any, *keys: str) -> dict[str, Any] | None:
    if not isinstance(value, Mapping) or not any(value.get(k) for k in keys):
        return None
    return {k: value.get(k) for k in keys}


def _free_text(value: Any) -> str | None:
    """Severa's free texts are `FreeTextModel2 {plainText}` (or plain text)."""
    if isinstance(value, Mapping):
        value = value.get("plainText")
    return None if value is None else str(value)


class PmInvoiceSource:
    """The PM invoices that have the "to transfer" status now (by status
    only, as the seed says: no cursor). The settings are checked first.

    The listing is read whole before the first invoice is transferred: each
    transfer takes the invoice out of the filtered listing, so paging on
    through it would skip a page for every page transferred (half of 1,000
    invoices were, in bench/bench_eaccounting.py)."""

    system = "pm"
    title = "Visma PM"

    def __init__(self, api: SeveraApi, setup: InvoiceSetup) -> None:
        self.api, self.setup = api, setup

    def read(self, since: str | None) -> Iterator[Record]:
        status = self.setup.statuses()["toTransfer"]
        self.setup.default_article()  # a wrong default article stops the run before any row
        for doc in list(self.api.invoices([str(status["guid"])])):
            guid = str(doc["guid"])
            rows = self.api.invoice_rows(guid)
            yield Record(
                ENTITY,
                guid,
                canonical_invoice(doc, rows),
                version=str(doc.get("lastUpdatedDateTime") or "") or None,
            )


class DraftTarget:
    """Creates the draft, then gives the PM invoice the transferred status."""

    system = "eaccounting"
    title = "Visma eAccounting"

    def __init__(
        self, ea: EAccountingApi, pm: SeveraApi, setup: InvoiceSetup, links: LinkView
    ) -> None:
        self.ea, self.pm, self.setup, self.links = ea, pm, setup, links

    def label(self, payload: DraftPayload) -> str:
        """`invoice GUID`: an invoice to transfer has no number yet (eAccounting
        gives it), so the PM guid names it; messages add the customer."""
        return f"invoice {payload.pm_invoice}"

    def plan(self, payload: DraftPayload, record: Record, binding: Binding | None) -> Plan:
        """`--dry-run`: the draft that would be made, and the PM status after."""
        rows = payload.body.get("Rows") or []
        items = sum(1 for r in rows if not r.get("IsTextRow"))
        status = self.setup.statuses()["transferred"]["name"]
        note = (
            f"a draft {payload.label}, {items} invoice row{'s' if items != 1 else ''} and "
            f"{len(rows) - items} text row{'s' if len(rows) - items != 1 else ''}; "
            f"then PM status {status!r}"
        )
        return Plan("create", note=note)

    def write(self, payload: DraftPayload, record: Record, binding: Binding | None) -> WriteResult:
        if binding is not None:  # write-once: the engine refuses before; never a second draft
            raise RecordError(
                f"The {payload.label} was already transferred as draft {binding.remote_id}",
                fix=SENT_ONCE_FIX,
            )
        try:
            doc = self.ea.create_draft(payload.body)
        except ApiError as exc:
            if exc.status == 409:
                raise _inactive(payload, exc) from exc
            raise
        draft_id = str(doc["Id"])
        self._transferred(record.key, draft_id, payload)
        return WriteResult(draft_id, "created", doc.get("CreatedUtc"))

    def lookup(self, payload: DraftPayload, record: Record) -> WriteResult | None:
        """The draft a lost answer left (or the invoice it has become since);
        the transfer is finished by setting the PM status."""
        found = self._find(payload)
        if found is None:
            return None
        status = self.setup.statuses()["toTransfer"]
        current = self.pm.get_invoice(record.key) or {}
        if str((current.get("status") or {}).get("guid")) == str(status["guid"]):
            self._transferred(record.key, found, payload)
        return WriteResult(found, "unchanged")

    # -- pieces --------------------------------------------------------------------

    def _transferred(self, guid: str, draft_id: str, payload: DraftPayload) -> None:
        status = self.setup.statuses()["transferred"]
        try:
            self.pm.set_invoice_status(guid, str(status["guid"]))
        except ApiError as exc:
            raise RecordError(
                f"The {payload.label} became eAccounting draft {draft_id}, but Visma PM did "
                f"not take the status {status['name']!r}: {exc.message}",
                field="status",
                value=status["name"],
                rule="a transferred invoice gets the transferred status in Visma PM",
                fix="nothing is sent twice: the next run finds the draft and sets the status "
                "again; if this repeats, check the status in Visma PM",
                retryable=True,
            ) from exc

    def _find(self, payload: DraftPayload) -> str | None:
        customer = str(payload.body["CustomerId"])
        for draft in self.ea.drafts(filter=eq("CustomerId", customer, raw=True)):
            if self._free(draft["Id"]) and same_document(payload.body, draft):
                return str(draft["Id"])
        for invoice in self.ea.customer_invoices(filter=eq("CustomerId", customer, raw=True)):
            draft_id = invoice.get("CreatedFromDraftId")
            if not draft_id or not self._free(str(draft_id)) or not self._free(invoice["Id"]):
                continue
            if same_document(payload.body, invoice):
                return str(draft_id)
        return None

    def _free(self, key: str) -> bool:
        return self.links.find("eaccounting", ENTITY, str(key)) is None


def same_document(body: Mapping[str, Any], doc: Mapping[str, Any]) -> bool:
    """The draft (or invoice) holds what `body` sent: the references, the
    address and every row, field by field where the body set one."""
    for key in ("YourReference", "OurReference", "InvoiceAddress1"):
        if body.get(key) is not None and body.get(key) != doc.get(key):
            return False
    ours, theirs = body.get("Rows") or [], doc.get("Rows") or []
    if len(ours) != len(theirs):
        return False
    ordered = sorted(theirs, key=lambda r: r.get("LineNumber") or 0)
    for mine, other in zip(ours, ordered, strict=True):
        for key in _ROW_FIELDS:
            value = mine.get(key)
            if value is None:
                continue
            seen = other.get(key)
            if isinstance(value, float | int) and not isinstance(value, bool):
                if not isinstance(seen, float | int) or abs(float(seen) - float(value)) > 0.005:
                    return False
            elif str(value).lower() != str(seen).lower():
                return False
    return True


def _inactive(payload: DraftPayload, exc: ApiError) -> RecordError:
    """The seed's 409: a work type (article) of the invoice is inactive in
    eAccounting (deactivated after this run read it)."""
    said = f" ({describe_error(exc)})" if exc.vendor_code is not None else ""
    return RecordError(
        f"Could not add {payload.label} to Visma eAccounting: The remote server returned an "
        f"error: (409) Conflict{said}",
        rule="the work types, products and travel expenses of an invoice are active articles "
        "in eAccounting",
        fix="check the work types of the invoice in Visma PM, activate them in eAccounting "
        "and run again",
    )
