"""A two-way harness over the Severa and eAccounting emulators in one
sandbox: what a user does in each system goes straight to its API (as the
system's own UI would), what ledgerbridge wrote is counted from the journal
of the connector's runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
from pm_harness_api import pm_api

from ledgerbridge.core.connections import StoredConnection
from ledgerbridge.core.engine import RunSummary
from ledgerbridge.core.sandbox import Sandbox
from ledgerbridge.core.tokenstore import SecretTokenStore
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.eaccounting.eaccounting.auth import code_flow
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import testing as ea
from ledgerbridge.plugins.eaccounting.pm.emulator import testing as pm
from ledgerbridge.plugins.eaccounting.stamps import stable_guid
from ledgerbridge.plugins.eaccounting.sync.customers import split_contact
from ledgerbridge.plugins.eaccounting.sync.ea_customers import to_canonical
from ledgerbridge.plugins.eaccounting.sync.pm_customers import PmReference, load
from ledgerbridge.testing.pytest_plugin import ConnectorRunner, TenantFactory

CITIES = ["Stockholm", "Göteborg", "Malmö", "Uppsala", "Luleå"]
WRITES = ("POST", "PUT", "PATCH", "DELETE")
PM_SECRET, EA_SECRET = "pm_client_secret", "ea_client_secret"


def sample(n: int) -> dict[str, Any]:
    return {
        "number": str(1000 + n),
        "name": f"Kund {n} AB",
        "address": f"Storgatan {n + 1}",
        "postalCode": f"1112{n % 10}",
        "city": CITIES[n % 4],
        "country": "SE",
        "contactName": f"Anna Berg{n}",
        "contactEmail": f"anna{n}@kund{n}.se",
        "contactPhone": f"08-12345{n}",
        "currency": "SEK",
        "termsDays": 30,
    }


def terms_id(days: int) -> str:
    return stable_guid("termsofpayment", f"{days} dagar")


class CustomerHarness:
    def __init__(
        self,
        sandbox: Sandbox,
        run: Callable[..., RunSummary],
        master: str,
    ) -> None:
        self.sandbox = sandbox
        self._run = run
        self.master = master
        self.other = "eaccounting" if master == "pm" else "pm"
        self.ours = {"pm": 0, "eaccounting": 0}
        self.pm = pm.api_client(sandbox)
        self.ea = ea.api_client(sandbox)
        self.pm_ref = PmReference(pm_api(sandbox))
        self.bodies: list[tuple[str, int, Any]] = []  # (emulator, status, body) of our writes

    # -- a user in each system ---------------------------------------------------------

    def add(self, system: str, data: Mapping[str, Any]) -> str:
        if system == "pm":
            return self._add_pm(data)
        return str(_ok(self.ea.post("/v2/customers", json=ea_body(data)))["Id"])

    def _tick(self) -> None:
        """A user is slower than Severa's 10 requests a second."""
        advance = getattr(self.sandbox.clock, "advance", None)
        if advance is not None:
            advance(1.1)

    def _add_pm(self, data: Mapping[str, Any]) -> str:
        self._tick()
        body = {
            "name": data["name"],
            "number": int(data["number"]),
            "paymentTerm": data["termsDays"],
            "currency": {"code": data["currency"]},
        }
        guid = str(_ok(self.pm.post("/rest-api/v1/customers", json=body))["guid"])
        address = {
            "addressline": data["address"],
            "postalCode": data["postalCode"],
            "city": data["city"],
            "isBillingAddress": True,
            "country": {"guid": pm.country_guid(data["country"])},
        }
        _ok(self.pm.post(f"/rest-api/v1/customers/{guid}/addresses", json=address))
        first, last = split_contact(data["contactName"]) or ("?", "?")
        contact = {
            "firstName": first,
            "lastName": last,
            "customer": {"guid": guid},
            "emails": [data["contactEmail"]],
            "phoneNumbers": [data["contactPhone"]],
        }
        _ok(self.pm.post("/rest-api/v1/contactpersons", json=contact))
        return guid

    def edit(self, system: str, key: str, changes: Mapping[str, Any]) -> None:
        if system == "eaccounting":
            doc = _ok(self.ea.get(f"/v2/customers/{key}"))
            row = {**to_canonical(doc), **changes}
            _ok(self.ea.put(f"/v2/customers/{key}", json=ea_body(row)))
            return
        self._tick()
        fields = {"city": "city", "address": "addressline", "postalCode": "postalCode"}
        (address,) = [
            a
            for a in _ok(self.pm.get(f"/rest-api/v1/customers/{key}/addresses"))
            if a["isBillingAddress"]
        ]
        ops = [{"op": "Replace", "path": f"/{fields[k]}", "value": v} for k, v in changes.items()]
        _ok(self.pm.patch(f"/rest-api/v1/addresses/{address['guid']}", json=ops))

    # -- what each system holds ------------------------------------------------------------

    def rows(self, system: str) -> list[dict[str, Any]]:
        if system == "eaccounting":
            docs = _ok(self.ea.get("/v2/customers", params={"$pagesize": 500}))["Data"]
            return [{**to_canonical(d), "_key": d["Id"]} for d in docs]
        api = self.pm_ref.api
        self._tick()
        return [
            {**load(api, self.pm_ref, d).data, "_key": d["guid"]}
            for d in _ok(self.pm.get("/rest-api/v1/customers", params={"rowCount": 100}))
        ]

    def writes(self, system: str) -> int:
        return self.ours[system]

    def sample(self, n: int) -> dict[str, Any]:
        return sample(n)

    def change(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"city": "Kiruna" if data.get("city") != "Kiruna" else "Visby"}

    def run(self, **options: Any) -> RunSummary:
        start = len(self.sandbox.journal.entries())
        summary = self._run(**options)
        for entry in self.sandbox.journal.entries()[start:]:
            if entry.method in WRITES and "token" not in entry.path:
                system = "pm" if entry.emulator == pm.NAME else "eaccounting"
                self.ours[system] += 1
                self.bodies.append((entry.emulator, entry.status or 0, entry.body))
        return summary


