"""What the emulated Visma.net company holds, and how tests look at it.

Documents live in the sandbox `Store` (copied in and out, numbered from
per-collection counters, so runs are reproducible). `Table` adds what the API
needs on top: the order documents were created in (list endpoints page
through it without copying every document) and lookups by a field (invoices
by `externalReference`), so no request scans all documents unless it asks
for a filtered list.

    state = state_of(app)          # or testing.make_sandbox(...)
    state.invoices.get("100001")   # the CustomerInvoiceDto as GET returns it,
                                   # plus "received": the body as sent, unwrapped
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ledgerbridge.core.clock import Clock, utc_iso
from ledgerbridge.core.sandbox import Collection, Store
from ledgerbridge.plugins.visma_net.emulator.errors import ErrorFactory
from ledgerbridge.plugins.visma_net.emulator.seed_data import segment_values

Doc = dict[str, Any]


class Table:
    """A store collection plus creation order and field indexes.

    Check-then-write sequences (is this number free? then insert) run under
    `table.lock`, so the threaded loopback server cannot create a number twice.
    """

    def __init__(self, collection: Collection, indexed: tuple[str, ...] = ()) -> None:
        self.collection = collection
        self.lock = threading.RLock()
        self._order: list[str] = []
        self._indexes: dict[str, dict[Any, list[str]]] = {name: {} for name in indexed}
        self.version = 0  # counts writes: a derived index elsewhere knows when it is stale

    @property
    def key(self) -> str:
        return self.collection.key

    def add(self, doc: Mapping[str, Any]) -> Doc:
        with self.lock:
            stored = self.collection.insert(doc)
            self.version += 1
            key = stored[self.key]
            self._order.append(key)
            for name, index in self._indexes.items():
                index.setdefault(stored.get(name), []).append(key)
        return stored

    def put(self, key: str, doc: Mapping[str, Any]) -> Doc:
        """Replace an existing document, keeping the indexes right."""
        with self.lock:
            old = self.collection.get(key)
            stored = self.collection.replace(key, doc)
            self.version += 1
            if old is None:
                self._order.append(key)
            for name, index in self._indexes.items():
                if old is not None and old.get(name) == stored.get(name):
                    continue
                if old is not None:
                    index[old.get(name)].remove(key)
                index.setdefault(stored.get(name), []).append(key)
            return stored

    def get(self, key: str) -> Doc | None:
        return self.collection.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self.collection

    def __len__(self) -> int:
        return len(self.collection)

    def __iter__(self) -> Iterator[Doc]:
        return iter(self.all())

    def all(self) -> list[Doc]:
        return self.docs(self.keys())

    def keys(self) -> list[str]:
        with self.lock:
            return list(self._order)

    def keys_where(self, name: str, value: Any) -> list[str]:
        """Keys of documents whose indexed field `name` equals `value`."""
        with self.lock:
            return list(self._indexes[name].get(value, ()))

    def docs(self, keys: list[str]) -> list[Doc]:
        found = (self.collection.get(k) for k in keys)
        return [d for d in found if d is not None]

    def next_free(self) -> str:
        """The next number of the collection's series not already taken by hand."""
        with self.lock:
            while True:
                number = str(self.collection.next_id())
                if number not in self.collection:
                    return number


@dataclass
class VismaState:
    """The emulated company: master data, documents and the emulator's clock."""

    clock: Clock
    master: dict[str, dict[str, Doc]]
    errors: ErrorFactory
    seed: int = 0
    store: Store = field(default_factory=Store)
    max_page_size: int = 1000
    manual_numbering: bool = False
    company: str = ""  # a tenant id: mixed into the GUID generator's seed
    segments: dict[int, frozenset[str]] = field(init=False)
    customers: Table = field(init=False)
    invoices: Table = field(init=False)
    credit_notes: Table = field(init=False)
    attachments: Table = field(init=False)
    journal_transactions: Table = field(init=False)
    inventory: Table = field(init=False)
    _rng: random.Random = field(init=False)
    _rng_lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _internal_ids: dict[str, int] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.segments = segment_values(self.master["dimensions"])
        salt = f"-{self.company}" if self.company else ""
        self._rng = random.Random(f"visma_net-{self.seed}{salt}")

    def configure_numbering(self, starts: Mapping[str, int]) -> None:
        """Create the document tables; `starts` gives each series' first number."""
        s = self.store
        self.customers = Table(s.collection("customers", key="number", start=starts["customer"]))
        self.invoices = Table(
            s.collection("invoices", key="referenceNumber", start=starts["invoice"]),
            indexed=("externalReference",),
        )
        self.credit_notes = Table(
            s.collection("credit_notes", key="referenceNumber", start=starts["credit_note"]),
            indexed=("externalReference",),
        )
        self.attachments = Table(s.collection("attachments", key="id"), indexed=("document",))
        self.journal_transactions = Table(
            s.collection(
                "journal_transactions",
                key="batchNumber",
                start=starts["journal_transaction"],
                id_format="{:06d}",
            )
        )
        self.inventory = Table(s.collection("inventory", key="inventoryNumber"))

    # -- time and ids ---------------------------------------------------------------

    def now_iso(self) -> str:
        """lastModifiedDateTime / createdDateTime on the emulator's clock."""
        return utc_iso(self.clock.now())

    def today(self) -> str:
        """Today's date as the API writes dates: `2026-01-01T00:00:00`."""
        return datetime.fromtimestamp(self.clock.now(), UTC).strftime("%Y-%m-%dT00:00:00")

    def new_guid(self) -> str:
        with self._rng_lock:
            text = f"{self._rng.getrandbits(128):032x}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    def internal_id(self, kind: str) -> int:
        """The next internal (database) id of a kind of record."""
        with self._rng_lock:
            self._internal_ids[kind] = self._internal_ids.get(kind, 0) + 1
            return self._internal_ids[kind]

    # -- master data -------------------------------------------------------------------

    def exists(self, kind: str, key: Any) -> bool:
        return str(key) in self.master[kind]

    def record(self, kind: str, key: Any) -> Doc | None:
        return self.master[kind].get(str(key))

    def attachments_of(self, document: str) -> list[Doc]:
        """AttachmentDto list of a document ("invoice:100001")."""
        docs = self.attachments.docs(self.attachments.keys_where("document", document))
        return [{"name": d["name"], "id": d["id"], "revision": d["revision"]} for d in docs]


def plain(value: Any) -> Any:
    """A request body with its `{"value": x}` wrappers removed, for storing
    what Visma.net received in a form tests can read."""
    if isinstance(value, dict):
        if len(value) == 1 and "value" in value:
            return plain(value["value"])
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
