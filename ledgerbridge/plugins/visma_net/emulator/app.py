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
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.sandbox import App, EmulatorOptions
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
from ledgerbridge.plugins.visma_net.emulator.errors import ErrorFactory, pipeline_error
from ledgerbridge.plugins.visma_net.emulator.seed_data import master_data
from ledgerbridge.plugins.visma_net.emulator.state import VismaState
from ledgerbridge.plugins.visma_net.emulator.validation import BodyValidator

NUMBERING = {"customer": 10001, "invoice": 100001, "credit_note": 500001, "journal_transaction": 1}


class VismaNetApp(App):
    """The emulator app; `state` is the emulated company, for tests to inspect."""

    def __init__(self, state: VismaState, connect: VismaConnect) -> None:
        super().__init__("visma_net", error_body=pipeline_error)
        self.state = state
        self.connect = connect
        self.stock: stock.StockState | None = None


def build_state(options: EmulatorOptions) -> VismaState:
    """The company a fresh emulator starts with, settings applied."""
    settings: dict[str, Any] = options.settings
    state = VismaState(
        clock=options.clock,
        master=master_data(settings),
        errors=ErrorFactory(options.seed),
        seed=options.seed,
        max_page_size=int(settings.get("max_page_size", 1000)),
        manual_numbering=bool(settings.get("manual_numbering", False)),
    )
    state.configure_numbering({**NUMBERING, **settings.get("numbering", {})})
    customers.seed_customers(state, list(settings.get("customers", [])))
    inventory.seed_inventory(state, list(settings.get("inventory", [])))
    return state


def build_app(options: EmulatorOptions) -> VismaNetApp:
    """The sandbox's factory for the Visma.net emulator."""
    state = build_state(options)
    connect = VismaConnect(options)
    validator = BodyValidator(strict=bool(options.settings.get("strict_fields", True)))
    app = VismaNetApp(state, connect)
    app.use(connect.require_token)
    app.use(connect.rate_limit())
    app.post(TOKEN_PATH)(connect.token)
    glmaster.register(app, state.master, state.errors.not_found)
    masterdata.register(app, state)  # before /v1/customer/{customerCd}: customerClass
    customers.register(app, state, validator)
    sales.register(app, state, validator)
    ledger.register(app, state, validator)
    inventory.register(app, state, validator)
    app.stock = stock.register(app, state, options.settings)  # inventory issues, barcodes
    return app


def state_of(app: object) -> VismaState:
    """The emulated company behind an app built by `build_app`."""
    if not isinstance(app, VismaNetApp):
        raise TypeError(f"not a Visma.net emulator app: {type(app).__name__}")
    return app.state
