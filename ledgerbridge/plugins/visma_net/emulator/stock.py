"""Stock: inventory issues and item cross-references (barcodes).

    POST /v1/inventoryissue                       InventoryIssueUpdateDto -> 201 + Location
    GET  /v1/inventoryissue[/{n}]                 paged; filters status, date(+dateCondition)
    POST /v1/inventoryissue/{n}/action/release    posts the issue: stock goes down
    GET  /v1/inventory/{inventoryNumber}/crossReferences
    POST /v1/inventory/{inventoryNumber}/crossReferences   InventoryCrossReferenceUpdateDto
    PUT  /v1/inventory/{inventoryNumber}/crossReferences/{alternateType}/{alternateId}

An issue is numbered by the inventory issue series; it is saved "Balanced"
(or "On Hold") and changes nothing until it is released. Releasing takes each
line's quantity off the item's quantity on hand in its warehouse (an issue
line) or puts it back (a return line); the item must be a stock item, the
warehouse must exist and the period must be open in inventory management.
Cross-references are kept on the item (`crossReferences` of InventoryDto),
so `GET /v1/inventory?alternateID=<barcode>` finds the item. The DTO schemas
are the plugin's extract of the spec (openapi/stock.json).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import quote

from ledgerbridge.core.sandbox import (
    App,
    HTTPError,
    Request,
    Response,
    SchemaSet,
    created,
    empty,
    json_response,
)
from ledgerbridge.plugins.visma_net.emulator import rules
from ledgerbridge.plugins.visma_net.emulator.documents import RECEIVED, public
from ledgerbridge.plugins.visma_net.emulator.errors import Violation, model_state
from ledgerbridge.plugins.visma_net.emulator.listing import keyed_page
from ledgerbridge.plugins.visma_net.emulator.state import Doc, Table, VismaState, plain

ISSUES = "/v1/inventoryissue"
XREFS = "/v1/inventory/{inventoryNumber}/crossReferences"
WAREHOUSES = ("MAIN", "BUTIKK1", "BUTIKK2", "HOVED")


@lru_cache(maxsize=1)
def _schemas() -> SchemaSet:
    source = resources.files("ledgerbridge.plugins.visma_net").joinpath("openapi/stock.json")
    document = json.loads(source.read_text(encoding="utf-8"))
    return SchemaSet(document["components"]["schemas"], closed=True)


def _body(request: Request, schema: str) -> Any:
    body = request.json()
    issues = _schemas().validate(schema, body)
    if issues:
        raise HTTPError(400, "The request is invalid.", body=model_state(issues))
    return plain(body)


@dataclass
class StockState:
    """What the stock module adds to the company: the issues and the warehouses."""

    issues: Table
    warehouses: frozenset[str]


def stock_of(app: object) -> StockState:
    """The stock state of an app built by `build_app` (for tests)."""
    found = getattr(app, "stock", None)
    if not isinstance(found, StockState):
        raise TypeError("not a Visma.net emulator app with the stock module")
    return found


def register(app: App, state: VismaState, settings: Mapping[str, Any]) -> StockState:
    stock = StockState(
        Table(
            state.store.collection(
                "inventory_issues", key="referenceNumber", start=1, id_format="{:06d}"
            )
        ),
        frozenset(settings.get("warehouses", WAREHOUSES)),
    )
    _issue_routes(app, state, stock)
    _xref_routes(app, state)
    return stock


def _issue_routes(app: App, state: VismaState, stock: StockState) -> None:
    table = stock.issues

    @app.post(ISSUES)
    def create_issue(request: Request) -> Response:
        data = _body(request, "InventoryIssueUpdateDto")
        state.errors.refuse("creating inventory issue", _issue_rules(state, stock, data))
        with table.lock:
            number = table.next_free()
            table.add(_issue_view(state, number, data))
        return created(request.url_for(f"{ISSUES}/{quote(number, safe='')}"))

    @app.get(ISSUES)
    def list_issues(request: Request) -> Response:
        keys = table.keys()
        status, date = request.query.get("status"), request.query.get("date")
        if status or date:
            keys = [
                d["referenceNumber"]
                for d in table.docs(keys)
                if (not status or d["status"] == status)
                and (not date or str(d["date"])[:10] == date[:10])
            ]
        return keyed_page(
            keys, table.docs, request.query, state.max_page_size, lambda d: public(d, None)
        )

    @app.get(ISSUES + "/{number}")
    def get_issue(request: Request, number: str) -> Response:
        doc = table.get(number)
        if doc is None:
            state.errors.not_found(f"Inventory issue {number} was not found.")
        return json_response(public(doc, None))

    @app.post(ISSUES + "/{number}/action/release")
    def release_issue(request: Request, number: str) -> Response:
        with table.lock:
            doc = table.get(number)
            if doc is None:
                state.errors.not_found(f"Inventory issue {number} was not found.")
            if doc["status"] != "Balanced":
                state.errors.fail(
                    400,
                    f"Inventory issue {number} is {doc['status']} and cannot be released.",
                    "Error",
                )
            _take_stock(state, doc)
            table.put(number, {**doc, "status": "Released"})
        return json_response({"actionId": state.new_guid(), "actionResult": "Done"})


def _issue_rules(state: VismaState, stock: StockState, data: Doc) -> list[Violation]:
    v = rules.exists(state, "branches", data.get("branchNumber"), "branchNumber")
    v += rules.required(data.get("date"), "date", "Date")
    period = rules.period_of(data.get("date"))
    post = data.get("postPeriod")
    if isinstance(post, str) and len(post) == 6:  # MMYYYY
        period = post[2:] + post[:2]
    v += rules.open_period(state, period, "postPeriod", "InventoryManagement")
    v += rules.max_length(data.get("externalReference"), 40, "externalReference", "External ref.")
    for i, line in enumerate(data.get("issueLines") or []):
        at = f"issueLines[{i}]"
        item = state.inventory.get(str(line.get("inventoryNumber")))
        if item is None:
            v.append(
                Violation(
                    f"{at}.inventoryNumber",
                    f"Item '{line.get('inventoryNumber')}' cannot be found in the system.",
                )
            )
        elif not item.get("stockItem"):
            v.append(
                Violation(
                    f"{at}.inventoryNumber",
                    f"Item '{line.get('inventoryNumber')}' is not a stock item.",
                )
            )
        if line.get("warehouseId") not in stock.warehouses:
            v.append(
                Violation(
                    f"{at}.warehouseId",
                    f"Warehouse '{line.get('warehouseId')}' cannot be found in the system.",
                )
            )
        if rules.decimal(line.get("quantity")) <= 0:
            v.append(Violation(f"{at}.quantity", "'Quantity' must be greater than 0."))
    return v


def _issue_view(state: VismaState, number: str, data: Doc) -> Doc:
    lines = data.get("issueLines") or []
    return {
        "referenceNumber": number,
        "status": "Hold" if data.get("hold") else "Balanced",
        "hold": bool(data.get("hold")),
        "date": data.get("date"),
        "postPeriod": data.get("postPeriod"),
        "externalReference": data.get("externalReference"),
        "description": data.get("description"),
        "branchNumber": data.get("branchNumber"),
        "totalQuantity": float(
            sum((rules.decimal(ln.get("quantity")) for ln in lines), Decimal(0))
        ),
        "totalCost": float(sum((rules.decimal(ln.get("extCost")) for ln in lines), Decimal(0))),
        "issueLines": [dict(ln) for ln in lines],
        "lastModifiedDateTime": state.now_iso(),
        RECEIVED: dict(data),
    }


def _take_stock(state: VismaState, doc: Doc) -> None:
    for line in doc["issueLines"]:
        number = str(line["inventoryNumber"])
        item = state.inventory.get(number)
        if item is None:
            continue
        qty = rules.decimal(line.get("quantity"))
        if line.get("tranType") == "Return":
            qty = -qty
        details = [dict(w) for w in item.get("warehouseDetails") or []]
        row = next((w for w in details if w.get("warehouse") == line.get("warehouseId")), None)
        if row is None:
            row = {"warehouse": line.get("warehouseId"), "quantityOnHand": 0.0}
            details.append(row)
        row["quantityOnHand"] = float(rules.decimal(row.get("quantityOnHand")) - qty)
        received = {**item.get(RECEIVED, {}), "warehouseDetails": details}  # kept by a PUT
        state.inventory.put(number, {**item, "warehouseDetails": details, RECEIVED: received})


def _xref_routes(app: App, state: VismaState) -> None:
    table = state.inventory

    def item_or_404(number: str) -> Doc:
        doc = table.get(number)
        if doc is None:
            state.errors.not_found(f"Inventory item {number} was not found.")
        return doc

    @app.get(XREFS)
    def list_xrefs(request: Request, inventoryNumber: str) -> Response:
        return json_response(list(item_or_404(inventoryNumber).get("crossReferences") or []))

    @app.post(XREFS)
    def add_xref(request: Request, inventoryNumber: str) -> Response:
        data = _body(request, "InventoryCrossReferenceUpdateDto")
        _save_xref(state, item_or_404(inventoryNumber), data, None)
        return created(request.url_for(XREFS.replace("{inventoryNumber}", quote(inventoryNumber))))

    @app.put(XREFS + "/{alternateType}/{alternateId}")
    def put_xref(
        request: Request, inventoryNumber: str, alternateType: str, alternateId: str
    ) -> Response:
        data = _body(request, "InventoryCrossReferenceUpdateDto")
        _save_xref(state, item_or_404(inventoryNumber), data, (alternateType, alternateId))
        return empty(204)


def _save_xref(state: VismaState, item: Doc, data: Doc, old: tuple[str, str] | None) -> None:
    kind, value = data.get("alternateType"), data.get("alternateID")
    v = rules.required(kind, "alternateType", "Alternate type")
    v += rules.required(value, "alternateID", "Alternate ID")
    state.errors.refuse("saving cross-reference", v)
    with state.inventory.lock:
        refs = [
            dict(r)
            for r in item.get("crossReferences") or []
            if (r.get("alternateType"), r.get("alternateID")) not in {old, (kind, value)}
        ]
        refs.append(
            {
                "alternateType": kind,
                "alternateID": value,
                "description": data.get("description"),
                "uom": data.get("uom"),
                "timestamp": state.now_iso(),
            }
        )
        received = {**item.get(RECEIVED, {}), "crossReferences": refs}
        number = item["inventoryNumber"]
        state.inventory.put(number, {**item, "crossReferences": refs, RECEIVED: received})
