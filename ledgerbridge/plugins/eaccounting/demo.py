"""`ledgerbridge demo` for eaccounting: a two-way sync between the emulated
Visma PM and Visma eAccounting with the masters the seed calls usual (PM for
customers, eAccounting for products).

Yesterday's first sync moves customers and articles both ways and the
projects into the cost center. Then users change both systems: a PM customer
moves (PM is the master: it reaches eAccounting), an eAccounting article's
price goes up (eAccounting is the master: it reaches PM), an eAccounting
user changes a customer's city (a *conflict*: reported, not sent) and a PM
user adds a product without VAT (the seed's CodingId error). The fix is the
operator's: the city change is undone in eAccounting and made in PM, the
product gets its VAT rate; the failed records are replayed to green and the
next run carries the city over from PM.

The emulators are seeded through their own seed paths and changed through
their APIs, as a user's UI would; eAccounting's sign-in (normally
`ledgerbridge auth`) is the emulator's consent, its tokens stored as `auth`
stores them.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ledgerbridge.core.components import DemoFix, DemoSetup, DemoStep
from ledgerbridge.core.http import MemoryTokenStore
from ledgerbridge.core.sandbox import Sandbox
from ledgerbridge.core.tokenstore import connection_secret
from ledgerbridge.plugins.eaccounting.eaccounting.auth import code_flow
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import app as ea_app
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import testing as ea
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.validation import BodyValidator
from ledgerbridge.plugins.eaccounting.pm.emulator import seeding
from ledgerbridge.plugins.eaccounting.pm.emulator import testing as pm
from ledgerbridge.plugins.eaccounting.pm.emulator.validation import (
    BodyValidator as PmValidator,
)

TENANT = "demo-eaccounting"
PM_SECRET, EA_SECRET = "pm_client_secret", "ea_client_secret"
TOKENS = connection_secret("ea")  # where `ledgerbridge auth` keeps the connection's tokens
CUSTOMER_GUIDS = ("d0000000-0000-4000-8000-000000000001", "d0000000-0000-4000-8000-000000000002")


def _customer(
    guid: str,
    number: int,
    name: str,
    street: str,
    zip_: str,
    city: str,
    contact: tuple[str, str, str],
) -> dict[str, Any]:
    return {
        "guid": guid,
        "name": name,
        "number": number,
        "paymentTerm": 30,
        "addresses": [
            {
                "addressline": street,
                "postalCode": zip_,
                "city": city,
                "isBillingAddress": True,
                "country": {"guid": pm.country_guid("SE")},
            },
        ],
        "contactPersons": [
            {"firstName": contact[0], "lastName": contact[1], "emails": [contact[2]]},
        ],
    }


PM_SEED: dict[str, Any] = {
    "customers": [
        _customer(
            CUSTOMER_GUIDS[0],
            1001,
            "Åkeri Öst AB",
            "Hamngatan 4",
            "41104",
            "Göteborg",
            ("Eva", "Lind", "eva@akeri-ost.se"),
        ),
        _customer(
            CUSTOMER_GUIDS[1],
            1002,
            "Bygg & Montage AB",
            "Kungsgatan 12",
            "75321",
            "Uppsala",
            ("Per", "Ek", "per@byggmontage.se"),
        ),
    ],
    "products": [
        {
            "name": "Konsulttimme",
            "code": "KONS",
            "vatRate": 25,
            "measurementUnit": "h",
            "unitPrice": {"amount": 950, "currencyCode": "SEK"},
        },
    ],
    "work_types": [{"name": "Projektarbete", "code": "ARB"}],
    "travel_expense_types": [
        {
            "name": "Milersättning",
            "code": "MIL",
            "expenseClass": "Mileage",
            "vatRate": 25,
            "unitCost": {"amount": 25, "currencyCode": "SEK"},
        },
    ],
    "projects": [
        {"name": "Flytt Stockholm", "number": 1001, "customer": {"guid": CUSTOMER_GUIDS[0]}},
        {
            "name": "Lagerbygge Uppsala",
            "number": 1002,
            "isClosed": True,
            "customer": {"guid": CUSTOMER_GUIDS[1]},
        },
    ],
}

EA_SEED: dict[str, Any] = {
    "customers": [
        {
            "CustomerNumber": "2001",
            "Name": "Café Norrsken AB",
            "InvoiceAddress1": "Storgatan 7",
            "InvoicePostalCode": "97231",
            "InvoiceCity": "Luleå",
            "InvoiceCountryCode": "SE",
            "ContactPersonName": "Sara Nilsson",
            "IsActive": True,
            "IsPrivatePerson": False,
            "TermsOfPaymentId": ea.terms_id("30 dagar"),
            "CurrencyCode": "SEK",
        },
    ],
    "articles": [
        {
            "Number": "LIC",
            "Name": "Licens projektverktyg",
            "IsActive": True,
            "NetPrice": 1200,
            "GrossPrice": 1500,
            "CodingId": ea.coding_id("Tjänster 25% moms"),
            "UnitId": ea.unit_id("Styck"),
        },
    ],
}


class Users:
    """The people at the two companies, working in their systems' UIs (here:
    the emulators' APIs, with their own sign-ins)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def _send(self, api: httpx.Client, method: str, url: str, **kwargs: Any) -> Any:
        """A user's request; a person slows down when the API says 429 (it
        counts their requests with the connector's: one client id)."""
        for _ in range(20):
            response = api.request(method, url, **kwargs)
            if response.status_code != 429:
                response.raise_for_status()
                return response.json()
            self.sandbox.clock.sleep(float(response.headers.get("Retry-After") or 0.25))
        response.raise_for_status()
        return response.json()

    def _pm(self) -> httpx.Client:
        return pm.api_client(self.sandbox)

    def _ea(self) -> httpx.Client:
        return ea.api_client(self.sandbox)

    def move_pm_customer(self, guid: str, street: str, zip_: str, city: str) -> None:
        with self._pm() as api:
            addresses = self._send(api, "GET", f"/rest-api/v1/customers/{guid}/addresses")
            (address,) = [a for a in addresses if a["isBillingAddress"]]
            ops = [
                {"op": "Replace", "path": f"/{k}", "value": v}
                for k, v in (("addressline", street), ("postalCode", zip_), ("city", city))
            ]
            self._send(api, "PATCH", f"/rest-api/v1/addresses/{address['guid']}", json=ops)

    def add_pm_product(self, body: dict[str, Any]) -> None:
        with self._pm() as api:
            self._send(api, "POST", "/rest-api/v1/products", json=body)

    def set_pm_product_vat(self, code: str, vat: float) -> None:
        with self._pm() as api:
            (product,) = self._send(api, "GET", "/rest-api/v1/products", params={"code": code})
            ops = [{"op": "Replace", "path": "/vatRate", "value": f"{vat:g}"}]
            self._send(api, "PATCH", f"/rest-api/v1/products/{product['guid']}", json=ops)

    def change_ea(self, path: str, number_field: str, number: str, **changes: Any) -> None:
        with self._ea() as api:
            query = {"$filter": f"{number_field} eq '{number}'"}
            (doc,) = self._send(api, "GET", f"/v2/{path}", params=query)["Data"]
            self._send(api, "PUT", f"/v2/{path}/{doc['Id']}", json={**doc, **changes})


