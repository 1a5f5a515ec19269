"""What the emulated eAccounting company holds, and how tests look at it.

Every entity lives in a sandbox `Collection` keyed by its `Id` (documents
copied in and out), in creation order, which is also the order lists answer
in. Check-then-write sequences (is this number free? then insert) run under
`state.lock`, so the threaded loopback server cannot create a number twice.

    state = state_of(app)                    # or testing.make_sandbox(...)
    state.customers.get(customer_id)         # the CustomerApi as GET returns it
    state.set_paid(invoice_id)               # an operator registering a payment
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.sandbox import Collection, Store
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import seed_data
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.errors import ErrorFactory
from ledgerbridge.plugins.eaccounting.stamps import Guids, Stamps, stable_guid

Doc = dict[str, Any]


@dataclass
class EAccountingState:
    clock: Clock
    guids: Guids
    max_page_size: int = 1000
    store: Store = field(default_factory=Store)
    lock: threading.RLock = field(default_factory=threading.RLock)
    company: Doc = field(default_factory=seed_data.company_settings)
    stamps: Stamps = field(init=False)
    errors: ErrorFactory = field(init=False)

    def __post_init__(self) -> None:
        self.stamps = Stamps(self.clock)
        self.errors = ErrorFactory(self.guids)
        for name, docs in (
            ("terms_of_payment", seed_data.TERMS_OF_PAYMENT),
            ("units", seed_data.UNITS),
            ("codings", seed_data.ARTICLE_ACCOUNT_CODINGS),
            ("vat_codes", seed_data.VAT_CODES),
        ):
            for doc in docs:
                self.table(name).insert(doc)
        for doc in seed_data.CURRENCIES:
            self.store.collection("currencies", key="Code").insert(doc)
        for doc in seed_data.COUNTRIES:
            self.store.collection("countries", key="Code").insert(doc)
        for center in seed_data.COST_CENTERS:
            doc = {**center, "Id": stable_guid("costcenter", str(center["Number"]))}
            self.table("cost_centers").insert(doc)

    def table(self, name: str) -> Collection:
        return self.store.collection(name, key="Id")

    def require(self, table: str, what: str, key: str, field: str | None = None) -> Doc:
        """The record `key` of `table`, or the vendor's not-found for a `what`:
        a 404 for an id in the URL, a 400 naming `field` for one in a body."""
        found = self.table(table).get(key.lower())
        if found is None:
            self.errors.not_found(what, key, field)
        return found

    def create(self, table: str, build: Callable[[], Doc]) -> Doc:
        """A POST's record: `build()` run under the lock (builders check that
        numbers are free), then stored."""
        with self.lock:
            doc = build()
            self.table(table).insert(doc)
        return doc

    def replace(self, table: str, what: str, key: str, build: Callable[[Doc], Doc]) -> Doc:
        """A PUT's record: `build(existing)` run under the lock, stored in its
        place (the not-found of a `what` when there is none)."""
        with self.lock:
            existing = self.require(table, what, key)
            doc = build(existing)
            self.table(table).replace(existing["Id"], doc)
        return doc

    # the collections, by the names the API uses
    @property
    def customers(self) -> Collection:
        return self.table("customers")

    @property
    def articles(self) -> Collection:
        return self.table("articles")

    @property
    def codings(self) -> Collection:
        return self.table("codings")

    @property
    def units(self) -> Collection:
        return self.table("units")

    @property
    def terms_of_payment(self) -> Collection:
        return self.table("terms_of_payment")

    @property
    def vat_codes(self) -> Collection:
        return self.table("vat_codes")

    @property
    def currencies(self) -> Collection:
        return self.store.collection("currencies", key="Code")

    @property
    def countries(self) -> Collection:
        return self.store.collection("countries", key="Code")

    @property
    def cost_centers(self) -> Collection:
        return self.table("cost_centers")

    @property
    def cost_center_items(self) -> Collection:
        return self.table("cost_center_items")

    @property
    def projects(self) -> Collection:
        return self.table("projects")

    @property
    def drafts(self) -> Collection:
        return self.table("drafts")

    @property
    def invoices(self) -> Collection:
        return self.table("invoices")

    @property
    def supplier_invoices(self) -> Collection:
        return self.table("supplier_invoices")

    # -- numbering -----------------------------------------------------------------

    def take_number(self, setting: str, taken: set[str] | None = None) -> int:
        """The next number of a company series (NextCustomerNumber, ...),
        skipping numbers already used by hand."""
        with self.lock:
            number = int(self.company[setting])
            while taken is not None and str(number) in taken:
                number += 1
            self.company[setting] = number + 1
            return number

    def settings_doc(self) -> Doc:
        return copy.deepcopy(self.company)

    # -- what an operator does in the eAccounting UI -----------------------------------

    def set_paid(self, invoice_id: str, date: str | None = None) -> Doc:
        """Mark a customer invoice fully paid (as a payment booked in the UI)."""
        from ledgerbridge.plugins.eaccounting.eaccounting.emulator.invoices import record_payment

        invoice = self.invoices.require(invoice_id)
        return record_payment(self, invoice, invoice["RemainingAmountInvoiceCurrency"], date)
