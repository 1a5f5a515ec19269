"""One emulated Visma.net company per tenant id.

Visma.net keeps its companies apart: customers, invoices and their
numbering, journal transactions, inventory, stock and master data belong to
one company, and a token (issued for one `tenant_id`) reads and writes only
its company. So the emulator keeps a `Company` per tenant id: its own
`VismaState` and its own copy of the routes bound to that state. The app's
last middleware hands each API call to the company of the caller's token.

A company is built the first time it is used (a call, or `state_of(app,
tenant_id)` in a test), from the emulator's settings; the default company
(the first tenant of the first client, the demo tenant by default) and the
companies named in `settings["companies"]` are built with the app, so bad
seed data fails at once. `companies` overrides seed keys per tenant id:

    "companies": {"nord-tenant": {"customers": [...], "numbering": {"invoice": 7001}}}

Each override replaces the key's value from the top-level settings
(customers, inventory, master_data, without, numbering, warehouses).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledgerbridge.core.sandbox import App
from ledgerbridge.plugins.visma_net.emulator.auth import DEMO_CLIENT, clients_from
from ledgerbridge.plugins.visma_net.emulator.state import VismaState
from ledgerbridge.plugins.visma_net.emulator.stock import StockState

SEED_KEYS = ("customers", "inventory", "master_data", "without", "numbering", "warehouses")


@dataclass
class Company:
    """One company's data and the routes that serve it."""

    tenant_id: str
    state: VismaState
    routes: App
    stock: StockState


# tenant id, the settings that apply to it, whether it is the default company
CompanyFactory = Callable[[str, Mapping[str, Any], bool], Company]


class Companies:
    """The emulator's companies by tenant id, built on first use."""

    def __init__(self, settings: Mapping[str, Any], build: CompanyFactory) -> None:
        self._settings = settings
        self._build = build
        self._lock = threading.Lock()
        self._companies: dict[str, Company] = {}
        self.tenants = frozenset(t for c in clients_from(settings) for t in c.tenants)
        self.default = default_tenant(settings)
        self._overrides = overrides(settings, self.tenants)
        for tenant in [self.default, *self._overrides]:
            self.get(tenant)

    def get(self, tenant_id: str) -> Company:
        """The company of a tenant id some client may act for."""
        built = self._companies.get(tenant_id)  # every call asks: no lock once it exists
        if built is not None:
            return built
        with self._lock:
            found = self._companies.get(tenant_id)
            if found is None:
                if tenant_id not in self.tenants:
                    raise KeyError(
                        f"no Visma.net company for tenant id {tenant_id!r}: no client in the "
                        "emulator's settings has it among its tenants"
                    )
                merged = {**self._settings, **self._overrides.get(tenant_id, {})}
                found = self._build(tenant_id, merged, tenant_id == self.default)
                self._companies[tenant_id] = found
            return found

    def started(self) -> list[str]:
        """Tenant ids whose company exists so far, in the order they were built."""
        with self._lock:
            return list(self._companies)


def default_tenant(settings: Mapping[str, Any]) -> str:
    """The first tenant of the first configured client (the demo tenant if none)."""
    configured: Sequence[Mapping[str, Any]] | None = settings.get("clients")
    if not configured:
        return next(iter(DEMO_CLIENT.tenants))
    first = configured[0]
    tenants = first.get("tenants") or [first["tenant_id"]]
    return str(tenants[0])


def overrides(settings: Mapping[str, Any], tenants: frozenset[str]) -> dict[str, dict[str, Any]]:
    """`settings["companies"]`, checked: known tenant ids, seed keys only."""
    given = settings.get("companies") or {}
    if not isinstance(given, Mapping):
        raise ValueError("visma_net settings 'companies': give an object of tenant id -> seed keys")
    out: dict[str, dict[str, Any]] = {}
    for tenant, keys in given.items():
        if str(tenant) not in tenants:
            raise ValueError(
                f"visma_net settings companies[{tenant!r}]: no client has this tenant id; "
                "add it to a client's tenants or remove the entry"
            )
        if not isinstance(keys, Mapping):
            raise ValueError(f"visma_net settings companies[{tenant!r}]: give an object")
        unknown = sorted(set(keys) - set(SEED_KEYS))
        if unknown:
            raise ValueError(
                f"visma_net settings companies[{tenant!r}]: {', '.join(unknown)} cannot differ "
                f"per company; per-company keys: {', '.join(SEED_KEYS)}"
            )
        out[str(tenant)] = dict(keys)
    return out
