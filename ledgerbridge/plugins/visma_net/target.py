"""Writing customers, invoices and credit notes to Visma.net.

Customers: created when missing, updated only when Opter changed them after
Visma.net last did (and never with disableCustomerUpdate), matched by number.
Invoices and credit notes: pre-flight checked against Visma.net's master data,
sent once (a changed invoice that was already sent is refused, not resent),
found again by external reference after a crash, PDF copy attached.
"""

from __future__ import annotations

from typing import Any, NoReturn

from ledgerbridge.core.clock import later
from ledgerbridge.core.components import WriteResult
from ledgerbridge.core.errors import RecordError, StillInFlight
from ledgerbridge.core.http import ApiError
from ledgerbridge.core.plan import Plan
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding, BindingView
from ledgerbridge.plugins.visma_net.api import VismaNetApi
from ledgerbridge.plugins.visma_net.mapper import CustomerPayload, InvoicePayload
from ledgerbridge.plugins.visma_net.masterdata import preflight
from ledgerbridge.plugins.visma_net.plans import customer_changes, invoice_note

SYSTEM = "visma_net"
TITLE = "Visma.net"


def _value(field: Any) -> Any:
    return field.get("value") if isinstance(field, dict) else field


CUSTOMER_FIX = "correct the customer in Opter's customer register"
NO_UPDATES = "disableCustomerUpdate=true: customers Visma.net has are not updated"
SAME_FIELDS = "no field Visma.net shows would change; it is sent again as it is"


def rejected(exc: ApiError, label: str, fix: str) -> RecordError:
    """Visma.net's refusal of one document, as a per-record error."""
    err = exc.to_record_error(fix=fix)
    err.message = f"Visma.net refused {label}: {err.message}"
    return err


def raise_refusal(exc: ApiError, label: str, fix: str) -> NoReturn:
    """A 4xx (not 429) is Visma.net refusing the document: a per-record error
    naming the fix. Anything else (network, 5xx, throttling) is re-raised as
    it is: transient, and the engine's lookup decides before any resend."""
    if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
        raise rejected(exc, label, fix) from None
    raise exc


