"""Processing one flow: every record on its own, recorded as it goes.

A record's path, in `_decide`, reads top to bottom as named steps:

    prepare    pipeline hooks may change or exclude it
    echo       our own write read back: not sent on          (sync.py)
    unchanged  its link still holds this content: skipped     (sync.py)
    map        the mapper turns it into the target's payload
    link       the link gives the target's side (the binding) (sync.py)
    match      an unlinked record pairs with what T has       (sync.py)
    conflict   master, mode: write, skip, refuse or report    (sync.py)
    reconcile  a pending intent is looked up before resending
    intend     the intent to write is committed first
    write      the target writes (maybe in a worker)
    commit     outcome, link, cursor, intent in one transaction (commit.py)

A record that fails is recorded with its error and the flow goes on.
With `workers` > 1, up to that many remote calls overlap (window.py), and
outcomes are still committed in source order.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pluggy

from ledgerbridge.core.clock import utc_iso
from ledgerbridge.core.components import Flow, WriteResult
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.engine.commit import (
    MAX_CONSECUTIVE_TRANSIENT,
    Committer,
    Reporter,
    bug,
)
from ledgerbridge.core.engine.drafts import RecordDraft
from ledgerbridge.core.engine.groups import INTENT_BATCH, IntentGroup
from ledgerbridge.core.engine.origins import Origins
from ledgerbridge.core.engine.reconcile import found_link, in_flight
from ledgerbridge.core.engine.refusals import as_failure, as_transient
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
from ledgerbridge.core.engine.window import Window
from ledgerbridge.core.errors import AuthError, ConfigError, RecordError, RunStopped, SkipRecord
from ledgerbridge.core.plan import as_plan
from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.core.state.db import StateDB
from ledgerbridge.core.state.dismissals import reread_due
from ledgerbridge.core.state.history import last_sign_of_life

__all__ = ["MAX_CONSECUTIVE_TRANSIENT", "FlowRun", "Reporter", "idempotency_key"]


@dataclass
class FlowRun:
    flow: Flow
    ctx: RunContext
    state: StateDB
    pm: pluggy.PluginManager
    run_id: int
    summary: FlowSummary
    run_summary: RunSummary
    reporter: Reporter | None = None
    move_cursor: bool = True
    only_keys: set[str] | None = None

    def __post_init__(self) -> None:
        self.rules = SyncRules(self.flow, self.state.links(self.ctx.tenant, self.ctx.connector))
        self.out = Committer(
            self.flow,
            self.ctx,
            self.state,
            self.pm,
            self.rules,
            self.run_id,
            self.summary,
            self.run_summary,
            self.reporter,
            self.move_cursor,
        )
        self._has_prepare_hooks = bool(self.pm.hook.prepare_record.get_hookimpls())
        self._dismissals = self.state.dismissals(
            self.ctx.tenant, self.ctx.connector, self.flow.name
        )
        self._sends_key = _accepts(self.flow.target.write, "idempotency_key")
        self._tells_in_flight = _accepts(getattr(self.flow.target, "lookup", None), "in_flight")
        self._last_seen: dict[int, str | None] = {}
        self._intents = IntentGroup(self.state)
        self._batch_keys: set[str] = set()  # the keys of the batch being staged
        # records staged ahead, their intents committed together: few when a
        # young intent holds a record back (in_flight_seconds), so a kill
        # leaves no more waiting than there were writes in flight
        waits = bool(getattr(self.flow.target, "in_flight_seconds", None))
        self._batch = self.workers if waits else max(self.workers, INTENT_BATCH)
        if self.ctx.options.commit_group == 1:  # each record alone, intent and outcome
            self._batch = 1
        self._pending = self.state.outbox_keys(self.ctx.tenant, self.ctx.connector, self.flow.name)
        self.out.pending = self._pending  # a key leaves it once its intent ends

    # -- driving ---------------------------------------------------------

    def run(self) -> None:
        """Stage records in source order, a batch at a time (their intents
        committed together before any write), let up to `workers` remote
        calls overlap, and commit outcomes in source order, in groups."""
        origins = Origins.for_flow(self)
        batch: list[Step] = []
        with Window(self.workers, self.flow.name, self.out.commit) as window:
            try:
                for item in self._read(batch, window):
                    if self.only_keys is not None and item.key not in self.only_keys:
                        continue
                    if item.key in self._batch_keys or _replaces(item):
                        self._submit(batch, window)  # what the record must see, first
                        self.out.flush()
                    if window.settle(item.key) or self.out.holds(item.key):
                        self.out.flush()  # its earlier write first, committed
                    batch.append(self._stage(item))
                    self._batch_keys.add(item.key)
                    if len(batch) >= self._batch:
                        self._submit(batch, window)
                    if self.out.tripped:
                        break
                if not self.out.tripped:
                    self._submit(batch, window)
                window.drain()
                self.out.flush()
                if not self.out.tripped:
                    origins.keep(self.out.unsettled)
            except Exception:
                # the source failed mid-way, or a record ended the run (credentials):
                # record what was already under way first, holding the cursor
                # back only past a record that was never recorded
                if window.aborted:
                    self.out.freeze_all()
                try:
                    window.drain()
                finally:
                    self.out.flush()
                raise
        if self.out.tripped:
            self.summary.stopped = (
                f"stopped after {self.out.transient_in_row} transient failures in a row; "
                "the remote system seems unavailable. Nothing was lost: the next run "
                "resumes from here."
            )

    def _read(self, batch: list[Step], window: Window) -> Iterator[Record | Rejected]:
        """The source's records; when the source fails mid-way, what it
        yielded before is still sent and recorded before the error ends the
        flow (those records were read, so they are under way)."""
        records = iter(self.flow.source.read(self._since()))  # type: ignore[arg-type]
        while True:
            try:
                item = next(records)
            except StopIteration:
                return
            except Exception:
                if not self.out.tripped:
                    self._submit(batch, window)
                raise
            yield item

    def _submit(self, batch: list[Step], window: Window) -> None:
        """Commit the batch's intents, then start its writes in source order."""
        self._intents.flush()
        for step in batch:
            window.add(step)
            if self.out.tripped:
                break  # the rest was never sent: its intents are looked up next run
        batch.clear()
        self._batch_keys.clear()

    @property
    def workers(self) -> int:
        return max(1, self.ctx.options.workers or self.flow.concurrency)

    def _since(self) -> str | Mapping[str, str] | None:
        """The cursor to read from: one, or one per partition."""
        partitioned = bool(getattr(self.flow.source, "partitioned", False))
        if self.ctx.options.full or self.only_keys is not None:
            return {} if partitioned else None
        where = (self.ctx.tenant, self.ctx.connector, self.flow.name)
        if reread_due(self.state, *where):
            # an undone dismissal: read it again, wherever the cursor is
            return {} if partitioned else None
        if partitioned:
            return self.state.partition_cursors(*where)
        return self.state.cursor(*where)

    # -- staging one record (engine thread) --------------------------------

    def _stage(self, item: Record | Rejected) -> Step:
        source_hash = item.hash if isinstance(item, Record) else None
        if self._dismissed(item, source_hash):
            record = (
                item
                if isinstance(item, Record)
                else Record(item.entity, item.key, {}, item.updated_at, cursor=item.cursor)
            )
            return Step(
                item.entity,
                item.key,
                record,
                outcome=Skipped("dismissed"),
                partition=item.partition,
                origin=item.origin,
            )
        if isinstance(item, Rejected):
            failed = Failed(item.error)
            return Step(
                item.entity,
                item.key,
                None,
                outcome=failed,
                partition=item.partition,
                origin=item.origin,
            )
        step = Step(
            item.entity,
            item.key,
            item,
            source_hash=source_hash,
            partition=item.partition,
            origin=item.origin,
        )
        try:
            self._decide(step, item)
        except (AuthError, ConfigError, RunStopped):
            raise
        except RecordError as err:
            step.outcome = Failed(err)
        except SkipRecord as skip:  # not sent by the connector's rule: skipped, with why
            step.outcome = Skipped("excluded", skip.reason)
        except Exception as exc:  # a plugin bug fails this record, not the run
            step.outcome = Failed(bug(exc))
        return step

    def _dismissed(self, item: Record | Rejected, source_hash: str | None) -> bool:
        """An operator dismissed this failure (`ledgerbridge dismiss`): the same
        version (as the source yielded it) is skipped; a changed record, or a
        rejected input that now reads as a record, is tried again."""
        if item.key not in self._dismissals:
            return False
        dismissed = self._dismissals[item.key]
        if isinstance(item, Rejected):
            return dismissed is None
        return dismissed is not None and dismissed == source_hash

    def _decide(self, step: Step, record: Record) -> None:
        """The record's path, step by step (see the module docstring)."""
        prepared = self._prepare(step, record)  # prepare
        if prepared is None:
            return
        record = step.record = prepared
        linked = self.rules.link(record)
        settled = self.rules.settled(record, linked)  # echo, unchanged
        if settled is not None:
            # linked meanwhile (the other flow paired it after a lost answer):
            # a create still intended here is moot
            pending = record.key in self._pending
            step.outcome = Skipped(settled.action, settled.reason, clear_intent=pending)
            return
        payload = self.flow.mapper.map(record)  # map
        linked = step.linked = self.rules.match(record, linked)  # link, match
        verdict = self.rules.verdict(record, linked, payload)  # conflict, mode
        if verdict is not None:
            step.outcome = verdict
            return
        if self.ctx.options.dry_run:
            step.work = self._remote(lambda: self._plan(record, payload, linked), dry=True)
            return
        if linked.target is None:
            if self._reconcile(step, record, payload):  # reconcile
                return
            self._intend(record)  # intend: what a lost answer is compared with
        step.work = self._remote(lambda: self._send(record, payload, linked))  # write

    def _prepare(self, step: Step, record: Record) -> Record | None:
        if not self._has_prepare_hooks:
            return record
        draft = RecordDraft(record)
        self.pm.hook.prepare_record(draft=draft, flow=self.flow, context=self.ctx)
        if draft.skip_reason is not None:
            step.outcome = Skipped("excluded", draft.skip_reason)
            return None
        return draft.to_record()

    def _reconcile(self, step: Step, record: Record, payload: Any) -> bool:
        """A write of this record whose answer was never heard (a crash, a
        drop): ask the target, here on the engine's thread (it is rare), before
        anything is sent again. True when that decided the step."""
        if record.key not in self._pending:
            return False  # no intent was left by an earlier run (the common case)
        entry = self.state.outbox_entry(
            self.ctx.tenant, self.ctx.connector, self.flow.name, record.key
        )
        if entry is None:
            return False
        sent_hash = str(entry["record_hash"])
        still = in_flight(self.flow, entry, self.ctx.clock.now(), self._seen(entry["run_id"]))
        try:
            if self._tells_in_flight:  # a document of several calls may be half made yet
                found = self.flow.target.lookup(payload, record, in_flight=still is not None)  # type: ignore[call-arg]
            else:
                found = self.flow.target.lookup(payload, record)
        except (AuthError, ConfigError, RunStopped, RecordError):
            raise  # a RecordError fails the step and keeps the intent
        except Exception as exc:
            raise as_transient(exc, self.flow.target.system) from exc
        if found is None:
            if still is not None:
                step.outcome = Failed(still)  # keeps the intent: the next run looks again
                return True
            return False  # nothing was written: a fresh intent, then a normal write
        if sent_hash == record.hash:
            step.outcome = Succeeded(found, "found")
        else:
            step.work = self._remote(lambda: self._update_found(record, payload, found, sent_hash))
        return True

    def _seen(self, run_id: int) -> str | None:
        """The last sign of life of the run that left an intent (once per run)."""
        if run_id not in self._last_seen:
            self._last_seen[run_id] = last_sign_of_life(self.state, int(run_id))
        return self._last_seen[run_id]

    def _intend(self, record: Record) -> None:
        self._pending.add(record.key)  # yielded again in this run: reconcile it too
        key = idempotency_key(self.ctx.tenant, self.ctx.connector, self.flow.name, record)
        self._intents.add(
            {
                "tenant": self.ctx.tenant,
                "connector": self.ctx.connector,
                "flow": self.flow.name,
                "key": record.key,
                "idempotency_key": key,
                "record_hash": record.hash,
                "run_id": self.run_id,
                "at": utc_iso(self.ctx.clock.now()),
            }
        )

    # -- the remote part (a worker, or the engine thread) ----------------------

    def _remote(self, call: Callable[[], Outcome], dry: bool = False) -> Callable[[], Outcome]:
        """Wrap the remote call: per-record failures become outcomes; credential
        and config problems (the whole run's) and interruptions propagate. A
        definite refusal ends the record's intent, except in a dry run, which
        changes nothing."""

        def run() -> Outcome:
            try:
                return call()
            except (AuthError, ConfigError, RunStopped):
                raise
            except Exception as exc:
                return as_failure(exc, self.flow.target.system, dry=dry)

        return run

    def _send(self, record: Record, payload: Any, linked: Linked) -> Outcome:
        binding = linked.binding(record.key)
        if binding is not None and self.flow.update_if_newer:
            kept = self._remote_is_newer(record, payload, binding)
            if kept is not None:
                return Skipped("kept", kept)
        result = self._write(payload, record, binding)
        return Succeeded(result, result.action)

    def _write(self, payload: Any, record: Record, binding: Any) -> WriteResult:
        if self._sends_key:
            key = idempotency_key(self.ctx.tenant, self.ctx.connector, self.flow.name, record)
            return self.flow.target.write(payload, record, binding, idempotency_key=key)  # type: ignore[call-arg]
        return self.flow.target.write(payload, record, binding)

    def _remote_is_newer(self, record: Record, payload: Any, binding: Any) -> str | None:
        """Update if newer: the target counts as changed only when its stamp
        now differs from the one seen after our own write; then only a source
        change made after it is sent. Returns why it is kept, or None."""
        current = self.flow.target.remote_version(payload, record, binding)  # type: ignore[attr-defined]
        return self.rules.kept_as_newer(record, current, binding.remote_updated_at)

    def _update_found(
        self, record: Record, payload: Any, found: WriteResult, sent_hash: str
    ) -> Outcome:
        """The target has the document, written from an older version of the
        record (it changed while the answer was lost). Link what exists, then
        write the change as an update; a target that does not update (an
        invoice is sent once) refuses it, and the link is kept either way so
        nothing is created twice."""
        older = found_link(self.flow, record, found, sent_hash)
        target = older.sides[1]
        if self.flow.mode == "write-once":
            error = self.rules.sent_once(record, target.key, payload)
            return Failed(error, clear_intent=True, link=older)
        binding = Binding(
            target.system,
            record.entity,
            record.key,
            target.key,
            sent_hash,
            target.version,
            utc_iso(self.ctx.clock.now()),
        )
        try:
            result = self._write(payload, record, binding)
        except (AuthError, ConfigError, RunStopped):
            raise
        except Exception as exc:
            failed = as_failure(exc, self.flow.target.system)
            return Failed(failed.error, clear_intent=True, link=older)
        return Succeeded(result, result.action)

    def _plan(self, record: Record, payload: Any, linked: Linked) -> Outcome:
        binding = linked.binding(record.key)
        plan = getattr(self.flow.target, "plan", None)
        found = as_plan(
            plan(payload, record, binding) if plan else ("update" if binding else "create")
        )
        return Planned(found.verb, found)


def _replaces(item: Record | Rejected) -> bool:
    return isinstance(item, Record) and item.replaces is not None


def _accepts(func: Callable[..., Any] | None, name: str) -> bool:
    if func is None:
        return False
    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def idempotency_key(tenant: str, connector: str, flow: str, record: Record) -> str:
    """Same record content in the same flow -> same key, across runs and crashes."""
    raw = "\x1f".join((tenant, connector, flow, record.key, record.hash))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]
