"""Counts and errors of a run, kept small: a million-record run keeps only
counters and the first errors here; every outcome is in the state database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.core.plan import Plan

MAX_ERRORS_KEPT = 100
MAX_WRITTEN_KEPT = 100
"""What a run created or updated is named in its summary up to this many
(the rest are counted); `ledgerbridge errors`/state hold every outcome."""
MAX_PLANS_KEPT = 1000
"""A dry run's per-record plans kept in its summary (the rest are counted)."""


@dataclass
class FlowSummary:
    name: str
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    created: int = 0
    updated: int = 0
    echoes: int = 0  # our own writes read back (skipped; counted in skipped)
    conflicts: int = 0  # changes outside the master (counted in failed)
    planned: dict[str, int] = field(default_factory=dict)
    stopped: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class RunSummary:
    run_id: int
    tenant: str
    connector: str
    dry_run: bool = False
    status: str = "running"
    message: str | None = None
    flows: list[FlowSummary] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_dropped: int = 0
    written: list[dict[str, Any]] = field(default_factory=list)
    written_dropped: int = 0
    plans: list[dict[str, Any]] = field(default_factory=list)
    plans_dropped: int = 0
    excluded: list[dict[str, Any]] = field(default_factory=list)
    excluded_dropped: int = 0

    @property
    def succeeded(self) -> int:
        return sum(f.succeeded for f in self.flows)

    @property
    def failed(self) -> int:
        return sum(f.failed for f in self.flows)

    @property
    def skipped(self) -> int:
        return sum(f.skipped for f in self.flows)

    def add_error(self, error: dict[str, Any]) -> None:
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(error)
        else:
            self.errors_dropped += 1

    def add_written(self, flow: str, record: str, action: str, remote_id: str | None) -> None:
        """Name a record the run created or updated (`created invoice 10023
        as 100001`), the first MAX_WRITTEN_KEPT of them; the rest are counted."""
        if len(self.written) < MAX_WRITTEN_KEPT:
            self.written.append(
                {"flow": flow, "record": record, "action": action, "remote_id": remote_id}
            )
        else:
            self.written_dropped += 1

    def add_excluded(self, flow: str, record: str, reason: str) -> None:
        """Name a record left out by rule, with why (a credit invoice that is
        not transferred), the first MAX_WRITTEN_KEPT of them."""
        if len(self.excluded) < MAX_WRITTEN_KEPT:
            self.excluded.append({"flow": flow, "record": record, "reason": reason})
        else:
            self.excluded_dropped += 1

    def add_plan(self, flow: str, record: str, plan: Plan) -> None:
        """A dry run's plan for one record (create, update with its field
        changes, leave unchanged, skip), the first MAX_PLANS_KEPT of them."""
        if len(self.plans) < MAX_PLANS_KEPT:
            self.plans.append({"flow": flow, "record": record, **plan.to_json()})
        else:
            self.plans_dropped += 1

    def finish(self) -> None:
        if self.status in ("aborted", "interrupted", "stopped"):
            return
        self.status = "failed" if self.failed else "succeeded"
        if any(f.stopped for f in self.flows):
            self.status = "failed"

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "tenant": self.tenant,
            "connector": self.connector,
            "status": self.status,
            "dry_run": self.dry_run,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "skipped": self.skipped,
            "message": self.message,
            "flows": [f.to_json() for f in self.flows],
            "errors": self.errors,
            "errors_not_shown": self.errors_dropped,
            "written": self.written,
            "written_not_shown": self.written_dropped,
            "excluded": self.excluded,
            "excluded_not_shown": self.excluded_dropped,
            **(
                {"plans": self.plans, "plans_not_shown": self.plans_dropped} if self.dry_run else {}
            ),
        }
