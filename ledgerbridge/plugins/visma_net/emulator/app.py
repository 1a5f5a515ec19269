"""The Visma.net ERP emulator as one WSGI app.

`build_app(options)` is the factory the sandbox calls. Settings
(`options.settings`, all optional):

    clients           Visma Connect clients (see auth.py); default the demo client
    rate_limit        requests per company+client and hour (default 15000)
    rate_window       the window's length in seconds (default 3600; shorter for
                      benchmarks on a real clock)
    max_page_size     page size cap of list endpoints (default 1000)
    manual_numbering  use a sent referenceNumber even without overrideNumberSeries
    strict_fields     refuse properties a DTO does not have (default true)
    numbering         first numbers: {"customer": 10001, "invoice": 100001,
                      "credit_note": 500001, "journal_transaction": 1}
    master_data, without, customers, inventory   see seed_data.py
    warehouses        the warehouses stock may move in (see stock.py)
    companies         per tenant id, seed keys that differ from the above
                      (see companies.py)

Each tenant id a client may act for is a company of its own, as in
Visma.net: its own customers, documents, numbering, journal transactions,
inventory and master data, seeded from these settings when first used. A
token acts in the company of its tenant id and sees nothing of the others.
`state_of(app)` is the default company (the first client's first tenant),
`state_of(app, tenant_id)` any other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from ledgerbridge.core.sandbox import App, EmulatorOptions, Request, Response
from ledgerbridge.plugins.visma_net.emulator import (
    customers,
    glmaster,
    inventory,
    ledger,
    masterdata,
    sales,
    stock,
)
from ledgerbridge.plugins.visma_net.emulator.auth import TOKEN_PATH, VismaConnect
from ledgerbridge.plugins.visma_net.emulator.companies import Companies, Company
from ledgerbridge.plugins.visma_net.emulator.errors import ErrorFactory, pipeline_error
from ledgerbridge.plugins.visma_net.emulator.seed_data import master_data
from ledgerbridge.plugins.visma_net.emulator.state import VismaState
from ledgerbridge.plugins.visma_net.emulator.validation import BodyValidator

NUMBERING = {"customer": 10001, "invoice": 100001, "credit_note": 500001, "journal_transaction": 1}


class VismaNetApp(App):
    """The emulator app: Visma Connect in front, one `Company` per tenant id
    behind it. `state` and `stock` are the default company's, for tests."""

    def __init__(self, options: EmulatorOptions, connect: VismaConnect) -> None:
        super().__init__("visma_net", error_body=pipeline_error)
        self.connect = connect
        self.companies = Companies(options.settings, partial(build_company, options))

    @property
    def state(self) -> VismaState:
        return self.companies.get(self.companies.default).state

    @property
    def stock(self) -> stock.StockState:
        return self.companies.get(self.companies.default).stock

    def to_company(self, request: Request, call_next: Callable[[Request], Response]) -> Response:
        """The last middleware: an API call is served by its token's company."""
        if request.path.lower().rstrip("/") == TOKEN_PATH:
            return call_next(request)
        token = request.context.get("token")
        tenant = token.extra.get("tenant_id") if token is not None else None
        return self.companies.get(tenant or self.companies.default).routes.handle(request)


def build_state(
    options: EmulatorOptions, settings: Mapping[str, Any] | None = None, company: str = ""
) -> VismaState:
    """A company as a fresh emulator starts it, settings applied; `company`
    (a tenant id) makes its GUIDs its own."""
    settings = options.settings if settings is None else settings
    state = VismaState(
        clock=options.clock,
        master=master_data(settings),
        errors=ErrorFactory(options.seed),
        seed=options.seed,
        max_page_size=int(settings.get("max_page_size", 1000)),
        manual_numbering=bool(settings.get("manual_numbering", False)),
        company=company,
    )
    state.configure_numbering({**NUMBERING, **settings.get("numbering", {})})
    customers.seed_customers(state, list(settings.get("customers", [])))
    inventory.seed_inventory(state, list(settings.get("inventory", [])))
    return state


def build_company(
    options: EmulatorOptions, tenant_id: str, settings: Mapping[str, Any], default: bool
) -> Company:
    """A company's state and the API routes bound to it. The default company
    keeps the GUIDs a one-company emulator made, so seeded runs stay as they were."""
    state = build_state(options, settings, "" if default else tenant_id)
    validator = BodyValidator(strict=bool(settings.get("strict_fields", True)))
    routes = App("visma_net", error_body=pipeline_error)
    glmaster.register(routes, state.master, state.errors.not_found)
    masterdata.register(routes, state)  # before /v1/customer/{customerCd}: customerClass
    customers.register(routes, state, validator)
    sales.register(routes, state, validator)
    ledger.register(routes, state, validator)
    inventory.register(routes, state, validator)
    stocked = stock.register(routes, state, settings)  # inventory issues, barcodes
    return Company(tenant_id, state, routes, stocked)


def build_app(options: EmulatorOptions) -> VismaNetApp:
    """The sandbox's factory for the Visma.net emulator."""
    connect = VismaConnect(options)
    app = VismaNetApp(options, connect)
    app.use(connect.require_token)
    app.use(connect.rate_limit())
    app.use(app.to_company)
    app.post(TOKEN_PATH)(connect.token)
    return app


def state_of(app: object, tenant_id: str | None = None) -> VismaState:
    """The emulated company behind an app built by `build_app`: the default
    one, or the company of `tenant_id` (built now if no call has used it)."""
    if not isinstance(app, VismaNetApp):
        raise TypeError(f"not a Visma.net emulator app: {type(app).__name__}")
    if tenant_id is None:
        return app.state
    return app.companies.get(tenant_id).state
