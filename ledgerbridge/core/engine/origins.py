"""Skipping what is settled, whole files at a time (state/origins.py).

A source that implements `SkipsSettled` gets, before it reads, the origins
(export files, by digest) whose every record this flow has settled, and does
not open them; after a run that read to the end, the origins it read whose
records all settled are kept for the next run. A full run (`--full`), a
replay or narrowed run, and a re-read after an undone dismissal read every
file; a dry run keeps nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledgerbridge.core.clock import utc_iso
from ledgerbridge.core.state.dismissals import reread_due
from ledgerbridge.core.state.origins import keep_settled, settled_origins

if TYPE_CHECKING:
    from ledgerbridge.core.engine.flow import FlowRun


@dataclass
class Origins:
    """One flow run's use of settled origins."""

    run: FlowRun | None
    source: Any = None
    keeps: bool = False

    @classmethod
    def for_flow(cls, run: FlowRun) -> Origins:
        source: Any = run.flow.source
        if not callable(getattr(source, "skip_origins", None)):
            return cls(None)
        options = run.ctx.options
        where = (run.ctx.tenant, run.ctx.connector, run.flow.name)
        narrowed = run.only_keys is not None
        everything = options.full or narrowed or reread_due(run.state, *where)
        with run.state.lock:
            known = frozenset() if everything else settled_origins(run.state.conn, *where)
        source.skip_origins(known)
        return cls(run, source, keeps=not (narrowed or options.dry_run))

    def keep(self, unsettled: Iterable[str]) -> int:
        """After a read to the end: keep every origin read whose records all
        settled. Returns how many are new."""
        if self.run is None or not self.keeps:
            return 0
        run = self.run
        read: Iterable[str] = self.source.origins_read()
        settled = set(read) - set(unsettled)
        if not settled:
            return 0
        where = (run.ctx.tenant, run.ctx.connector, run.flow.name)
        at = utc_iso(run.ctx.clock.now())
        with run.state.transaction() as conn:
            return keep_settled(conn, where, sorted(settled), run.run_id, at)