def ea_body(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "CustomerNumber": data["number"],
        "Name": data["name"],
        "InvoiceAddress1": data["address"],
        "InvoicePostalCode": data["postalCode"],
        "InvoiceCity": data["city"],
        "InvoiceCountryCode": data.get("country"),
        "ContactPersonName": data.get("contactName"),
        "ContactPersonEmail": data.get("contactEmail"),
        "ContactPersonPhone": data.get("contactPhone"),
        "CurrencyCode": data.get("currency"),
        "TermsOfPaymentId": terms_id(data["termsDays"]),
        "IsActive": True,
        "IsPrivatePerson": False,
    }


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, (response.status_code, response.text)
    return response.json()


def setup_tenant(
    workspace: Workspace,
    lb_tenant: TenantFactory,
    sandbox: Sandbox,
    master: str,
    tenant: str = "acme",
    config: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """The tenant with its two connections, the connector enabled (`master`
    for customers and products, projects into cost center "Projekt", unless
    `config` or `extra` say otherwise), and eAccounting tokens from a consent given in
    the emulator."""
    pm_conn, ea_conn = pm.connection(sandbox), ea.connection(sandbox)
    lb_tenant(
        tenant,
        connector="eaccounting",
        config={
            "masterForCustomers": master,
            "masterForProducts": master,
            "projectCostCenter": "Projekt",
            "connections": {"severa": "pm", "eaccounting": "ea"},
            **(config or {}),
            **(extra or {}),
        },
        secrets={PM_SECRET: pm_conn["clientSecret"], EA_SECRET: ea_conn["clientSecret"]},
    )
    record = workspace.tenant(tenant)
    pm_settings = {**pm_conn, "clientSecret": {"secret": PM_SECRET}}
    ea_settings = {**ea_conn, "clientSecret": {"secret": EA_SECRET}}
    record.connections["pm"] = StoredConnection("pm", "severa", pm_settings).to_json()
    record.connections["ea"] = StoredConnection("ea", "eaccounting", ea_settings).to_json()
    workspace.save_tenant(record)
    store = SecretTokenStore.for_connection(workspace.secrets, tenant, "ea")
    flow = code_flow(
        ea_conn,
        ea_conn["clientSecret"],
        store,
        tenant=tenant,
        transport=sandbox.transport(),
        clock=sandbox.clock,
    )
    code = ea.app_of(sandbox).identity.grant(
        ea_conn["clientId"], " ".join(flow.scopes), ea_conn["redirectUri"]
    )
    flow.exchange_code(code)


def harness(
    workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_run: ConnectorRunner,
    sandbox: Sandbox,
    master: str,
    config: Mapping[str, Any] | None = None,
) -> CustomerHarness:
    setup_tenant(workspace, lb_tenant, sandbox, master, config=config)
    return CustomerHarness(
        sandbox,
        lambda **o: lb_run("acme", "eaccounting", transport=sandbox.transport(), **o),
        master,
    )
