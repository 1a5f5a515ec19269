"""Cost centers ("Resultatenheter") and their items.

`GET /v2/costcenters` (items embedded; there is no item list endpoint),
`PUT /v2/costcenters/{id}` (name and active flag), `POST /v2/costcenteritems`,
`GET /v2/costcenteritems/{itemId}`, `PUT /v2/costcenteritems/{costCenterItemId}`
[S26]. There is no POST for cost centers and no DELETE for items. An item's
Name and ShortName are unique within its cost center: a duplicate is the
seed's ErrorCode 4000 "CostCenterItemAlreadyExistsException - A cost center
item with the provided id or name already exists." (names compare
case-insensitively: INFERENCE). A PUT cannot move an item to another cost
center (4002). Items have only `CreatedUtc`, no change stamp [S26].
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.sandbox import App, Request, Response, json_response
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.documents import (
    Doc,
    complete,
    writable,
)
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.errors import CANNOT_CHANGE
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.listing import list_response
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.state import EAccountingState
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.validation import BodyValidator

CENTER = "CostCenterApi"
ITEM = "CostCenterItemApi"
ALREADY_EXISTS = "A cost center item with the provided id or name already exists."


def register(app: App, state: EAccountingState, validator: BodyValidator) -> None:
    @app.get("/v2/costcenters")
    def list_cost_centers(request: Request) -> Response:
        centers = [with_items(state, c) for c in state.cost_centers.all()]
        return list_response(request, state, CENTER, centers)

    @app.put("/v2/costcenters/{id}")
    def replace_cost_center(request: Request, id: str) -> Response:
        body = writable(CENTER, validator.body(request, CENTER))

        def rename(old: Doc) -> Doc:
            return {**old, "Name": body["Name"], "IsActive": body.get("IsActive", old["IsActive"])}

        center = state.replace("cost_centers", "cost center", id, rename)
        return json_response(with_items(state, center))

    @app.post("/v2/costcenteritems")
    def create_item(request: Request) -> Response:
        body = validator.body(request, ITEM)
        return json_response(
            state.create("cost_center_items", lambda: build_item(state, body)), 201
        )

    @app.get("/v2/costcenteritems/{itemId}")
    def get_item(request: Request, itemId: str) -> Response:
        return json_response(state.require("cost_center_items", "cost center item", itemId))

    @app.put("/v2/costcenteritems/{costCenterItemId}")
    def replace_item(request: Request, costCenterItemId: str) -> Response:
        body = validator.body(request, ITEM)

        def rebuild(old: Doc) -> Doc:
            return build_item(state, body, old)

        item = state.replace("cost_center_items", "cost center item", costCenterItemId, rebuild)
        return json_response(item)


def with_items(state: EAccountingState, center: Doc) -> Doc:
    items = state.cost_center_items.find(CostCenterId=center["Id"])
    return {**center, "Items": items}


def build_item(state: EAccountingState, body: dict[str, Any], existing: Doc | None = None) -> Doc:
    doc = writable(ITEM, body)
    center_id = str(doc["CostCenterId"]).lower()
    if existing is not None and center_id != existing["CostCenterId"]:
        state.errors.fail(
            400,
            CANNOT_CHANGE,
            "CostCenterItemCannotBeMovedException - The cost center of an item cannot be changed.",
        )
    if center_id not in state.cost_centers:
        state.errors.not_found("cost center", doc["CostCenterId"], "CostCenterId")
    own = existing["Id"] if existing else None
    names = (doc["Name"].casefold(), doc["ShortName"].casefold())

    def clashes(item: Doc) -> bool:
        same = item["Name"].casefold() == names[0] or item["ShortName"].casefold() == names[1]
        return bool(item["Id"] != own and same)

    clash = state.cost_center_items.first(clashes, CostCenterId=center_id)
    if clash is not None:
        field = "Name" if clash["Name"].casefold() == names[0] else "ShortName"
        state.errors.conflict("CostCenterItemAlreadyExistsException", ALREADY_EXISTS, field)
    kept = existing or {}
    return complete(
        ITEM,
        {
            **doc,
            "CostCenterId": center_id,
            "Id": kept.get("Id") or state.guids.next(),
            "CreatedUtc": kept.get("CreatedUtc") or state.stamps.next(),
        },
    )


def item_in_center(state: EAccountingState, item_id: str, number: int, field: str) -> Doc:
    """A draft row's CostCenterItemId{number}: an item of cost center `number`."""
    item = state.cost_center_items.get(item_id.lower())
    if item is None:
        state.errors.not_found("cost center item", item_id, field)
    center = state.cost_centers.get(item["CostCenterId"])
    if center is None or center["Number"] != number:
        state.errors.invalid(
            "InvalidCostCenterItemException",
            f"The cost center item {item['Name']} does not belong to cost center {number}.",
            field,
        )
    return item
