"""Shared helpers for the eaccounting plugin tests: sample bodies, emulator
sandboxes and API clients wired to them in-process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.http import MemoryTokenStore
from ledgerbridge.core.redact import Redactor
from ledgerbridge.core.sandbox import Sandbox, SchemaSet
from ledgerbridge.plugins.eaccounting.eaccounting.api import EAccountingApi, build_client
from ledgerbridge.plugins.eaccounting.eaccounting.auth import code_flow
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import testing as ea
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.state import EAccountingState
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.validation import components
from ledgerbridge.plugins.eaccounting.pm import api as pm_api
from ledgerbridge.plugins.eaccounting.pm.auth import SeveraCredentials
from ledgerbridge.plugins.eaccounting.pm.emulator import testing as pm
from ledgerbridge.plugins.eaccounting.pm.emulator.state import SeveraState
from ledgerbridge.plugins.eaccounting.pm.emulator.validation import (
    components as severa_components,
)

EA_SCHEMAS = SchemaSet(components(), dialect="openapi3.1")
SEVERA_SCHEMAS = SchemaSet(severa_components())


def customer(name: str = "Acme AB", **extra: Any) -> dict[str, Any]:
    """A valid CustomerApi body (what the connector would send)."""
    return {
        "Name": name,
        "CustomerNumber": extra.pop("CustomerNumber", None),
        "InvoiceAddress1": "Storgatan 1",
        "InvoicePostalCode": "11122",
        "InvoiceCity": "Stockholm",
        "InvoiceCountryCode": "SE",
        "IsActive": True,
        "IsPrivatePerson": False,
        "TermsOfPaymentId": ea.terms_id(),
        **extra,
    }


def article(number: str = "KONS", name: str = "Konsulttimme", **extra: Any) -> dict[str, Any]:
    return {
        "IsActive": True,
        "Number": number,
        "Name": name,
        "NetPrice": 1000.0,
        "GrossPrice": 1250.0,
        "CodingId": ea.coding_id(),
        "UnitId": ea.unit_id("Timmar"),
        **extra,
    }


def cost_center_item(name: str = "Projekt A", short: str = "1001", **extra: Any) -> dict[str, Any]:
    return {
        "CostCenterId": ea.cost_center_id(2),
        "Name": name,
        "ShortName": short,
        "IsActive": True,
        **extra,
    }


def draft(customer_id: str, *rows: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "CustomerId": customer_id,
        "EuThirdParty": False,
        "RotReducedInvoicingType": 0,
        "Rows": list(rows),
        **extra,
    }


def article_row(
    article_id: str, quantity: float = 1, price: float = 1000, **extra: Any
) -> dict[str, Any]:
    return {
        "IsTextRow": False,
        "ArticleId": article_id,
        "Quantity": quantity,
        "UnitPrice": price,
        "ReversedConstructionServicesVatFree": False,
        **extra,
    }


def text_row(text: str) -> dict[str, Any]:
    return {"IsTextRow": True, "Text": text, "ReversedConstructionServicesVatFree": False}


@dataclass
class EAWorld:
    """An eAccounting emulator and a client signed in to it."""

    sandbox: Sandbox
    state: EAccountingState
    clock: FakeClock
    store: MemoryTokenStore
    redactor: Redactor = field(default_factory=Redactor)
    run_state: dict[str, Any] = field(default_factory=dict)

    def flow(self) -> Any:
        conn = ea.connection(self.sandbox)
        return code_flow(
            conn,
            conn["clientSecret"],
            self.store,
            tenant="acme",
            transport=self.sandbox.transport(),
            clock=self.clock,
            redactor=self.redactor,
        )

    def api(self, auth: Any = None) -> EAccountingApi:
        conn = ea.connection(self.sandbox)
        client = build_client(
            conn["apiBaseUrl"],
            auth or self.flow(),
            tenant="acme",
            clock=self.clock,
            redactor=self.redactor,
            transport=self.sandbox.transport(),
            run_state=self.run_state,
        )
        return EAccountingApi(client)

    def raw(self) -> httpx.Client:
        return ea.api_client(self.sandbox)


def ea_world(settings: dict[str, Any] | None = None, authorized: bool = True) -> EAWorld:
    clock = FakeClock()
    sandbox, state = ea.make_sandbox(clock=clock, settings=settings)
    world = EAWorld(sandbox, state, clock, MemoryTokenStore())
    if authorized:
        flow = world.flow()
        conn = ea.connection(sandbox)
        code = ea.app_of(sandbox).identity.grant(
            conn["clientId"], " ".join(flow.scopes), conn["redirectUri"]
        )
        flow.exchange_code(code)
    return world


@dataclass
class PMWorld:
    """A Severa emulator and a client for it."""

    sandbox: Sandbox
    state: SeveraState
    clock: FakeClock
    redactor: Redactor = field(default_factory=Redactor)
    run_state: dict[str, Any] = field(default_factory=dict)

    def api(self, scope: Any = None) -> pm_api.SeveraApi:
        conn = pm.connection(self.sandbox)
        auth = SeveraCredentials(
            conn["apiBaseUrl"] + "v1/token",
            conn["clientId"],
            conn["clientSecret"],
            scope,
            error_parser=pm_api.parse_severa_error,
        )
        client = pm_api.build_client(
            conn["apiBaseUrl"],
            auth,
            conn["clientId"],
            tenant="acme",
            clock=self.clock,
            redactor=self.redactor,
            transport=self.sandbox.transport(),
            run_state=self.run_state,
        )
        return pm_api.SeveraApi(client)

    def raw(self, scope: str | None = None) -> httpx.Client:
        return pm.api_client(self.sandbox, scope)


def pm_world(settings: dict[str, Any] | None = None) -> PMWorld:
    clock = FakeClock()
    sandbox, state = pm.make_sandbox(clock=clock, settings=settings)
    return PMWorld(sandbox, state, clock)


ACME = "11111111-1111-4111-8111-111111111111"
PROJECT = "22222222-2222-4222-8222-222222222222"
INVOICE = "33333333-3333-4333-8333-333333333333"


def pm_settings(**extra: Any) -> dict[str, Any]:
    """A PM organization with the seed's statuses, one customer, one project
    and one invoice waiting to be transferred."""
    return {
        "invoice_statuses": pm.seed_statuses(),
        "customers": [
            {
                "guid": ACME,
                "name": "Acme AB",
                "number": 1001,
                "vatNumber": "SE556677889901",
                "addresses": [
                    {
                        "addressline": "Storgatan 1",
                        "postalCode": "11122",
                        "city": "Stockholm",
                        "isBillingAddress": True,
                        "country": {"guid": pm.country_guid("SE")},
                    }
                ],
                "contactPersons": [
                    {"firstName": "Anna", "lastName": "Berg", "emails": ["anna@acme.se"]}
                ],
            }
        ],
        "products": [
            {
                "name": "Licens",
                "code": "LIC",
                "vatRate": 25.0,
                "unitPrice": {"amount": 100.0, "currencyCode": "SEK"},
            }
        ],
        "work_types": [{"name": "Konsult", "code": "KONS"}],
        "travel_expense_types": [
            {
                "name": "Milersättning",
                "code": "MIL",
                "expenseClass": "Mileage",
                "unitCost": {"amount": 2.5, "currencyCode": "SEK"},
            }
        ],
        "projects": [
            {"guid": PROJECT, "name": "Projekt A", "number": 42, "customer": {"guid": ACME}}
        ],
        "invoices": [
            {
                "guid": INVOICE,
                "statusName": pm.TO_TRANSFER,
                "customer": {"guid": ACME},
                "projects": [{"guid": PROJECT}],
                "rows": [
                    {"description": "Konsult", "quantity": 10, "unitPrice": 1000, "code": ["KONS"]}
                ],
            }
        ],
        **extra,
    }
