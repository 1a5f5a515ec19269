"""Z reports into each department's Visma.net company, through visma_net's
journal-transaction target (sent once; a lost answer is found again by the
batch's description in its period)."""

from __future__ import annotations

from ledgerbridge.core.components import WriteResult
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.plugins.pos_zreport.journal import ZJournal
from ledgerbridge.plugins.pos_zreport.visma import Companies
from ledgerbridge.plugins.visma_net.ledger_targets import JournalTransactionTarget
from ledgerbridge.plugins.visma_net.target import SYSTEM, TITLE


class ZReportTarget:
    system = SYSTEM
    title = TITLE

    def __init__(self, companies: Companies) -> None:
        self.companies = companies

    def _target(self, payload: ZJournal) -> JournalTransactionTarget:
        return JournalTransactionTarget(self.companies.api(payload.department))

    def write(self, payload: ZJournal, record: Record, binding: Binding | None) -> WriteResult:
        result = self._target(payload).write(payload.journal, record, binding)
        qualified = self.companies.qualified(payload.department, result)
        assert qualified is not None
        return qualified

    def lookup(self, payload: ZJournal, record: Record) -> WriteResult | None:
        found = self._target(payload).lookup(payload.journal, record)
        return self.companies.qualified(payload.department, found)

    def label(self, payload: ZJournal) -> str:
        return payload.label

    def plan(self, payload: ZJournal, record: Record, binding: Binding | None) -> str:
        return "refuse" if binding is not None else "create"
