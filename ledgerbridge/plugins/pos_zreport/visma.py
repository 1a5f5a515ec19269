"""Each department's Visma.net company, reached through visma_net's client.

DUELL asks for one Visma.net integration user per department; a department
naming its own `connection` is booked in that connection's company, every
other one in the connector's connection. Either way the client is
visma_net's (`VismaNetApi`), with the connection's shared hourly budget, so
visma_net, nmbrs_journals and pos_zreport of a tenant never overrun it.

`Catalog` reads what a settlement is checked against once per company and
run: the VAT list (Avgiftskoder) and the chart of accounts.
"""

from __future__ import annotations

import threading
from typing import Any

from ledgerbridge.core.components import WriteResult
from ledgerbridge.core.context import RunContext
from ledgerbridge.plugins.pos_zreport.settings import Settings
from ledgerbridge.plugins.visma_net.api import VismaNetApi
from ledgerbridge.plugins.visma_net.ledger_targets import in_company


class Companies:
    """The Visma.net API of each department."""

    def __init__(self, ctx: RunContext, settings: Settings) -> None:
        self.ctx = ctx
        self.settings = settings
        self._lock = threading.Lock()

    def api(self, department: str) -> VismaNetApi:
        name = self.settings.departments[department].connection
        with self._lock:
            return VismaNetApi.for_connection(self.ctx, name)

    def qualified(self, department: str, result: WriteResult | None) -> WriteResult | None:
        """The document number as links keep it (visma_net's `in_company`)."""
        if result is None:
            return None
        return in_company(self.settings.departments[department].connection, result)


class Catalog:
    """VAT codes and accounts of each company, read once per run."""

    def __init__(self, companies: Companies) -> None:
        self.companies = companies
        self._vat: dict[int, dict[str, dict[str, Any]]] = {}
        self._accounts: dict[int, frozenset[str]] = {}
        self._lock = threading.Lock()

    def vat(self, department: str) -> dict[str, dict[str, Any]]:
        api = self.companies.api(department)
        with self._lock:
            if id(api) not in self._vat:
                self._vat[id(api)] = {
                    str(_value(r.get("vatId"))): dict(r) for r in api.iter("v1/vat")
                }
            return self._vat[id(api)]

    def accounts(self, department: str) -> frozenset[str]:
        api = self.companies.api(department)
        with self._lock:
            if id(api) not in self._accounts:
                self._accounts[id(api)] = api.list_ids("v1/account", "accountCD")
            return self._accounts[id(api)]


def rate_of(record: dict[str, Any]) -> float:
    """The current rate of a VatInformationDto: its last schedule's."""
    schedules = record.get("schedules") or []
    rates = [float(s.get("vatRate") or 0) for s in schedules if isinstance(s, dict)]
    return rates[-1] if rates else 0.0


def payable_account(record: dict[str, Any]) -> str | None:
    gl = record.get("glAccounts") or {}
    account = gl.get("vatPayableAccount") if isinstance(gl, dict) else None
    if isinstance(account, dict):
        number = account.get("number") or account.get("id")
        return str(number) if number else None
    return str(account) if account else None


def _value(field: Any) -> Any:
    return field.get("value") if isinstance(field, dict) else field
