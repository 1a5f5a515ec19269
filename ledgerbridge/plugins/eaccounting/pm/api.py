"""The Visma PM (Severa) REST API, as the connector uses it.

`SeveraApi.for_run(ctx, settings)` gives the run's one client (kept in
`ctx.state`). It speaks Severa's REST API v1 [SEV]: a client-credentials
token plus the `client_id` header on every call, camelCase models, lists as
JSON arrays paged by `pageToken` (next token in the `NextPageToken` header)
or by `firstRow` (settings lists), `changedSince` deltas, JSON-Patch
updates, errors as `ExceptionModel` parsed into `ApiError`s, and at most 10
requests a second: the budget spaces requests 110 ms apart, so no second
ever holds more than ten, whatever the server's window alignment.

Settings (a mapping the connector's config carries):

    clientId, clientSecret ({"secret": NAME})
    apiBaseUrl   default https://api.severa.visma.com/rest-api/
    scopes       default SCOPES
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

import httpx

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.http import (
    ApiClient,
    ApiError,
    Auth,
    FieldError,
    FixedWindowBudget,
    RateBudgets,
    RetryPolicy,
    VendorError,
    iter_continuation,
    path_segment,
)
from ledgerbridge.core.redact import Redactor
from ledgerbridge.plugins.eaccounting.pm.auth import SeveraCredentials

DEFAULT_API = "https://api.severa.visma.com/rest-api/"
STATE_KEY = "eaccounting.pm.api"
SCOPES = (
    "customers:read", "customers:write", "settings:read", "settings:write",
    "projects:read", "invoices:read", "invoices:write", "fees:read", "fees:write",
)  # fmt: skip
PACE = 0.11  # one request per 110 ms: never more than 10 in any second
ROWS = 100  # the maximum rowCount


def parse_severa_error(response: httpx.Response) -> VendorError | None:
    """ExceptionModel `{error: {httpStatusCode, type, details: [{message, location}]}}`."""
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    fields = tuple(
        FieldError(field=(d.get("location") or {}).get("name"), message=str(d.get("message") or ""))
        for d in details
        if d.get("location")
    )
    messages = [str(d["message"]) for d in details if d.get("message")]
    kind = error.get("type")
    return VendorError(
        message="; ".join(messages) or str(kind or response.reason_phrase),
        code=str(kind) if kind else None,
        field_errors=fields,
    )


def replace(path: str, value: Any) -> dict[str, Any]:
    """A JSON-Patch Replace, the value written as the spec types it (a string)."""
    text = value if value is None or isinstance(value, str) else _text(value)
    return {"op": "Replace", "path": path, "value": text}


def add(path: str, value: Any) -> dict[str, Any]:
    text = value if value is None or isinstance(value, str) else _text(value)
    return {"op": "Add", "path": path, "value": text}


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class SeveraApi:
    """Thin calls over one `ApiClient`; errors stay `ApiError`s."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    @classmethod
    def for_run(cls, ctx: RunContext, settings: Mapping[str, Any]) -> SeveraApi:
        api = ctx.state.get(STATE_KEY)
        if isinstance(api, SeveraApi):
            return api
        base = str(settings.get("apiBaseUrl") or DEFAULT_API).rstrip("/") + "/"
        auth = SeveraCredentials(
            base + "v1/token",
            str(settings["clientId"]),
            ctx.secrets.resolve(settings["clientSecret"]),
            list(settings.get("scopes") or SCOPES),
            error_parser=parse_severa_error,
        )
        client = build_client(
            base,
            auth,
            str(settings["clientId"]),
            tenant=ctx.tenant,
            clock=ctx.clock,
            redactor=ctx.redactor,
            transport=ctx.transport,
            run_state=ctx.state,
        )
        api = ctx.state[STATE_KEY] = cls(client)
        return api

    # -- generic ----------------------------------------------------------------------

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """A pageToken list, page by page as it is used up."""
        query = {"rowCount": ROWS, **_clean(params)}
        return iter_continuation(
            self.client, path, params=query, items=None, token_key=None,
            token_header="NextPageToken", token_param="pageToken",
        )  # fmt: skip

    def rows(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """A firstRow/rowCount list (settings lists), until a short page."""
        first = 0
        while True:
            query = {**_clean(params), "firstRow": first, "rowCount": ROWS}
            page = self.client.get_json(path, params=query)
            if not isinstance(page, list):
                raise ApiError(api="severa", method="GET", url=path, status=200,
                               message="the answer is not a list")  # fmt: skip
            yield from page
            if len(page) < ROWS:
                return
            first += len(page)

    def get(self, path: str) -> dict[str, Any] | None:
        found = self.client.get_json_or_none(path)
        return None if found is None else dict(found)

    def create(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return _one(self.client.post_json(path, dict(body)))

    def patch(self, path: str, operations: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        """Apply JSON-Patch operations; the updated model (answered as a list)."""
        response = self.client.request("PATCH", path, json=[dict(o) for o in operations])
        return _one(self.client.parse_json(response))

    # -- customers -------------------------------------------------------------------------

    def customers(
        self, changed_since: str | None = None, is_active: bool | None = None
    ) -> Iterator[dict[str, Any]]:
        return self.pages("v1/customers", {"changedSince": changed_since, "isActive": is_active})

    def get_customer(self, guid: str) -> dict[str, Any] | None:
        return self.get(f"v1/customers/{path_segment(guid)}")

    def create_customer(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.create("v1/customers", body)

    def patch_customer(self, guid: str, operations: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        return self.patch(f"v1/customers/{path_segment(guid)}", operations)

    def customer_addresses(self, guid: str) -> list[dict[str, Any]]:
        return list(self.rows(f"v1/customers/{path_segment(guid)}/addresses"))

    def create_address(self, customer_guid: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.create(f"v1/customers/{path_segment(customer_guid)}/addresses", body)

    def patch_address(self, guid: str, operations: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        return self.patch(f"v1/addresses/{path_segment(guid)}", operations)

    def addresses(self, changed_since: str | None = None) -> Iterator[dict[str, Any]]:
        return self.rows("v1/addresses", {"changedSince": changed_since})

    def customer_contacts(self, guid: str) -> list[dict[str, Any]]:
        return list(self.rows(f"v1/customers/{path_segment(guid)}/contactpersons"))

    def contacts(self, changed_since: str | None = None) -> Iterator[dict[str, Any]]:
        return self.rows("v1/contactpersons", {"changedSince": changed_since})

    def create_contact(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.create("v1/contactpersons", body)

    def patch_contact(self, guid: str, operations: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        return self.patch(f"v1/contactpersons/{path_segment(guid)}", operations)

    # -- products, work types, travel expense types ----------------------------------------------

    def products(self, changed_since: str | None = None) -> Iterator[dict[str, Any]]:
        return self.pages("v1/products", {"changedSince": changed_since})

    def work_types(self, changed_since: str | None = None) -> Iterator[dict[str, Any]]:
        return self.rows("v1/worktypes", {"changedSince": changed_since})

    def travel_expense_types(self, changed_since: str | None = None) -> Iterator[dict[str, Any]]:
        return self.rows("v1/travelexpensetypes", {"changedSince": changed_since})

    def create_product(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.create("v1/products", body)

    def create_work_type(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.create("v1/worktypes", body)

    def create_travel_expense_type(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.create("v1/travelexpensetypes", body)

    def patch_product(self, guid: str, operations: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        return self.patch(f"v1/products/{path_segment(guid)}", operations)

    def patch_work_type(self, guid: str, operations: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        return self.patch(f"v1/worktypes/{path_segment(guid)}", operations)

    def patch_travel_expense_type(
        self, guid: str, operations: Iterable[Mapping[str, Any]]
    ) -> dict[str, Any]:
        return self.patch(f"v1/travelexpensetypes/{path_segment(guid)}", operations)

    # -- projects, invoices, fees ---------------------------------------------------------------

    def projects(
        self, changed_since: str | None = None, is_closed: bool | None = None
    ) -> Iterator[dict[str, Any]]:
        return self.pages("v1/projects", {"changedSince": changed_since, "isClosed": is_closed})

    def get_project(self, guid: str) -> dict[str, Any] | None:
        return self.get(f"v1/projects/{path_segment(guid)}")

    def invoice_statuses(self) -> list[dict[str, Any]]:
        return list(self.rows("v1/invoicestatuses"))

    def invoices(
        self, status_guids: Iterable[str] = (), changed_since: str | None = None
    ) -> Iterator[dict[str, Any]]:
        params = {"invoiceStatusGuids": list(status_guids) or None, "changedSince": changed_since}
        return self.pages("v1/invoices", params)

    def get_invoice(self, guid: str) -> dict[str, Any] | None:
        return self.get(f"v1/invoices/{path_segment(guid)}")

    def invoice_rows(self, guid: str) -> list[dict[str, Any]]:
        return list(self.pages(f"v1/invoices/{path_segment(guid)}/invoicerows"))

    def set_invoice_status(
        self, guid: str, status_guid: str, number: int | None = None
    ) -> dict[str, Any]:
        """The seed's status back: the PM status, and eAccounting's invoice number."""
        operations = [replace("/status/guid", status_guid)]
        if number is not None:
            operations.append(replace("/number", number))
        return self.patch(f"v1/invoices/{path_segment(guid)}", operations)

    def create_project_fee(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.create("v1/projectfees", body)

    def project_fees(self, changed_since: str | None = None) -> Iterator[dict[str, Any]]:
        return self.pages("v1/projectfees", {"changedSince": changed_since})

    def fees_of_project(self, project_guid: str) -> Iterator[dict[str, Any]]:
        return self.pages(f"v1/projects/{path_segment(project_guid)}/projectfees")

    def projects_numbered(self, number: int) -> list[dict[str, Any]]:
        return list(self.pages("v1/projects", {"numbers": number}))

    # -- reference data ---------------------------------------------------------------------------

    def vat_rates(self) -> list[dict[str, Any]]:
        return list(self.client.get_json("v1/vatrates", params={"active": "true"}))

    def currencies(self, active: bool | None = None) -> list[dict[str, Any]]:
        return list(self.rows("v1/currencies", {"active": active}))

    def countries(self) -> list[dict[str, Any]]:
        return list(self.client.get_json("v1/localization/countries"))


def build_client(
    base_url: str,
    auth: Auth,
    client_id: str,
    *,
    tenant: str,
    clock: Clock,
    redactor: Redactor,
    transport: httpx.BaseTransport | None = None,
    run_state: MutableMapping[str, Any] | None = None,
) -> ApiClient:
    """An ApiClient for Severa: the `client_id` header, one paced budget per
    tenant (shared through `run_state`), the ExceptionModel parser."""
    budget = RateBudgets.of(run_state if run_state is not None else {}).get(
        tenant, "severa", lambda: FixedWindowBudget(1, PACE, clock, name="Visma PM")
    )
    return ApiClient(
        base_url.rstrip("/") + "/",
        name="severa",
        auth=auth,
        transport=transport,
        clock=clock,
        redactor=redactor,
        retry=RetryPolicy(max_attempts=5),
        rate_budget=budget,
        error_parser=parse_severa_error,
        headers={"client_id": client_id},
    )


def _one(body: Any) -> dict[str, Any]:
    """Severa answers some writes with a one-element list (per its spec)."""
    if isinstance(body, list) and len(body) == 1 and isinstance(body[0], dict):
        return dict(body[0])
    if isinstance(body, dict):
        return dict(body)
    raise ApiError(api="severa", method="-", url="-", status=200, message="unexpected answer shape")


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return out
