"""What the emulated Severa organization holds, and how tests look at it.

Entities live in sandbox `Collection`s keyed by `guid`, in creation order
(the order lists answer in). `lastUpdatedDateTime` moves on every write
(`touch`), so `changedSince` sees it.

    state = state_of(app)                         # or testing.make_sandbox(...)
    state.invoices.get(guid)["status"]["name"]    # the PM invoice status now
    state.project_fees.all()                      # the supplier costs received
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.sandbox import Collection, Store
from ledgerbridge.plugins.eaccounting.pm.emulator import seed_data
from ledgerbridge.plugins.eaccounting.pm.emulator.errors import NotFound
from ledgerbridge.plugins.eaccounting.stamps import Guids, Stamps

Doc = dict[str, Any]
TABLES = (
    "customers",
    "addresses",
    "contacts",
    "products",
    "work_types",
    "travel_expense_types",
    "projects",
    "invoices",
    "invoice_rows",
    "invoice_statuses",
    "project_fees",
    "vat_rates",
    "currencies",
    "countries",
)


@dataclass
class SeveraState:
    clock: Clock
    guids: Guids
    multi_currency: bool = False
    store: Store = field(default_factory=Store)
    lock: threading.RLock = field(default_factory=threading.RLock)
    stamps: Stamps = field(init=False)
    next_customer_number: int = 1000
    next_invoice_number: int = 10001

    def __post_init__(self) -> None:
        self.stamps = Stamps(self.clock)
        for name, docs in (
            ("countries", seed_data.COUNTRIES),
            ("currencies", seed_data.CURRENCIES),
            ("vat_rates", seed_data.VAT_RATES),
            ("invoice_statuses", seed_data.INVOICE_STATUSES),
        ):
            for doc in docs:
                self.table(name).insert(doc)
        if self.multi_currency:
            for currency in self.currencies.all():
                self.currencies.update(currency["guid"], {"isActive": True})

    def table(self, name: str) -> Collection:
        if name not in TABLES:
            raise KeyError(name)
        return self.store.collection(name, key="guid")

    def __getattr__(self, name: str) -> Collection:
        if name in TABLES:
            return self.table(name)
        raise AttributeError(name)

    def require(self, table: str, guid: str) -> Doc:
        """The record, or a bodiless 404 (as Severa answers)."""
        found = self.table(table).get(guid.lower())
        if found is None:
            raise NotFound()
        return found

    def new_record(self, doc: Doc) -> Doc:
        """`doc` with a new guid and creation/update stamps."""
        stamp = self.stamps.next()
        return {
            **doc,
            "guid": self.guids.next(),
            "createdDateTime": stamp,
            "lastUpdatedDateTime": stamp,
        }

    def touch(self, doc: Doc) -> Doc:
        return {**doc, "lastUpdatedDateTime": self.stamps.next()}

    def create(self, table: str, build: Callable[[], Doc]) -> Doc:
        """A POST's record: `build()` run under the lock (builders check
        uniqueness and take numbers), stamped with a new guid and stored."""
        with self.lock:
            doc = self.new_record(build())
            self.table(table).insert(doc)
        return doc

    def update(self, table: str, guid: str, change: Callable[[Doc], Doc]) -> Doc:
        """A PATCH's record: `change(old)` run under the lock, stamped and
        stored in place of `old` (a bodiless 404 when there is none)."""
        with self.lock:
            old = self.require(table, guid)
            new = self.touch(change(old))
            self.table(table).replace(old["guid"], new)
        return new

    @property
    def organization_currency(self) -> Doc:
        found = self.currencies.first(isOrganizationCurrency=True)
        assert found is not None
        return found

    def currency_by_code(self, code: str) -> Doc | None:
        return self.currencies.first(lambda c: c["code"] == code.upper())

    def take_customer_number(self) -> int:
        with self.lock:
            number = _first_free(self.customers, self.next_customer_number)
            self.next_customer_number = number + 1
            return number

    def take_invoice_number(self) -> int:
        with self.lock:
            number = _first_free(self.invoices, self.next_invoice_number)
            self.next_invoice_number = number + 1
            return number


def _first_free(table: Collection, start: int) -> int:
    """The first number from `start` on that no record of `table` has (seeds
    and clients may have taken some of the series)."""
    taken = {d.get("number") for d in table.all()}
    while start in taken:
        start += 1
    return start
