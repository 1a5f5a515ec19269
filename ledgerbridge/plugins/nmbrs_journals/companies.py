"""Each administration's Visma.net company: the connector's connection, or
the one the administration names (`connection`), with its lists read once
per run and its journal-transaction target.

Visma.net numbers journal batches per company, so batch 000001 of one
company is not batch 000001 of another: a journal sent through an
administration's own connection is linked as `CONNECTION/batch`, one sent
through the connector's connection by its bare batch number (as before).
"""

from __future__ import annotations

import threading

from ledgerbridge.core.components import WriteResult
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.plugins.nmbrs_journals.settings import Administration, Settings
from ledgerbridge.plugins.nmbrs_journals.vismaref import VismaReference
from ledgerbridge.plugins.visma_net.api import VismaNetApi
from ledgerbridge.plugins.visma_net.ledger_targets import (
    JournalPayload,
    JournalTransactionTarget,
    in_company,
)
from ledgerbridge.plugins.visma_net.target import SYSTEM, TITLE


class VismaCompanies:
    """The Visma.net API and reference lists of each connection in use."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self._refs: dict[str | None, VismaReference] = {}
        self._lock = threading.Lock()

    def api(self, admin: Administration) -> VismaNetApi:
        with self._lock:
            return VismaNetApi.for_connection(self.ctx, admin.connection)

    def ref(self, admin: Administration) -> VismaReference:
        api = self.api(admin)
        with self._lock:
            if admin.connection not in self._refs:
                self._refs[admin.connection] = VismaReference(api)
            return self._refs[admin.connection]


class CompanyJournalTarget:
    """Journals into their administration's Visma.net company, sent once."""

    system = SYSTEM
    title = TITLE

    def __init__(self, settings: Settings, companies: VismaCompanies) -> None:
        self.settings = settings
        self.companies = companies

    @property
    def in_flight_seconds(self) -> float:
        """The longest window of the connections in use (see visma_net)."""
        admins = list(self.settings.administrations.values())
        return max((self.companies.api(a).in_flight_seconds for a in admins), default=90.0)

    def _admin(self, record: Record) -> Administration:
        return self.settings.administrations[int(record.data["company"]["id"])]

    def _target(self, admin: Administration) -> JournalTransactionTarget:
        return JournalTransactionTarget(self.companies.api(admin))

    def write(
        self, payload: JournalPayload, record: Record, binding: Binding | None
    ) -> WriteResult:
        admin = self._admin(record)
        return in_company(admin.connection, self._target(admin).write(payload, record, binding))

    def lookup(self, payload: JournalPayload, record: Record) -> WriteResult | None:
        admin = self._admin(record)
        found = self._target(admin).lookup(payload, record)
        return None if found is None else in_company(admin.connection, found)