class CustomerTarget:
    """Customers: the engine decides "update if newer" for linked ones (Visma.net's
    stamp now against the one seen after our own write); a customer Visma.net
    already has but was never linked is updated only when Opter changed it
    after Visma.net last did."""

    system = SYSTEM
    title = TITLE

    def __init__(self, api: VismaNetApi) -> None:
        self.api = api
        self._seen: dict[str, dict[str, Any] | None] = {}  # read by remote_version

    def write(
        self, payload: CustomerPayload, record: Record, binding: Binding | None
    ) -> WriteResult:
        existing = self._current(payload.key)
        if existing is None:
            return self._create(payload, record)
        stamp = _value(existing.get("lastModifiedDateTime"))
        if not payload.update:
            return WriteResult(payload.key, "unchanged", stamp)
        if binding is None and not self._opter_is_newer(existing, record):
            return WriteResult(payload.key, "unchanged", stamp)
        self._check(payload)
        try:
            self.api.update_customer(payload.key, payload.body)
        except ApiError as exc:
            raise_refusal(exc, f"the update of customer {payload.key}", CUSTOMER_FIX)
        return WriteResult(payload.key, "updated", self._stamp_after_write(payload.key))

    def remote_version(
        self, payload: CustomerPayload, record: Record, binding: Binding
    ) -> str | None:
        """Visma.net's change time of the customer now (None: it is gone)."""
        existing = self.api.get_customer(payload.key)
        self._seen[payload.key] = existing
        return None if existing is None else _value(existing.get("lastModifiedDateTime"))

    def _current(self, key: str) -> dict[str, Any] | None:
        if key in self._seen:
            return self._seen.pop(key)
        return self.api.get_customer(key)

    def _stamp_after_write(self, key: str) -> str | None:
        """The stamp our own write left: the engine tells a later change in
        Visma.net from ours by it."""
        after = self.api.get_customer(key)
        return None if after is None else _value(after.get("lastModifiedDateTime"))

    def _create(self, payload: CustomerPayload, record: Record) -> WriteResult:
        if not payload.create:
            raise customer_missing(payload.key)
        self._check(payload)
        try:
            number = self.api.create_customer(payload.body)
        except ApiError as exc:
            raise_refusal(exc, f"customer {payload.key}", CUSTOMER_FIX)
        return WriteResult(number, "created", self._stamp_after_write(number))

    def _check(self, payload: CustomerPayload) -> None:
        """Payment terms and customer class must exist before the customer is sent."""
        errors = preflight(payload.references, self.api.master_data())
        if errors:
            raise combine(errors, f"customer {payload.key}")

    def lookup(self, payload: CustomerPayload, record: Record) -> WriteResult | None:
        existing = self.api.get_customer(payload.key)
        if existing is None:
            return None
        return WriteResult(payload.key, "unchanged", _value(existing.get("lastModifiedDateTime")))

    def plan(self, payload: CustomerPayload, record: Record, binding: Binding | None) -> Plan:
        """What write would do, found out with reads only (the engine's
        update-if-newer rule included): for an update, each field that would
        change, Visma.net's value now -> Opter's."""
        existing = self.api.get_customer(payload.key)
        if existing is None:
            if not payload.create:
                raise customer_missing(payload.key)
            self._check(payload)
            return Plan("create")
        key = payload.key
        if not payload.update:
            return Plan("leave unchanged", remote_id=key, note=NO_UPDATES)
        if not self._would_update(existing, record, binding):
            stamp = _value(existing.get("lastModifiedDateTime"))
            note = f"Visma.net changed it at {stamp}, after Opter did; Visma.net's version is kept"
            return Plan("leave unchanged", remote_id=key, note=note)
        self._check(payload)
        found = customer_changes(payload.body, existing)
        return Plan("update", found, key, None if found else SAME_FIELDS)

    def _would_update(
        self, existing: dict[str, Any], record: Record, binding: Binding | None
    ) -> bool:
        stamp = _value(existing.get("lastModifiedDateTime"))
        if binding is not None and stamp == binding.remote_updated_at:
            return True  # Visma.net untouched since our own write
        return self._opter_is_newer(existing, record)

    @staticmethod
    def _opter_is_newer(existing: dict[str, Any], record: Record) -> bool:
        """Opter changed the customer after Visma.net last did (seconds precision)."""
        remote = str(_value(existing.get("lastModifiedDateTime")) or "")
        return not remote or later(str(record.version or record.data.get("changed") or ""), remote)


def customer_missing(key: str) -> RecordError:
    return RecordError(
        f"Customer {key} does not exist in Visma.net and the customer export is disabled",
        field="customer",
        value=key,
        rule="with disableCustomerExport=true the customer must first be created manually "
        "in Visma.net",
        fix=f"create customer {key} in Visma.net (or remove disableCustomerExport=true from "
        "Start text), then export the invoice again",
    )


