"""A two-way harness for articles over the Severa and eAccounting emulators:
PM products (and work types, travel expense types) <-> eAccounting articles.
What a user does goes straight to each API; what ledgerbridge wrote is
counted from the journal of the connector's runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
from customer_harness import setup_tenant
from pm_harness_api import pm_api

from ledgerbridge.core.engine import RunSummary
from ledgerbridge.core.sandbox import Sandbox
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import seed_data
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import testing as ea
from ledgerbridge.plugins.eaccounting.pm.emulator import testing as pm
from ledgerbridge.plugins.eaccounting.sync.articles import gross
from ledgerbridge.plugins.eaccounting.sync.ea_articles import EaArticleReference, to_canonical
from ledgerbridge.plugins.eaccounting.sync.pm_articles import PmArticleReference
from ledgerbridge.plugins.eaccounting.sync.pm_articles import to_canonical as pm_canonical
from ledgerbridge.testing.pytest_plugin import ConnectorRunner, TenantFactory

WRITES = ("POST", "PUT", "PATCH", "DELETE")
PM_PATHS = {
    "product": "/rest-api/v1/products",
    "worktype": "/rest-api/v1/worktypes",
    "travel": "/rest-api/v1/travelexpensetypes",
}

PM_FIELDS = {"name": "/name", "number": "/code", "vatRate": "/vatRate", "unit": "/measurementUnit"}
PM_FIELDS |= {"price": "/unitPrice/amount", "cost": "/unitCost/amount", "active": "/isActive"}


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def sample(n: int) -> dict[str, Any]:
    return {
        "number": f"ART{100 + n}",
        "name": f"Tjänst {n}",
        "active": True,
        "unit": "Styck",
        "vatRate": 25.0 if n % 2 == 0 else 12.0,
        "price": 100.0 + 10 * n,
        "cost": 40.0 + n,
    }


class _Reference(EaArticleReference):
    """eAccounting's codings and units as the emulated company has them,
    without an API (the harness reads documents straight from the emulator)."""

    def __init__(self) -> None:
        super().__init__(None, list(seed_data.ARTICLE_ACCOUNT_CODINGS), list(seed_data.UNITS))  # type: ignore[arg-type]


REFERENCE = _Reference()


def coding_for(vat: float, kind: str = "Tjänster") -> str:
    name = f"{kind} momsfri" if vat == 0 else f"{kind} {vat:g}% moms"
    return ea.coding_id(name)


def ea_body(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "Number": data["number"],
        "Name": data["name"],
        "IsActive": data.get("active", True),
        "CodingId": coding_for(float(data["vatRate"])),
        "UnitId": ea.unit_id(str(data.get("unit") or "Styck")),
        "NetPrice": data.get("price") or 0,
        "GrossPrice": gross(data.get("price"), data.get("vatRate")),
        "PurchasePrice": data.get("cost") or 0,
    }


def pm_product(data: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": data["name"],
        "code": data.get("number"),
        "isActive": data.get("active", True),
        "vatRate": data.get("vatRate"),
        "measurementUnit": data.get("unit"),
    }
    if data.get("price") is not None:
        body["unitPrice"] = {"amount": data["price"], "currencyCode": "SEK"}
    if data.get("cost") is not None:
        body["unitCost"] = {"amount": data["cost"], "currencyCode": "SEK"}
    return body


class ArticleHarness:
    def __init__(self, sandbox: Sandbox, run: Callable[..., RunSummary], master: str) -> None:
        self.sandbox = sandbox
        self._run = run
        self.master = master
        self.other = "eaccounting" if master == "pm" else "pm"
        self.ours = {"pm": 0, "eaccounting": 0}
        self.pm = pm.api_client(sandbox)
        self.ea = ea.api_client(sandbox)
        self.pm_ref = PmArticleReference(pm_api(sandbox), REFERENCE)
        # (emulator, status, path, body) and (method, status, path, body) of our writes
        self.bodies: list[tuple[str, int, str, Any]] = []
        self.calls: list[tuple[str, int, str, Any]] = []

    def _tick(self) -> None:
        advance = getattr(self.sandbox.clock, "advance", None)
        if advance is not None:
            advance(1.1)

    # -- a user in each system -----------------------------------------------------

    def add(self, system: str, data: Mapping[str, Any]) -> str:
        if system == "pm":
            return "product:" + self.add_pm("product", pm_product(data))
        return str(_ok(self.ea.post("/v2/articles", json=ea_body(data)))["Id"])

    def add_pm(self, kind: str, body: Mapping[str, Any]) -> str:
        self._tick()
        return str(_ok(self.pm.post(PM_PATHS[kind], json=dict(body)))["guid"])

    def edit(self, system: str, key: str, changes: Mapping[str, Any]) -> None:
        if system == "eaccounting":
            doc = _ok(self.ea.get(f"/v2/articles/{key}"))
            row = {**to_canonical(doc, REFERENCE), **changes}
            _ok(self.ea.put(f"/v2/articles/{key}", json={**doc, **ea_body(row)}))
            return
        self._tick()
        kind, _, guid = key.partition(":")
        fields = {
            "name": "/name",
            "number": "/code",
            "vatRate": "/vatRate",
            "unit": "/measurementUnit",
        }
        fields |= {"price": "/unitPrice/amount", "cost": "/unitCost/amount", "active": "/isActive"}
        ops = [
            {
                "op": "Replace",
                "path": fields[k],
                "value": str(v).lower() if isinstance(v, bool) else str(v),
            }
            for k, v in changes.items()
        ]
        _ok(self.pm.patch(f"{PM_PATHS[kind]}/{guid}", json=ops))

    # -- what each system holds ----------------------------------------------------

    def rows(self, system: str) -> list[dict[str, Any]]:
        if system == "eaccounting":
            docs = _ok(self.ea.get("/v2/articles", params={"$pagesize": 500}))["Data"]
            return [{**to_canonical(d, REFERENCE), "_key": d["Id"]} for d in docs]
        out = []
        for kind, path in PM_PATHS.items():
            self._tick()
            for doc in _ok(self.pm.get(path, params={"rowCount": 100})):
                out.append(
                    {**pm_canonical(kind, doc, self.pm_ref), "_key": f"{kind}:{doc['guid']}"}
                )
        return out

    def writes(self, system: str) -> int:
        return self.ours[system]

    def sample(self, n: int) -> dict[str, Any]:
        return sample(n)

    def change(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"price": float(data.get("price") or 0) + 55.0}

    def run(self, **options: Any) -> RunSummary:
        start = len(self.sandbox.journal.entries())
        summary = self._run(**options)
        for entry in self.sandbox.journal.entries()[start:]:
            if entry.method in WRITES and "token" not in entry.path:
                system = "pm" if entry.emulator == pm.NAME else "eaccounting"
                self.ours[system] += 1
                self.bodies.append((entry.emulator, entry.status or 0, entry.path, entry.body))
                self.calls.append((entry.method, entry.status or 0, entry.path, entry.body))
        return summary

    def sent(self, method: str, path_end: str) -> list[Any]:
        """Bodies of ledgerbridge's accepted writes (not a user's) whose path ends so."""
        return [b for m, s, p, b in self.calls if m == method and p.endswith(path_end) and s < 300]


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, (response.status_code, response.text)
    return response.json()


def harness(
    workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_run: ConnectorRunner,
    sandbox: Sandbox,
    master: str,
    config: Mapping[str, Any] | None = None,
) -> ArticleHarness:
    setup_tenant(workspace, lb_tenant, sandbox, master, config=config)
    return ArticleHarness(
        sandbox,
        lambda **o: lb_run("acme", "eaccounting", transport=sandbox.transport(), **o),
        master,
    )
