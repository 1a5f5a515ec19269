"""Committing outcomes: what a record's step ended in, recorded in state.

Outcome, link sides, cursor and the end of the outbox intent commit in one
transaction per record, so a run killed at any point leaves state the next
run resumes from. Cursors are kept per partition; once a record of a
partition fails, that partition's cursor stops moving for the rest of the
run, so the next run reads the failed record again (the others are skipped
by their links). A conflict is reported without holding the cursor back:
the record stays changed against its link until the master settles it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import pluggy

from ledgerbridge.core.clock import utc_iso
from ledgerbridge.core.components import Flow, WriteResult
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.engine.groups import DEFAULT_GROUP, OutcomeGroup
from ledgerbridge.core.engine.steps import (
    Failed,
    Linked,
    Outcome,
    Planned,
    Skipped,
    Step,
    Succeeded,
)
from ledgerbridge.core.engine.summary import FlowSummary, RunSummary
from ledgerbridge.core.engine.sync import SyncRules
from ledgerbridge.core.errors import RecordError, StillInFlight
from ledgerbridge.core.plan import Plan
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.db import StateDB

# After this many transient failures in a row the remote system is taken to be
# down: the flow stops instead of failing every remaining record slowly.
MAX_CONSECUTIVE_TRANSIENT = 5

ALL_PARTITIONS = "\x00all"


class Reporter(Protocol):
    def record_done(self, flow: str, status: str, label: str) -> None: ...


@dataclass
class Committer:
    flow: Flow
    ctx: RunContext
    state: StateDB
    pm: pluggy.PluginManager
    rules: SyncRules
    run_id: int
    summary: FlowSummary
    run_summary: RunSummary
    reporter: Reporter | None = None
    move_cursor: bool = True
    frozen: set[str] = field(default_factory=set)
    transient_in_row: int = 0
    unsettled: set[str] = field(default_factory=set)  # origins to read again
    # keys with an open intent (the flow's); one whose intent ends leaves it,
    # so the set stays as small as what is in flight or failed, not the run
    pending: set[str] = field(default_factory=set)
    _no_written_hook: bool | None = None
    group: OutcomeGroup | None = None

    def __post_init__(self) -> None:
        if self.group is None:
            size = self.ctx.options.commit_group or DEFAULT_GROUP
            self.group = OutcomeGroup(self.state, size=size)

    def flush(self) -> None:
        """Commit the outcomes kept so far (see groups.py)."""
        assert self.group is not None
        self.group.flush()

    def holds(self, key: str) -> bool:
        assert self.group is not None
        return self.group.holds(key)

    def _record(self, outcome: dict[str, Any], after: Callable[[], None] | None = None) -> None:
        assert self.group is not None
        if outcome.get("clear_outbox"):
            self.pending.discard(str(outcome["key"]))
        self.group.add(outcome, after)

    def commit(self, step: Step, outcome: Outcome) -> None:
        record = step.record
        if step.origin is not None and not isinstance(outcome, Succeeded | Skipped):
            self.unsettled.add(step.origin)
        if isinstance(outcome, Failed):
            self.fail(step, outcome)
            return
        assert record is not None
        if isinstance(outcome, Succeeded):
            self.succeed(record, outcome.result, outcome.action, step.linked)
        elif isinstance(outcome, Skipped):
            self.skip(record, outcome.action, outcome.reason, outcome.clear_intent)
        else:
            self.planned(record, outcome)

    @property
    def tripped(self) -> bool:
        return self.transient_in_row >= MAX_CONSECUTIVE_TRANSIENT

    def freeze_all(self) -> None:
        self.frozen.add(ALL_PARTITIONS)

    # -- outcomes --------------------------------------------------------------

    def succeed(self, record: Record, result: WriteResult, action: str, linked: Linked) -> None:
        self.transient_in_row = 0
        self._record(
            dict(
                **self._where(record),
                status="succeeded",
                action=action,
                remote_id=result.remote_id,
                link=self.rules.link_write(record, result, linked, action),
                **self._cursor(record),
                clear_outbox=True,
            ),
            self._written_hook(record, result),
        )
        self.summary.succeeded += 1
        if action == "created":
            self.summary.created += 1
        elif action == "updated":
            self.summary.updated += 1
        if action in ("created", "updated"):
            self.run_summary.add_written(self.flow.name, record.label(), action, result.remote_id)
        self._report("succeeded", record.label())

    def skip(
        self, record: Record, action: str, reason: str | None = None, clear_intent: bool = False
    ) -> None:
        self._record(
            dict(
                **self._where(record),
                status="skipped",
                action=action,
                error={"message": reason} if reason else None,
                **self._cursor(record),
                clear_outbox=clear_intent,
            )
        )
        self.summary.skipped += 1
        if action == "echo":
            self.summary.echoes += 1
        if action == "excluded" and reason and not self.ctx.options.dry_run:
            self.run_summary.add_excluded(self.flow.name, record.label(), reason)
        if self.ctx.options.dry_run and action != "unchanged":  # unchanged: counted only
            self.run_summary.add_plan(
                self.flow.name, record.label(), Plan("skip", note=reason or action)
            )
        self._report("skipped", record.label())

    def planned(self, record: Record, plan: Planned) -> None:
        self._record(dict(**self._where(record), status="planned", action=plan.verb))
        self.summary.planned[plan.verb] = self.summary.planned.get(plan.verb, 0) + 1
        self.run_summary.add_plan(self.flow.name, record.label(), plan.plan or Plan(plan.verb))
        self._report("planned", record.label())

    def fail(self, step: Step, outcome: Failed) -> None:
        """Record the failure; with it, in the same transaction, the link of a
        document found to exist, and the end of an intent known to be moot."""
        err = outcome.error
        record = step.record
        conflict = outcome.action == "conflict"
        if not conflict:
            self.frozen.add(_partition(step.partition))
        if not isinstance(err, StillInFlight):  # waiting is no sign of an outage
            self.transient_in_row = self.transient_in_row + 1 if err.retryable else 0
        shown = self.ctx.redactor.redact_obj(err.to_json())
        shown["error"] = self.ctx.redactor.redact(str(err))
        if conflict:
            shown["kind"] = "conflict"
        failed = dict(
            run_id=self.run_id,
            tenant=self.ctx.tenant,
            connector=self.ctx.connector,
            flow=self.flow.name,
            entity=step.entity,
            key=step.key,
            status="failed",
            action=outcome.action,
            at=self._now(),
            error=shown,
            link=outcome.link,
            clear_outbox=outcome.clear_intent,
            hash=step.source_hash,  # what `dismiss` compares later reads with
            **(self._cursor(record) if (conflict and record is not None) else {}),
        )

        def after() -> None:
            if record is not None:
                self._notify("record_failed", record=record, error=err)

        self._record(failed, after)
        self.summary.failed += 1
        if conflict:
            self.summary.conflicts += 1
        label = f"{step.entity} {step.key}"
        self.run_summary.add_error({"flow": self.flow.name, "record": label, **shown})
        self._report("failed", label)

    # -- helpers ---------------------------------------------------------------

    def _cursor(self, record: Record | None) -> dict[str, Any]:
        """The cursor move this record allows: none once its partition (or
        the whole flow) is frozen, in a narrowed run, or in a dry run."""
        if record is None or not self.move_cursor or self.ctx.options.dry_run:
            return {}
        part = _partition(record.partition)
        if ALL_PARTITIONS in self.frozen or part in self.frozen:
            return {}
        value = record.cursor_value
        return {"cursor": value, "partition": part} if value is not None else {}

    def _where(self, record: Record) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "tenant": self.ctx.tenant,
            "connector": self.ctx.connector,
            "flow": self.flow.name,
            "entity": record.entity,
            "key": record.key,
            "at": self._now(),
        }

    def _written_hook(self, record: Record, result: WriteResult) -> Callable[[], None] | None:
        """The `record_written` call to make once committed; None when no
        plugin implements it (the common case: nothing to queue per record)."""
        if self._no_written_hook is None:
            self._no_written_hook = not self.pm.hook.record_written.get_hookimpls()
        if self._no_written_hook:
            return None
        return lambda: self._notify("record_written", record=record, result=result)

    def _notify(self, hook: str, **kwargs: Any) -> None:
        """Observer hooks run after state committed: a plugin raising here is
        logged, and never turns the record's recorded outcome into another."""
        try:
            getattr(self.pm.hook, hook)(flow=self.flow, context=self.ctx, **kwargs)
        except Exception as exc:
            self.ctx.log.warning(
                "a %s hook raised %s: %s",
                hook,
                type(exc).__name__,
                self.ctx.redactor.redact(str(exc)),
            )

    def _now(self) -> str:
        return utc_iso(self.ctx.clock.now())

    def _report(self, status: str, label: str) -> None:
        if self.reporter is not None:
            self.reporter.record_done(self.flow.name, status, label)


def _partition(partition: str | None) -> str:
    return partition or ""


def bug(exc: Exception) -> RecordError:
    return RecordError(
        f"unexpected {type(exc).__name__} while processing: {exc}",
        fix="this is a fault in the plugin; report it with the record key",
    )
