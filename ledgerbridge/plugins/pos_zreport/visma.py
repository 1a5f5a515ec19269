"""Each department's Visma.net company, reached through visma_net's client.

DUELL asks for one Visma.net integration user per department; a department
naming its own `connection` is booked in that connection's company, every
other one in the connector's connection. Either way the client is
visma_net's (`VismaNetApi`), with the connection's shared hourly budget, so
visma_net, nmbrs_journals and pos_zreport of a tenant never overrun it.

`Company` is how links tell the companies apart. Visma.net numbers its
documents, customers and items per company, so what is kept of a company
other than the connector's is `CONNECTION/number` (visma_net's
`in_company`), and its customers and items are a system of their own in
the links (`visma_net@CONNECTION`): a DUELL product linked to item 1001 of
the connector's company and to item 1001 of company `nord` has one side in
each. The connector's own company keeps the bare numbers and system
`visma_net`, as before there were several.

`Catalog` reads what a settlement is checked against once per company and
run: the VAT list (Avgiftskoder) and the chart of accounts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from ledgerbridge.core.components import WriteResult
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.errors import ConfigError
from ledgerbridge.plugins.pos_zreport.settings import Settings
from ledgerbridge.plugins.visma_net.api import VismaNetApi
from ledgerbridge.plugins.visma_net.credentials import DEFAULT_API
from ledgerbridge.plugins.visma_net.ledger_targets import in_company
from ledgerbridge.plugins.visma_net.target import SYSTEM, TITLE


@dataclass(frozen=True)
class Company:
    """A Visma.net company by the connection that reaches it (None: the
    connector's own)."""

    connection: str | None = None

    @property
    def system(self) -> str:
        """Its customers' and items' side in the links."""
        return SYSTEM if self.connection is None else f"{SYSTEM}@{self.connection}"

    @property
    def title(self) -> str:
        return TITLE if self.connection is None else f"{TITLE} ({self.connection})"

    @property
    def where(self) -> str:
        """What messages add to name the company: nothing for the connector's."""
        return "" if self.connection is None else f" (Visma.net company of {self.connection})"

    def flow(self, name: str) -> str:
        """A flow's name for this company: `products`, `products@nord`."""
        return name if self.connection is None else f"{name}@{self.connection}"

    def qualified(self, result: WriteResult) -> WriteResult:
        return in_company(self.connection, result)

    def local(self, key: str) -> str:
        """The number in the company, from the key links keep."""
        prefix = f"{self.connection}/"
        return key[len(prefix) :] if self.connection and key.startswith(prefix) else key


DEFAULT = Company()


class Companies:
    """The Visma.net API of each department."""

    def __init__(self, ctx: RunContext, settings: Settings) -> None:
        self.ctx = ctx
        self.settings = settings
        self._lock = threading.Lock()

    def api(self, department: str) -> VismaNetApi:
        return self.api_of(self.company(department))

    def api_of(self, company: Company) -> VismaNetApi:
        with self._lock:
            return VismaNetApi.for_connection(self.ctx, company.connection)

    def company(self, department: str) -> Company:
        return Company(self.settings.departments[department].connection)

    def check_distinct(self, companies: list[Company]) -> None:
        """Refuse two connections reaching one company (the same tenant id at
        the same API): DUELL asks for a user per department, but the
        company's registers are kept once, under one connection."""
        seen: dict[tuple[str, str], Company] = {}
        for company in dict.fromkeys(companies):
            key = self._identity(company)
            first = company if key is None else seen.setdefault(key, company)
            if first == company:
                continue
            assert key is not None and company.connection is not None
            users = self._users(company)
            now = " and ".join(f"departments.{k}.connection" for k in users)
            if first.connection is None:
                named, fix = "the connector's connection", f"remove {now}"
            else:
                named = f"{first.connection!r} ({', '.join(self._users(first))})"
                fix = f"set {now} to {first.connection!r}"
            raise ConfigError(
                f"The Visma.net connection {company.connection!r} ({', '.join(users)}) reaches "
                f"the same company as {named} (the same tenant id at {key[0]}): its products "
                "and customers would be kept twice, under two names.",
                [
                    "rule: the departments of one Visma.net company are booked through one "
                    f"connection; fix: {fix}"
                ],
            )

    def _identity(self, company: Company) -> tuple[str, str] | None:
        if company.connection is None:
            conn = self.ctx.connection("visma_net")
        else:
            conn = self.ctx.named_connection(company.connection, "visma_net")
        if "tenantId" not in conn.settings:
            return None
        return str(conn.get("apiBaseUrl") or DEFAULT_API).rstrip("/"), conn.secret("tenantId")

    def _users(self, company: Company) -> list[str]:
        departments = self.settings.departments
        return [k for k, d in departments.items() if d.connection == company.connection]

    def used(self) -> list[Company]:
        """The companies the departments are booked in: the connector's
        first (when a department uses it), then by connection name."""
        named = {d.connection for d in self.settings.departments.values()}
        own = [DEFAULT] if None in named else []
        return own + [Company(n) for n in sorted(n for n in named if n is not None)]

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
