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
from dataclasses import replace

from ledgerbridge.core.components import WriteResult
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.plugins.nmbrs_journals.settings import Administration, Settings
from ledgerbridge.plugins.nmbrs_journals.vismaref import VismaReference
from ledgerbridge.plugins.visma_net.api import VismaNetApi, client_for, request_timeout
from ledgerbridge.plugins.visma_net.credentials import DEFAULT_API, Credentials
from ledgerbridge.plugins.visma_net.ledger_targets import JournalPayload, JournalTransactionTarget
from ledgerbridge.plugins.visma_net.target import SYSTEM, TITLE


class VismaCompanies:
    """The Visma.net API and reference lists of each connection in use."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self._apis: dict[str | None, VismaNetApi] = {}
        self._refs: dict[str | None, VismaReference] = {}
        self._lock = threading.Lock()

    def api(self, admin: Administration) -> VismaNetApi:
        name = admin.connection
        with self._lock:
            if name not in self._apis:
                self._apis[name] = self._build(name)
            return self._apis[name]

    def ref(self, admin: Administration) -> VismaReference:
        api = self.api(admin)
        with self._lock:
            if admin.connection not in self._refs:
                self._refs[admin.connection] = VismaReference(api)
            return self._refs[admin.connection]

    def _build(self, name: str | None) -> VismaNetApi:
        if name is None:
            return VismaNetApi.for_run(self.ctx)
        conn = self.ctx.named_connection(name, SYSTEM)
        creds = Credentials.of(conn, self.ctx.connector)
        return VismaNetApi(
            client_for(conn, self.ctx.connector),
            creds.url_setting("apiBaseUrl", DEFAULT_API),
            request_timeout(conn),
        )


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
        return _qualified(admin, self._target(admin).write(payload, record, binding))

    def lookup(self, payload: JournalPayload, record: Record) -> WriteResult | None:
        admin = self._admin(record)
        found = self._target(admin).lookup(payload, record)
        return None if found is None else _qualified(admin, found)


def _qualified(admin: Administration, result: WriteResult) -> WriteResult:
    if admin.connection is None:
        return result
    return replace(result, remote_id=f"{admin.connection}/{result.remote_id}")
