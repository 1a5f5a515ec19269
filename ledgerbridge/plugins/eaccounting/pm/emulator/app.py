"""The Severa (Visma PM) emulator as one WSGI app, REST API under /rest-api/v1.

`build_app(options)` is the sandbox's factory. Settings (`options.settings`,
all optional):

    clients            API clients (auth.py); default the demo client
    rate_limit         requests per second per client (default 10)
    rate_window        the window of rate_limit in seconds (default 1; a benchmark
                       scales the vendor's limit in time by shrinking it)
    strict_fields      refuse properties a model does not have (default true)
    multi_currency     the Currencies add-on ("Valutor") is on (default false)
    invoice_statuses, products, work_types, travel_expense_types
                       bodies created as POST creates them
    customers          CustomerModel bodies, each with optional "addresses"
                       (AddressModel) and "contactPersons" (ContactModel)
    projects           ProjectOutputModel-like documents ("customer": {"guid"})
    invoices           invoices with "rows"; the status by "status": {"guid"}
                       or "statusName"

Seeds see seeding.py.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.sandbox import App, EmulatorOptions
from ledgerbridge.plugins.eaccounting.pm.emulator import catalog, customers, invoices, projects
from ledgerbridge.plugins.eaccounting.pm.emulator.auth import REFRESH_PATH, TOKEN_PATH, SeveraAuth
from ledgerbridge.plugins.eaccounting.pm.emulator.errors import no_body_404, pipeline
from ledgerbridge.plugins.eaccounting.pm.emulator.seeding import seed
from ledgerbridge.plugins.eaccounting.pm.emulator.state import SeveraState
from ledgerbridge.plugins.eaccounting.pm.emulator.validation import BodyValidator
from ledgerbridge.plugins.eaccounting.stamps import Guids

NAME = "severa"
# Scope area of each path (the operation's tag; INFERENCE, see auth.py), longest first.
AREAS = [
    ("/rest-api/v1/customers", "customers"),
    ("/rest-api/v1/addresses", "customers"),
    ("/rest-api/v1/contactpersons", "customers"),
    ("/rest-api/v1/projectfees", "fees"),
    ("/rest-api/v1/projects", "projects"),
    ("/rest-api/v1/invoicestatuses", "settings"),
    ("/rest-api/v1/invoices", "invoices"),
    ("/rest-api/v1/", "settings"),
]


class SeveraApp(App):
    """The emulator app; `state` is the emulated organization, `auth` its
    token issuer, for tests to inspect and drive."""

    def __init__(self, state: SeveraState, auth: SeveraAuth) -> None:
        super().__init__(NAME, error_body=pipeline)
        self.state = state
        self.auth = auth


def build_app(options: EmulatorOptions) -> SeveraApp:
    settings: dict[str, Any] = options.settings
    state = SeveraState(
        clock=options.clock,
        guids=Guids(f"{NAME}-{options.seed}"),
        multi_currency=bool(settings.get("multi_currency", False)),
    )
    validator = BodyValidator(strict=bool(settings.get("strict_fields", True)))
    auth = SeveraAuth(options, validator)
    auth.areas = AREAS
    app = SeveraApp(state, auth)
    app.use(auth.require_token)
    app.use(auth.rate_limit())
    app.use(no_body_404)
    app.post(TOKEN_PATH)(auth.token)
    app.post(REFRESH_PATH)(auth.refresh)
    customers.register(app, state, validator)
    catalog.register(app, state, validator)
    projects.register(app, state, validator)
    invoices.register(app, state, validator)
    seed(state, validator, settings)
    return app


def state_of(app: object) -> SeveraState:
    """The emulated organization behind an app built by `build_app`."""
    if not isinstance(app, SeveraApp):
        raise TypeError(f"not a Severa emulator app: {type(app).__name__}")
    return app.state
