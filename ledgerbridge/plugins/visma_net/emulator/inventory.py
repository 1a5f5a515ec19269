"""Inventory items: GET (list and one), POST and PUT with InventoryUpdateDto.

Items are keyed by inventoryNumber (Visma.net's inventory ID), which the
client must give on create. Stored as the InventoryDto a GET returns plus
"received", the merged bodies as sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ledgerbridge.core.sandbox import App, Request, Response, created, empty, json_response
from ledgerbridge.plugins.visma_net.emulator import rules
from ledgerbridge.plugins.visma_net.emulator.documents import RECEIVED, public, ref
from ledgerbridge.plugins.visma_net.emulator.listing import keyed_page, modified_filter
from ledgerbridge.plugins.visma_net.emulator.state import Doc, VismaState, plain
from ledgerbridge.plugins.visma_net.emulator.validation import BodyValidator

SCHEMA = "InventoryUpdateDto"
PATH = "/v1/inventory"
STOCK_TYPES = frozenset({"FinishedGoodItem", "ComponentPartItem", "SubassemblyItem"})
FILTERS = ("inventoryNumber", "description", "status")
_ACCOUNTS = (
    "expenseAccrualAccount",
    "inventoryAccount",
    "expenseAccount",
    "cogsAccount",
    "expenseNonTaxableAccount",
    "expenseEuAccount",
    "expenseImportAccount",
    "salesAccount",
    "salesNonTaxableAccount",
    "salesEuAccount",
    "salesExportAccount",
)
_RENAMED = frozenset({"itemClass", "postingClass", "vatCode", *_ACCOUNTS})


def item_view(
    state: VismaState,
    number: str,
    data: Mapping[str, Any],
    previous: Mapping[str, Any] | None = None,
) -> Doc:
    kind = data.get("type") or "NonStockItem"
    doc: Doc = {k: v for k, v in data.items() if k not in _RENAMED}
    doc.update(
        {
            "inventoryId": previous["inventoryId"] if previous else state.internal_id("item"),
            "inventoryNumber": number,
            "status": data.get("status") or "Active",
            "type": kind,
            "stockItem": kind in STOCK_TYPES,
            "itemClass": _id(data.get("itemClass")),
            "postingClass": _id(data.get("postingClass")),
            "vatCode": ref(state, "vat", data.get("vatCode")),
            "accountInformation": {
                name: ref(state, "accounts", data[name], "number")
                for name in _ACCOUNTS
                if data.get(name)
            },
            "lastModifiedDateTime": state.now_iso(),
            RECEIVED: dict(data),
        }
    )
    return doc


def _has_alternate(doc: Doc, alternate: str) -> bool:
    return any(c.get("alternateID") == alternate for c in doc.get("crossReferences") or ())


def _id(value: Any) -> Doc | None:
    return {"id": value} if value else None


def register(app: App, state: VismaState, validator: BodyValidator) -> None:
    table = state.inventory

    @app.get(PATH)
    def list_items(request: Request) -> Response:
        checks = [(n, request.query[n]) for n in FILTERS if request.query.get(n)]
        modified = modified_filter(request.query)
        alternate = request.query.get("alternateID")  # a cross-reference's value
        keys = table.keys()
        if checks or modified is not None or alternate:
            keys = [
                d["inventoryNumber"]
                for d in table.docs(keys)
                if all(str(d.get(n)) == value for n, value in checks)
                and (modified is None or modified(d))
                and (not alternate or _has_alternate(d, alternate))
            ]
        return keyed_page(
            keys, table.docs, request.query, state.max_page_size, lambda d: public(d, None)
        )

    @app.get(PATH + "/{inventoryNumber}")
    def get_item(request: Request, inventoryNumber: str) -> Response:
        doc = table.get(inventoryNumber)
        if doc is None:
            state.errors.not_found(f"Inventory item {inventoryNumber} was not found.")
        return json_response(public(doc, None))

    @app.post(PATH)
    def create_item(request: Request) -> Response:
        data = plain(validator.body(request, SCHEMA))
        state.errors.refuse("creating inventory item", rules.inventory(state, data, creating=True))
        number = str(data["inventoryNumber"])
        with table.lock:
            if number in table:
                state.errors.duplicate(
                    f"Error creating inventory item. Error: Inventory ID '{number}' already exists."
                )
            table.add(item_view(state, number, data))
        return created(request.url_for(f"{PATH}/{quote(number, safe='')}"))

    @app.put(PATH + "/{inventoryNumber}")
    def update_item(request: Request, inventoryNumber: str) -> Response:
        data = plain(validator.body(request, SCHEMA))
        state.errors.refuse("updating inventory item", rules.inventory(state, data, creating=False))
        with table.lock:
            previous = table.get(inventoryNumber)
            if previous is None:
                state.errors.not_found(f"Inventory item {inventoryNumber} was not found.")
            merged = {**previous[RECEIVED], **data, "inventoryNumber": inventoryNumber}
            table.put(inventoryNumber, item_view(state, inventoryNumber, merged, previous))
        return empty(204)


def seed_inventory(state: VismaState, items: list[Mapping[str, Any]]) -> None:
    """Items that exist before the run (settings["inventory"])."""
    for entry in items:
        number = str(entry["inventoryNumber"])
        state.inventory.add(item_view(state, number, entry))
