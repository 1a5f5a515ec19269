"""Projects (read) and project fees, PM's supplier costs [SEV, tags Projects, Fees].

    GET /v1/projects               pageToken paging; changedSince, isClosed, customerGuids, numbers
    GET /v1/projects/{guid}
    GET/POST /v1/projectfees       GET: changedSince; POST answers 201 with an array (the spec)
    GET /v1/projectfees/{guid},  GET /v1/projects/{projectGuid}/projectfees

Projects are made by PM users, so the emulator takes them from seeds
(settings["projects"]) and does not create them. A fee's project must exist,
and its product when one is given; the fee is answered with the project's
customer.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.sandbox import App, Request, Response, json_response
from ledgerbridge.plugins.eaccounting.pm.emulator.errors import invalid
from ledgerbridge.plugins.eaccounting.pm.emulator.listing import (
    changed_since,
    flag,
    select,
    token_page,
    values,
)
from ledgerbridge.plugins.eaccounting.pm.emulator.state import Doc, SeveraState
from ledgerbridge.plugins.eaccounting.pm.emulator.validation import BodyValidator

BASE = "/rest-api/v1"


def register(app: App, state: SeveraState, validator: BodyValidator) -> None:
    @app.get(BASE + "/projects")
    def list_projects(request: Request) -> Response:
        customers = {g.lower() for g in values(request, "customerGuids")}
        numbers = {int(n) for n in values(request, "numbers") if n.isdigit()}
        docs = select(
            state.projects.all(),
            changed_since(request),
            flag(request, "isClosed", "isClosed"),
            (lambda p: (p.get("customer") or {}).get("guid") in customers) if customers else None,
            (lambda p: p.get("number") in numbers) if values(request, "numbers") else None,
        )
        return token_page(request, docs)

    @app.get(BASE + "/projects/{guid}")
    def get_project(request: Request, guid: str) -> Response:
        return json_response(state.require("projects", guid))

    @app.get(BASE + "/projects/{projectGuid}/projectfees")
    def project_fees(request: Request, projectGuid: str) -> Response:
        project = state.require("projects", projectGuid)
        docs = select(
            state.project_fees.find(lambda f: f["project"]["guid"] == project["guid"]),
            flag(request, "isBillable", "isBillable"),
        )
        return token_page(request, docs)

    @app.get(BASE + "/projectfees")
    def list_fees(request: Request) -> Response:
        return token_page(request, select(state.project_fees.all(), changed_since(request)))

    @app.post(BASE + "/projectfees")
    def create_fee(request: Request) -> Response:
        body = validator.body(request, "ProjectFeeInputModel")
        return json_response([state.create("project_fees", lambda: build_fee(state, body))], 201)

    @app.get(BASE + "/projectfees/{guid}")
    def get_fee(request: Request, guid: str) -> Response:
        return json_response(state.require("project_fees", guid))


def build_fee(state: SeveraState, body: dict[str, Any]) -> Doc:
    project = state.projects.get(str(body["project"]["guid"]).lower())
    if project is None:
        invalid("The project does not exist.", "project.guid")
    product = None
    if body.get("product") and body["product"].get("guid"):
        found = state.products.get(str(body["product"]["guid"]).lower())
        if found is None:
            invalid("The product does not exist.", "product.guid")
        product = {"guid": found["guid"], "name": found["name"]}
    customer = project.get("customer") or {}
    return {
        "quantity": 1,
        "isBillable": True,
        "hasVolumePricing": False,
        **body,
        "project": {"guid": project["guid"], "name": project["name"], "companyGuid": None},
        "customer": {"guid": customer.get("guid"), "name": customer.get("name")},
        "product": product,
        "invoice": None,
        "invoiceRowGuid": None,
        "isRecurrenceRule": False,
    }
