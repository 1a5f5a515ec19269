"""Visma.net targets for other connectors: general-ledger journal
transactions (payroll journals, POS daily settlements) and inventory items
(POS products).

Build them from a run context through the registry, as any plugin does:

    from ledgerbridge.core.registry import collect
    target = ctx.target("visma_net.journal_transactions")
    Flow("journals", "journal", source, mapper, target)

The mapper returns a `JournalPayload` / `InventoryPayload`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ledgerbridge.core.components import WriteResult
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.http import ApiError
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.plugins.visma_net.api import VismaNetApi
from ledgerbridge.plugins.visma_net.target import SYSTEM, raise_refusal


@dataclass(frozen=True)
class JournalPayload:
    """A JournalTransactionUpdateDto (values wrapped as {"value": ...}).

    reference: unique per source document (e.g. "nmbrs run 2024-03 company 12");
               sent as the transaction's description, which is how a write
               whose answer was lost is found again.
    period:    the financial period "YYYYMM" it is booked in (narrows the lookup).
    """

    reference: str
    body: dict[str, Any]
    period: str | None = None

    def wire_body(self) -> dict[str, Any]:
        return {**self.body, "description": {"value": self.reference}}


def in_company(connection: str | None, result: WriteResult) -> WriteResult:
    """A document number as links keep it. Visma.net numbers batches,
    invoices and issues per company, so "000001" of one company is not
    "000001" of another: a document sent through a named connection (a part
    of a connector booked in its own company) is kept as `NAME/number`; one
    sent through the connector's own connection keeps the bare number."""
    if connection is None:
        return result
    return replace(result, remote_id=f"{connection}/{result.remote_id}")


class JournalTransactionTarget:
    """Journal transactions are sent once: a changed source document must be
    corrected with a new transaction (as payroll corrections are)."""

    system = SYSTEM

    def __init__(self, api: VismaNetApi) -> None:
        self.api = api

    @property
    def in_flight_seconds(self) -> float:
        """A create whose answer was lost is not resent blind within the
        connection's request timeout plus a margin (see visma_net's invoices)."""
        return self.api.in_flight_seconds

    def write(
        self, payload: JournalPayload, record: Record, binding: Binding | None
    ) -> WriteResult:
        if binding is not None:
            raise RecordError(
                f"Journal {payload.reference} changed after it was sent to Visma.net as "
                f"{binding.remote_id}; a journal transaction is sent once",
                field="reference",
                value=payload.reference,
                rule="journal transactions are not changed in Visma.net after they are sent",
                fix="book the difference as a correction in the source system",
            )
        try:
            number = self.api.create_journal_transaction(payload.wire_body())
        except ApiError as exc:
            raise_refusal(exc, f"journal {payload.reference}", "correct the journal at its source")
        return WriteResult(number, "created")

    def lookup(self, payload: JournalPayload, record: Record) -> WriteResult | None:
        found = self.api.find_journal_transaction(payload.reference, payload.period)
        if found is None:
            return None
        number = found.get("batchNumber")
        number = number.get("value") if isinstance(number, dict) else number
        return WriteResult(str(number), "unchanged")


@dataclass(frozen=True)
class InventoryPayload:
    """An InventoryUpdateDto for the item `number` (Visma.net's inventoryNumber)."""

    number: str
    body: dict[str, Any]

    def wire_body(self) -> dict[str, Any]:
        return {**self.body, "inventoryNumber": {"value": self.number}}


class InventoryTarget:
    """Items are matched by number: created when missing, updated otherwise."""

    system = SYSTEM

    def __init__(self, api: VismaNetApi) -> None:
        self.api = api

    def write(
        self, payload: InventoryPayload, record: Record, binding: Binding | None
    ) -> WriteResult:
        label = f"item {payload.number}"
        fix = "correct the item at its source"
        try:
            if binding is None and self.api.get_inventory(payload.number) is None:
                self.api.create_inventory(payload.wire_body())
                return WriteResult(payload.number, "created")
            self.api.update_inventory(payload.number, payload.wire_body())
        except ApiError as exc:
            raise_refusal(exc, label, fix)
        return WriteResult(payload.number, "updated")

    def lookup(self, payload: InventoryPayload, record: Record) -> WriteResult | None:
        found = self.api.get_inventory(payload.number)
        return None if found is None else WriteResult(payload.number, "unchanged")
