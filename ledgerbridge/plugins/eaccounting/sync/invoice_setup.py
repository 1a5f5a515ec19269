"""What the invoice flows look up once per run, and the settings checked then.

The seed's settings name things in the two systems: four PM invoice
statuses and a default eAccounting article. They are checked when the
invoice flows first need them, against what the systems hold now, and a
wrong one stops the run (`ConfigError`) naming what does exist, so the
operator can pick. Articles and cost center items are read once per run
and found by number (articles by product code until articles are linked;
cost center items by short name = PM project number).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from ledgerbridge.core.context import RunContext
from ledgerbridge.core.errors import ConfigError, RecordError
from ledgerbridge.plugins.eaccounting.eaccounting.api import EAccountingApi
from ledgerbridge.plugins.eaccounting.eaccounting.filters import eq
from ledgerbridge.plugins.eaccounting.invoice_settings import STATUS_KEYS, STATUS_TITLES
from ledgerbridge.plugins.eaccounting.pm.api import SeveraApi
from ledgerbridge.plugins.eaccounting.sync.ea_customers import sales_terms
from ledgerbridge.plugins.eaccounting.systems import apis

STATE_KEY = "eaccounting.invoice_setup"
SHOWN = 10  # how many existing names an error lists


def setup_for(ctx: RunContext, project_center: int | None = None) -> InvoiceSetup:
    """The run's one setup, shared by its invoice flows."""
    found = ctx.state.get(STATE_KEY)
    if isinstance(found, InvoiceSetup):
        return found
    pm, ea = apis(ctx)
    setup = ctx.state[STATE_KEY] = InvoiceSetup(pm, ea, ctx.config, project_center)
    return setup


@dataclass
class InvoiceSetup:
    pm: SeveraApi
    ea: EAccountingApi
    config: Mapping[str, Any]
    project_center: int | None = None  # the cost center projects go into (company.py)
    _statuses: dict[str, dict[str, Any]] | None = field(default=None, repr=False)
    _articles: dict[str, dict[str, Any] | None] = field(default_factory=dict, repr=False)
    _items: list[tuple[int, dict[str, Any]]] | None = field(default=None, repr=False)
    _terms: list[dict[str, Any]] | None = field(default=None, repr=False)
    _company: dict[str, Any] | None = field(default=None, repr=False)

    # -- the PM invoice statuses -------------------------------------------------------

    def statuses(self) -> dict[str, dict[str, Any]]:
        """{toTransfer|transferred|sent|paid: PM status}; ConfigError naming the
        statuses PM has when one is missing, and refusing a "to transfer" or
        "transferred" status that gives an invoice number."""
        if self._statuses is not None:
            return self._statuses
        wanted = self.config.get("invoiceStatuses") or {}
        have = [s for s in self.pm.invoice_statuses() if s.get("isActive", True)]
        names = ", ".join(str(s.get("name")) for s in have) or "none"
        problems, out = [], {}
        for key in STATUS_KEYS:
            name = str(wanted.get(key) or "").strip()
            status = _status_named(have, name)
            if status is None:
                problems.append(
                    f"key 'invoiceStatuses.{key}': Visma PM has no active invoice status "
                    f"{name!r} (the status of {STATUS_TITLES[key]}); PM has: {names}; fix: "
                    "add it in Visma PM (Settings > Invoice statuses) or name one of these"
                )
                continue
            if key in ("toTransfer", "transferred") and status.get("hasInvoiceNumber"):
                problems.append(
                    f"key 'invoiceStatuses.{key}': the PM status {status['name']!r} gives "
                    "the invoice a number, but eAccounting numbers the invoices; fix: untick "
                    f"'Invoice number' on the status {status['name']!r} in Visma PM "
                    "(Settings > Invoice statuses)"
                )
            out[key] = status
        if problems:
            raise ConfigError("The invoice statuses in the eaccounting config:", problems)
        self._statuses = out
        return out

    # -- eAccounting articles ---------------------------------------------------------------

    def article(self, number: str) -> dict[str, Any] | None:
        """The eAccounting article with this number, or None (read once per run)."""
        key = number.strip().casefold()
        if key not in self._articles:
            found = next(iter(self.ea.articles(filter=eq("Number", number.strip()))), None)
            self._articles[key] = found
        return self._articles[key]

    def default_article(self) -> dict[str, Any] | None:
        """The configured default article (None when none is set); ConfigError
        naming some articles eAccounting has when it does not exist."""
        number = self.config.get("defaultArticleNumber")
        if not number:
            return None
        found = self.article(str(number))
        if found is not None:
            return found
        listing = self.ea.articles()
        some = [f"{a.get('Number')} {a.get('Name')}" for a in islice(listing, SHOWN)]
        total = listing.total if listing.total is not None else len(some)
        shown = "; ".join(some) or "none"
        more = f" (and {total - len(some)} more)" if total > len(some) else ""
        raise ConfigError(
            "The default article in the eaccounting config:",
            [
                f"key 'defaultArticleNumber': eAccounting has no article number {number!r}; "
                f"eAccounting has: {shown}{more}; fix: add article {number} in eAccounting, "
                "or set defaultArticleNumber to one of its article numbers"
            ],
        )

    # -- cost center items ------------------------------------------------------------------

    def uses_cost_centers(self) -> bool:
        return bool(self.company().get("UsesCostCenter", True))

    def items(self) -> list[tuple[int, dict[str, Any]]]:
        """Every (cost center number, item) of the active cost centers."""
        if self._items is None:
            self._items = [
                (int(center.get("Number") or 0), item)
                for center in self.ea.cost_centers()
                if center.get("IsActive", True)
                for item in center.get("Items") or []
            ]
        return self._items

    def item_by_short_name(
        self, short: str, center: int | None = None
    ) -> tuple[int, dict[str, Any]] | None:
        """The cost center item with this short name (a PM project's number),
        in cost center `center` when given (the one projects go into)."""
        wanted = short.strip().casefold()
        found = [
            (n, i)
            for n, i in self.items()
            if str(i.get("ShortName") or "").casefold() == wanted and center in (None, n)
        ]
        return found[0] if found else None

    def item_by_id(self, item_id: str) -> tuple[int, dict[str, Any]] | None:
        for number, item in self.items():
            if str(item.get("Id")).lower() == item_id.lower():
                return number, item
        return None

    # -- terms of payment, company ----------------------------------------------------------

    def company(self) -> dict[str, Any]:
        if self._company is None:
            self._company = self.ea.company_settings()
        return self._company

    def terms_id(self, days: int, who: str) -> str:
        if self._terms is None:
            self._terms = self.ea.terms_of_payment()
        found = sales_terms(self._terms, days)
        if found is None:
            raise RecordError(
                f"{who} has terms of payment of {days} days, and eAccounting has no terms of "
                "payment for sales with that many days",
                field="paymentTerm",
                value=days,
                rule="terms of payment are matched by number of days (eAccounting's are read-only)",
                fix=f"add terms of payment of {days} days in eAccounting, or change the "
                "invoice's terms in Visma PM",
            )
        return found


def _status_named(statuses: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    wanted = name.casefold()
    for status in statuses:
        if str(status.get("guid", "")).lower() == wanted:
            return status
    for status in statuses:
        if str(status.get("name", "")).strip().casefold() == wanted:
            return status
    return None
