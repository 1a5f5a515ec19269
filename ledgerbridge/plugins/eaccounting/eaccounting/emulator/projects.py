"""eAccounting projects: `GET/POST /v2/projects`, `GET/PUT /v2/projects/{id}`.

Bodies are `ProjectApi` [S26]: Number (max 9, unique: "The project number
must be unique"), Name (max 200), Status 1 = Ongoing, 2 = Finished.
`CustomerId` must name a customer; `CustomerName` and `ModifiedUtc` are the
server's. PUT answers 201, as the spec declares. The seed's flows put PM
projects into cost center items, not here; draft rows may still carry a
ProjectId.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.sandbox import App, Request, Response, json_response
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.documents import (
    Doc,
    complete,
    writable,
)
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.listing import list_response
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.state import EAccountingState
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.validation import BodyValidator

SCHEMA = "ProjectApi"
STATUSES = {1: "Ongoing", 2: "Finished"}


def register(app: App, state: EAccountingState, validator: BodyValidator) -> None:
    @app.get("/v2/projects")
    def list_projects(request: Request) -> Response:
        return list_response(request, state, SCHEMA, state.projects.all())

    @app.post("/v2/projects")
    def create_project(request: Request) -> Response:
        body = validator.body(request, SCHEMA)
        return json_response(state.create("projects", lambda: build(state, body)), 201)

    @app.get("/v2/projects/{id}")
    def get_project(request: Request, id: str) -> Response:
        return json_response(require(state, id))

    @app.put("/v2/projects/{id}")
    def replace_project(request: Request, id: str) -> Response:
        body = validator.body(request, SCHEMA)
        project = state.replace("projects", "project", id, lambda old: build(state, body, old))
        return json_response(project, 201)


def require(state: EAccountingState, project_id: str, field: str | None = None) -> Doc:
    return state.require("projects", "project", project_id, field)


def build(state: EAccountingState, body: dict[str, Any], existing: Doc | None = None) -> Doc:
    doc = writable(SCHEMA, body)
    if doc["Status"] not in STATUSES:
        state.errors.invalid(
            "ValidateModelAttributeException", "The field Status must be 1 or 2.", "Status"
        )
    own = existing["Id"] if existing else None
    if state.projects.first(lambda p: p["Number"] == doc["Number"] and p["Id"] != own):
        state.errors.conflict(
            "ProjectNumberAlreadyInUseException",
            f"The project number {doc['Number']} must be unique.",
            "Number",
        )
    customer_name = None
    if doc.get("CustomerId"):
        customer = state.customers.get(str(doc["CustomerId"]).lower())
        if customer is None:
            state.errors.not_found("customer", doc["CustomerId"], "CustomerId")
        doc["CustomerId"], customer_name = customer["Id"], customer["Name"]
    kept = existing or {}
    return complete(
        SCHEMA,
        {
            **doc,
            "Id": kept.get("Id") or state.guids.next(),
            "StartDate": doc.get("StartDate") or kept.get("StartDate") or state.stamps.today(),
            "CustomerName": customer_name,
            "ModifiedUtc": state.stamps.next(),
        },
    )