class InvoiceTarget:
    """Invoices and credit notes run in a write-once flow: the engine refuses a
    changed one that was sent, before it reaches `write`."""

    system = SYSTEM
    title = TITLE

    def __init__(self, api: VismaNetApi, bindings: BindingView) -> None:
        self.api = api
        self.bindings = bindings
        self._customers_seen: dict[str, bool] = {}

    def write(
        self, payload: InvoicePayload, record: Record, binding: Binding | None
    ) -> WriteResult:
        if binding is not None:
            raise already_sent(payload, binding)
        self._check(payload)
        calls = 1 if payload.attachment is None else 2
        with self.api.document(calls, payload.endpoint):  # the invoice and its PDF, or neither
            try:
                number = self.api.create_document(payload.endpoint, payload.body)
            except ApiError as exc:
                raise_refusal(
                    exc, _label(payload), "correct the invoice in Opter and export it again"
                )
            self._attach(payload, number)
        return WriteResult(number, "created")

    def _check(self, payload: InvoicePayload) -> None:
        errors = preflight(payload.references, self.api.master_data())
        if not self._customer_ok(payload):
            errors.insert(0, self._customer_error(payload))
        if errors:
            raise combine(errors, _label(payload))

    def _customer_ok(self, payload: InvoicePayload) -> bool:
        key = payload.customer_key
        if not payload.references.customer_must_exist:
            return self.bindings.get(SYSTEM, "customer", key) is not None or self._exists(key)
        return self._exists(key)

    def _exists(self, key: str) -> bool:
        if key not in self._customers_seen:
            self._customers_seen[key] = self.api.get_customer(key) is not None
        return self._customers_seen[key]

    def _customer_error(self, payload: InvoicePayload) -> RecordError:
        if payload.references.customer_must_exist:
            return customer_missing(payload.customer_key)
        return RecordError(
            f"Customer {payload.customer_key} could not be transferred to Visma.net",
            field="customer",
            value=payload.customer_key,
            rule="an invoice's customer must exist in Visma.net before the invoice",
            fix="see the customer's own error (ledgerbridge errors), fix it, then run again",
        )

    def _attach(self, payload: InvoicePayload, number: str) -> None:
        if payload.attachment is None:
            return
        filename, content = payload.attachment
        self.api.attach(payload.kind, number, filename, content)

    @property
    def in_flight_seconds(self) -> float:
        """The connection's request timeout plus a margin (the engine's window
        in which a create whose answer was lost may still be processed)."""
        return self.api.in_flight_seconds

    def lookup(
        self, payload: InvoicePayload, record: Record, *, in_flight: bool = False
    ) -> WriteResult | None:
        """After a crash: the document we may have created, with its PDF made
        whole; but not while the PDF's own upload may still be on its way."""
        doc = self.api.find_document(payload.kind, payload.number)
        if doc is None:
            return None
        number = str(_value(doc.get("referenceNumber")) or _value(doc.get("documentNumber")))
        if payload.attachment is not None and not doc.get("attachments"):
            if in_flight:
                raise attachment_pending(payload, number, self.in_flight_seconds)
            self._attach(payload, number)
        return WriteResult(number, "unchanged")

    def label(self, payload: InvoicePayload) -> str:
        """How messages name the document: invoice 10023, credit note 10024."""
        return _label(payload)

    def plan(self, payload: InvoicePayload, record: Record, binding: Binding | None) -> Plan:
        if binding is not None:
            note = f"already sent to Visma.net as {binding.remote_id}; an invoice is sent once"
            return Plan("refuse", remote_id=binding.remote_id, note=note)
        errors = preflight(payload.references, self.api.master_data())
        if errors:
            raise combine(errors, _label(payload))
        pdf = payload.attachment is not None
        return Plan(
            "create", note=invoice_note(payload.kind, payload.body, payload.customer_key, pdf)
        )


def attachment_pending(payload: InvoicePayload, number: str, window: float) -> StillInFlight:
    """The invoice is there without its PDF, and the upload that was sent may
    still be processed: attaching now could attach it twice."""
    return StillInFlight(
        f"{_label(payload)} is in Visma.net as {number} without its PDF copy yet; the upload "
        "sent before the last run stopped may still be in progress",
        field="attachment",
        rule=f"a PDF is uploaded again only after Visma.net has had {window:.0f} s to finish "
        "the earlier upload",
        fix="nothing to do: the next run looks again and attaches the PDF if it is still missing",
    )


def already_sent(payload: InvoicePayload, binding: Binding) -> RecordError:
    return RecordError(
        f"{_label(payload).capitalize()} changed in Opter after it was sent to Visma.net "
        f"as {binding.remote_id}; an invoice is sent once",
        field="invoiceNumber",
        value=payload.number,
        rule="invoices are not updated in Visma.net after export",
        fix="credit the invoice in Opter and export the credit note, or correct it in "
        "Visma.net by hand",
    )


def combine(errors: list[RecordError], label: str) -> RecordError:
    """Every problem of one document in one error, so all are fixed in one go."""
    if len(errors) == 1:
        errors[0].message = f"{label}: {errors[0].message}"
        return errors[0]
    return RecordError(
        f"{label}: " + "; ".join(e.message for e in errors),
        field=", ".join(e.field for e in errors if e.field) or None,
        rule="every account, payment term, branch, currency, VAT code and customer class "
        "an invoice uses must exist in Visma.net",
        fix="; ".join(dict.fromkeys(e.fix for e in errors if e.fix)),
        details={"errors": [e.to_json() for e in errors]},
    )


def _label(payload: InvoicePayload) -> str:
    return f"{'credit note' if payload.kind == 'credit_note' else 'invoice'} {payload.number}"
