"""The eAccounting emulator as one WSGI app.

`build_app(options)` is the sandbox's factory. Settings (`options.settings`,
all optional):

    clients          identity clients (identity.py); default the demo client
    consent          "allow" (default) or "deny": what the consent screen answers
    rate_limit       requests per minute per client and endpoint (default 600)
    rate_window      the window of rate_limit in seconds (default 60; a benchmark
                     scales the vendor's limit in time by shrinking it)
    max_page_size    cap of $pagesize (default 1000)
    strict_fields    refuse properties a schema does not have (default true)
    company          CompanySettingsApi values to change, e.g. {"CountryCode": "NO"}
    cost_centers     [{"Number": 2, "Name": "Projekt", "IsActive": true}] by Number
    customers, articles, cost_center_items, projects
                     bodies created as POST creates them (validated, same rules;
                     an "Id" may be given so other seeds can refer to it)
    supplier_invoices  SupplierInvoiceApi documents (booked supplier invoices)

A seed that breaks a rule fails the build with the vendor's message, so a
test never runs against an emulator in a state the API could not reach.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledgerbridge.core.sandbox import App, EmulatorOptions, HTTPError
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import (
    articles,
    costcenters,
    customers,
    drafts,
    invoices,
    projects,
    reference,
)
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.identity import (
    AUTHORIZE_PATH,
    TOKEN_PATH,
    Identity,
)
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.state import Doc, EAccountingState
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.validation import BodyValidator
from ledgerbridge.plugins.eaccounting.stamps import Guids

NAME = "eaccounting"


class EAccountingApp(App):
    """The emulator app; `state` is the emulated company, `identity` its
    identity server, for tests to inspect and drive."""

    def __init__(self, state: EAccountingState, identity: Identity) -> None:
        super().__init__(NAME, error_body=state.errors.pipeline)
        self.state = state
        self.identity = identity


def build_app(options: EmulatorOptions) -> EAccountingApp:
    settings: dict[str, Any] = options.settings
    state = EAccountingState(
        clock=options.clock,
        guids=Guids(f"{NAME}-{options.seed}"),
        max_page_size=int(settings.get("max_page_size", 1000)),
    )
    validator = BodyValidator(state.errors, strict=bool(settings.get("strict_fields", True)))
    identity = Identity(options, state.errors)
    app = EAccountingApp(state, identity)
    app.use(identity.require_token)
    app.use(identity.rate_limit())
    app.get(AUTHORIZE_PATH)(identity.authorize)
    app.post(TOKEN_PATH)(identity.token)
    reference.register(app, state)
    customers.register(app, state, validator)
    articles.register(app, state, validator)
    costcenters.register(app, state, validator)
    projects.register(app, state, validator)
    drafts.register(app, state, validator)
    invoices.register(app, state, validator)
    seed(state, validator, settings)
    return app


def seed(state: EAccountingState, validator: BodyValidator, settings: dict[str, Any]) -> None:
    """Apply the settings' company changes and seed documents."""
    state.company.update(settings.get("company", {}))
    for change in settings.get("cost_centers", []):
        center = state.cost_centers.first(Number=change["Number"])
        if center is None:
            raise ValueError(f"eaccounting seed: there is no cost center {change['Number']}")
        state.cost_centers.update(center["Id"], change)
    plans: list[tuple[str, str, Callable[[EAccountingState, dict[str, Any]], Doc], str]] = [
        ("customers", "CustomerApi", customers.build, "customers"),
        ("articles", "ArticleApi", articles.build, "articles"),
        ("cost_center_items", "CostCenterItemApi", costcenters.build_item, "cost_center_items"),
        ("projects", "ProjectApi", projects.build, "projects"),
    ]
    for key, schema, build, table in plans:
        for number, body in enumerate(settings.get(key, []), start=1):
            _seed_one(state, validator, f"{key}[{number}]", schema, body, build, table)
    for number, body in enumerate(settings.get("supplier_invoices", []), start=1):
        doc = invoices.build_supplier_invoice(state, body)
        _check(validator, f"supplier_invoices[{number}]", "SupplierInvoiceApi", doc)
        state.supplier_invoices.insert(doc)


def _seed_one(
    state: EAccountingState,
    validator: BodyValidator,
    where: str,
    schema: str,
    body: dict[str, Any],
    build: Callable[[EAccountingState, dict[str, Any]], Doc],
    table: str,
) -> None:
    _check(validator, where, schema, body)
    try:
        doc = build(state, body)
    except HTTPError as exc:
        raise ValueError(f"eaccounting seed {where}: {exc.message}") from None
    if body.get("Id"):
        doc["Id"] = str(body["Id"]).lower()
    state.table(table).insert(doc)


def _check(validator: BodyValidator, where: str, schema: str, body: Any) -> None:
    issues = validator.schemas.validate(schema, body)
    if issues:
        found = "; ".join(f"{i.field or '(body)'}: {i.message}" for i in issues)
        raise ValueError(f"eaccounting seed {where} does not match {schema}: {found}")


def state_of(app: object) -> EAccountingState:
    """The emulated company behind an app built by `build_app`."""
    if not isinstance(app, EAccountingApp):
        raise TypeError(f"not an eAccounting emulator app: {type(app).__name__}")
    return app.state
