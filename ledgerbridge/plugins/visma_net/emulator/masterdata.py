"""Master-data endpoints: what a connector checks its references against.

Each list answers as its DTO (VatInformationDto, AccountDto, ...) and pages
with pageNumber/pageSize. Credit terms answer the spec's
BasePaginationDtoOfCreditTermDto (`{pageNumber, pageSize, totalCount,
records}`); accounts and subaccounts carry `metadata` on each item; the
dimension list is a list of dimension ids, as in the spec.
"""

from __future__ import annotations

from collections.abc import Callable

from ledgerbridge.core.sandbox import App, Request, Response, json_response
from ledgerbridge.plugins.visma_net.emulator.listing import list_response, pagination_dto
from ledgerbridge.plugins.visma_net.emulator.state import VismaState

# path -> (master-data list, item metadata, the label in "not found" messages)
LISTS: dict[str, tuple[str, bool, str]] = {
    "/v1/vat": ("vat", False, "VAT"),
    "/v1/account": ("accounts", True, "Account"),
    "/v1/currency": ("currencies", False, "Currency"),
    "/v1/branch": ("branches", False, "Branch"),
    "/v1/customer/customerClass": ("customer_classes", False, "Customer class"),
    "/v1/paymentmethod": ("payment_methods", False, "Payment method"),
    "/v1/financialPeriod": ("financial_periods", False, "Financial period"),
    "/v1/subaccount": ("subaccounts", True, "Subaccount"),
    "/v1/ledger": ("ledgers", False, "Ledger"),
}

# path of one record -> list name (the path parameter is always {key})
ONE: dict[str, str] = {
    "/v1/vat/{key}": "vat",
    "/v1/account/{key}": "accounts",
    "/v1/currency/{key}": "currencies",
    "/v1/branch/{key}": "branches",
    "/v1/customer/customerClass/{key}": "customer_classes",
    "/v1/paymentmethod/{key}": "payment_methods",
    "/v1/financialPeriod/{key}": "financial_periods",
    "/v1/subaccount/{key}": "subaccounts",
    "/v1/dimension/{key}": "dimensions",
    "/v1/ledger/{key}": "ledgers",
}


def register(app: App, state: VismaState) -> None:
    """Add the master-data routes to `app`."""
    for path, (kind, metadata, _label) in LISTS.items():
        app.get(path)(_lister(state, kind, metadata))
    for path, kind in ONE.items():
        app.get(path)(_getter(state, kind))

    @app.get("/v1/creditTerm")
    def credit_terms(request: Request) -> Response:
        records = list(state.master["credit_terms"].values())
        return pagination_dto(records, request.query, state.max_page_size)

    @app.get("/v1/dimension")
    def dimensions(request: Request) -> Response:
        return json_response(list(state.master["dimensions"]))


def _lister(state: VismaState, kind: str, metadata: bool) -> Callable[[Request], Response]:
    def list_records(request: Request) -> Response:
        records = list(state.master[kind].values())
        return list_response(records, request.query, state.max_page_size, metadata=metadata)

    list_records.__name__ = f"list_{kind}"
    return list_records


def _getter(state: VismaState, kind: str) -> Callable[..., Response]:
    label = next((lbl for k, _, lbl in LISTS.values() if k == kind), "Dimension")

    def get_record(request: Request, key: str) -> Response:
        record = state.record(kind, key)
        if record is None:
            state.errors.not_found(f"{label} {key} was not found.")
        return json_response(record)

    get_record.__name__ = f"get_{kind}"
    return get_record