def _seed(sandbox: Sandbox) -> None:
    pm_state = pm.app_of(sandbox).state
    seeding.seed(pm_state, PmValidator(strict=True), PM_SEED)
    ea_state = ea.app_of(sandbox).state
    ea_app.seed(ea_state, BodyValidator(ea_state.errors, strict=True), EA_SEED)


def _tokens(sandbox: Sandbox, conn: dict[str, str]) -> str:
    """The eAccounting sign-in `ledgerbridge auth` would make: consent in the
    emulator, the code exchanged, the token set as the tenant's store keeps it."""
    store = MemoryTokenStore()
    flow = code_flow(
        conn,
        conn["clientSecret"],
        store,
        tenant=TENANT,
        transport=sandbox.transport(),
        clock=sandbox.clock,
    )
    code = ea.app_of(sandbox).identity.grant(
        conn["clientId"], " ".join(flow.scopes), conn["redirectUri"]
    )
    flow.exchange_code(code)
    tokens = store.load()
    assert tokens is not None
    return json.dumps(tokens.to_dict())


def demo_setup(kit: Any) -> DemoSetup:
    sandbox = kit.sandbox
    if not isinstance(sandbox, Sandbox):
        raise RuntimeError("the eaccounting demo needs the demo's sandbox (DemoKit.sandbox)")
    _seed(sandbox)
    users = Users(sandbox)
    pm_conn, ea_conn = pm.connection(sandbox), ea.connection(sandbox)
    config = {
        "masterForCustomers": "pm",
        "masterForProducts": "eaccounting",
        "projectCostCenter": "Projekt",
        "connections": {"severa": "pm", "eaccounting": "ea"},
    }

    def users_change_both_systems() -> None:
        users.move_pm_customer(CUSTOMER_GUIDS[0], "Allégatan 30", "50332", "Borås")
        users.change_ea("articles", "Number", "LIC", NetPrice=1350, GrossPrice=1687.5)
        users.change_ea("customers", "CustomerNumber", "1002", InvoiceCity="Enköping")
        users.add_pm_product(
            {
                "name": "Resekostnad",
                "code": "RES",
                "vatRate": None,
                "unitPrice": {"amount": 500, "currencyCode": "SEK"},
            }
        )

    def fix() -> None:
        users.change_ea("customers", "CustomerNumber", "1002", InvoiceCity="Uppsala")
        users.move_pm_customer(CUSTOMER_GUIDS[1], "Kungsgatan 12", "74530", "Enköping")
        users.set_pm_product_vat("RES", 25)

    return DemoSetup(
        config=config,
        secrets={
            PM_SECRET: pm_conn["clientSecret"],
            EA_SECRET: ea_conn["clientSecret"],
            TOKENS: _tokens(sandbox, ea_conn),
        },
        connections={
            "pm": {
                "system": "severa",
                "config": {**pm_conn, "clientSecret": {"secret": PM_SECRET}},
            },
            "ea": {
                "system": "eaccounting",
                "config": {**ea_conn, "clientSecret": {"secret": EA_SECRET}},
            },
        },
        describe=(
            "Syncs Visma PM (Severa) and Visma eAccounting both ways, emulated: PM is the\n"
            "master for customers, eAccounting for products (the seed's usual choice).\n"
            "PM has 2 customers, a product, a work type, a mileage type and 2 projects;\n"
            "eAccounting has a customer and an article."
        ),
        before=(
            DemoStep(
                "Yesterday: the first sync",
                "Customers and articles go both ways, projects into cost center Projekt.",
            ),
            DemoStep(
                "Today: users change both systems",
                "In PM: Åkeri Öst AB moves to Borås; a product RES is added without VAT.\n"
                "In eAccounting: the price of LIC goes up to 1350; someone changes the\n"
                "city of Bygg & Montage AB to Enköping there, though PM is its master.",
                apply=users_change_both_systems,
                run=False,
            ),
        ),
        fix=DemoFix(
            describe=(
                "Visma PM is the master for customers, so the city change is undone in\n"
                "eAccounting and made in Visma PM instead; product RES gets its VAT rate\n"
                "(25 %) in Visma PM (Settings > Products), the seed's fix for its CodingId error."
            ),
            apply=fix,
        ),
    )
