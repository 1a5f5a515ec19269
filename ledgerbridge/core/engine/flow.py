"""Processing one flow: every record on its own, recorded as it goes.

For each record: pipeline hooks, skip-if-unchanged by hash, map, then (for a
new document) reconcile a pending outbox intent through the target's
`lookup`, record a new intent, write, and commit outcome + binding + cursor
in one transaction. A record that fails is recorded with its error and the
flow goes on; once a record has failed, the cursor stops moving for the rest
of the run, so the next incremental run reads that record again (the ones
written after it are skipped by hash, so nothing is sent twice).

With `workers` > 1 (Flow.concurrency, or `run --workers`), up to that many
remote calls overlap in a thread pool: everything touching state stays on the
engine's thread, and outcomes are committed in source order (see steps.py),
so the promises above hold unchanged.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import pluggy

from ledgerbridge.core.clock import utc_iso
from ledgerbridge.core.components import Flow, WriteResult
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.engine.drafts import RecordDraft
from ledgerbridge.core.engine.steps import Failed, Outcome, Planned, Skipped, Step, Succeeded
from ledgerbridge.core.engine.summary import FlowSummary, RunSummary
from ledgerbridge.core.errors import AuthError, ConfigError, RecordError
from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.core.state.db import BindingWrite, StateDB
from ledgerbridge.core.state.dismissals import reread_due

# After this many transient failures in a row the remote system is taken to be
# down: the flow stops instead of failing every remaining record slowly.
MAX_CONSECUTIVE_TRANSIENT = 5


class Reporter(Protocol):
    def record_done(self, flow: str, status: str, label: str) -> None: ...


class FlowStopped(Exception):
    """The flow cannot go on (remote down); the run records why."""


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
        self._cursor_frozen = False
        self._transient_in_row = 0
        self._has_prepare_hooks = bool(self.pm.hook.prepare_record.get_hookimpls())
        self._dismissals = self.state.dismissals(
            self.ctx.tenant, self.ctx.connector, self.flow.name
        )

    # -- driving ---------------------------------------------------------

    def run(self) -> None:
        """Stage records in source order, let up to `workers` remote calls
        overlap, and commit each outcome in source order."""
        window: deque[Step] = deque()
        workers = self.workers
        pool = (
            ThreadPoolExecutor(workers, thread_name_prefix=f"lb-{self.flow.name}")
            if (workers > 1)
            else None
        )
        try:
            try:
                for item in self.flow.source.read(self._since()):
                    if self.only_keys is not None and item.key not in self.only_keys:
                        continue
                    if any(open_step.key == item.key for open_step in window):
                        self._drain_through(window, item.key)  # its earlier write first
                    step = self._stage(item)
                    if step.work is not None and pool is not None:
                        step.future = pool.submit(step.work)
                    window.append(step)
                    self._drain(window, keep=workers - 1)
                    if self._tripped():
                        break
            except Exception:
                # the source failed mid-way: record what was already under way first
                self._drain(window, keep=0)
                raise
            self._drain(window, keep=0)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        if self._tripped():
            self.summary.stopped = (
                f"stopped after {self._transient_in_row} transient failures in a row; "
                "the remote system seems unavailable. Nothing was lost: the next run "
                "resumes from here."
            )

    @property
    def workers(self) -> int:
        return max(1, self.ctx.options.workers or self.flow.concurrency)

    def _drain(self, window: deque[Step], keep: int) -> None:
        """Commit finished steps from the front; wait while more than `keep` are open."""
        while window and (len(window) > keep or window[0].ready()):
            self._commit_next(window)

    def _drain_through(self, window: deque[Step], key: str) -> None:
        """Commit up to and including the open step of `key`: a record yielded
        twice in a run (it changed while a paged source was read) must see
        the binding its first write leaves, or it would be created twice."""
        while any(step.key == key for step in window):
            self._commit_next(window)

    def _commit_next(self, window: deque[Step]) -> None:
        step = window.popleft()
        try:
            outcome = step.result()
        except BaseException:
            # the run ends here (credentials, config, interruption): this record
            # was never recorded, so the cursor must not move past it
            self._cursor_frozen = True
            raise
        self._commit(step, outcome)

    def _tripped(self) -> bool:
        return self._transient_in_row >= MAX_CONSECUTIVE_TRANSIENT

    def _since(self) -> str | None:
        if self.ctx.options.full or self.only_keys is not None:
            return None
        if reread_due(self.state, self.ctx.tenant, self.ctx.connector, self.flow.name):
            return None  # an undone dismissal: read it again, wherever the cursor is
        return self.state.cursor(self.ctx.tenant, self.ctx.connector, self.flow.name)

    # -- staging one record (engine thread) --------------------------------

    def _stage(self, item: Record | Rejected) -> Step:
        source_hash = item.hash if isinstance(item, Record) else None
        if self._dismissed(item, source_hash):
            record = (
                item
                if isinstance(item, Record)
                else Record(item.entity, item.key, {}, item.updated_at)  # for bookkeeping only
            )
            return Step(item.entity, item.key, record, outcome=Skipped("dismissed"))
        if isinstance(item, Rejected):
            return Step(item.entity, item.key, None, outcome=Failed(item.error))
        step = Step(item.entity, item.key, item, source_hash=source_hash)
        try:
            self._decide(step, item)
        except (AuthError, ConfigError):
            raise
        except RecordError as err:
            step.outcome = Failed(err)
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
        if self._has_prepare_hooks:
            draft = RecordDraft(record)
            self.pm.hook.prepare_record(draft=draft, flow=self.flow, context=self.ctx)
            if draft.skip_reason is not None:
                step.outcome = Skipped("excluded", draft.skip_reason)
                return
            record = step.record = draft.to_record()
        target = self.flow.target
        binding = self.ctx.bindings.get(target.system, record.entity, record.key)
        if binding is not None and binding.hash == record.hash:
            step.outcome = Skipped("unchanged")
            return
        payload = self.flow.mapper.map(record)
        if self.ctx.options.dry_run:
            step.work = self._remote(lambda: self._plan(record, payload, binding), dry=True)
            return
        if binding is None and self._reconcile(step, record, payload):
            return
        if binding is None:
            self._intend(record)  # for this version: what a lost answer is compared with
        step.work = self._remote(lambda: self._send(record, payload, binding))

    def _reconcile(self, step: Step, record: Record, payload: Any) -> bool:
        """A write of this record whose answer was never heard (a crash, a
        drop): ask the target, here on the engine's thread (it is rare), before
        anything is sent again. True when that decided the step."""
        entry = self.state.outbox_entry(
            self.ctx.tenant, self.ctx.connector, self.flow.name, record.key
        )
        if entry is None:
            return False
        sent_hash = str(entry["record_hash"])
        try:
            found = self.flow.target.lookup(payload, record)
        except (AuthError, ConfigError, RecordError):
            raise  # a RecordError fails the step and keeps the intent
        except Exception as exc:
            raise as_transient(exc, self.flow.target.system) from exc
        if found is None:
            return False  # nothing was written: a fresh intent, then a normal write
        if sent_hash == record.hash:
            step.outcome = Succeeded(found, "found")
        else:
            step.work = self._remote(lambda: self._update_found(record, payload, found, sent_hash))
        return True

    def _intend(self, record: Record) -> None:
        self.state.add_outbox(
            tenant=self.ctx.tenant,
            connector=self.ctx.connector,
            flow=self.flow.name,
            key=record.key,
            idempotency_key=idempotency_key(
                self.ctx.tenant, self.ctx.connector, self.flow.name, record
            ),
            record_hash=record.hash,
            run_id=self.run_id,
            at=self._now(),
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
            except (AuthError, ConfigError):
                raise
            except RecordError as err:
                return Failed(err, clear_intent=not err.retryable and not dry)
            except Exception as exc:  # the write may or may not have happened: keep the intent
                return Failed(as_transient(exc, self.flow.target.system))

        return run

    def _send(self, record: Record, payload: Any, binding: Binding | None) -> Outcome:
        result = self.flow.target.write(payload, record, binding)
        return Succeeded(result, result.action)

    def _update_found(
        self, record: Record, payload: Any, found: WriteResult, sent_hash: str
    ) -> Outcome:
        """The target has the document, written from an older version of the
        record (it changed while the answer was lost). Bind what exists, then
        write the change as an update; a target that does not update (an
        invoice is sent once) refuses it, and the binding is kept either way so
        nothing is created twice."""
        older = BindingWrite(
            self.flow.target.system,
            record.entity,
            record.key,
            found.remote_id,
            sent_hash,
            found.remote_updated_at,
        )
        binding = Binding(**older.__dict__, updated_at=self._now())
        try:
            result = self.flow.target.write(payload, record, binding)
        except (AuthError, ConfigError):
            raise
        except RecordError as err:
            return Failed(err, clear_intent=True, binding=older)
        except Exception as exc:
            return Failed(as_transient(exc, self.flow.target.system), True, older)
        return Succeeded(result, result.action)

    def _plan(self, record: Record, payload: Any, binding: Binding | None) -> Outcome:
        plan = getattr(self.flow.target, "plan", None)
        return Planned(
            plan(payload, record, binding) if plan else ("update" if binding else "create")
        )

    # -- committing (engine thread, source order) -------------------------------

    def _commit(self, step: Step, outcome: Outcome) -> None:
        record = step.record
        if isinstance(outcome, Failed):
            self._fail(step.entity, step.key, outcome.error, record, outcome, step.source_hash)
            return
        assert record is not None
        if isinstance(outcome, Succeeded):
            self._succeed(record, outcome.result, outcome.action)
        elif isinstance(outcome, Skipped):
            self._skip(record, outcome.action, outcome.reason)
        else:
            self._planned(record, outcome.verb)

    # -- outcomes --------------------------------------------------------

    def _succeed(self, record: Record, result: WriteResult, action: str) -> None:
        self._transient_in_row = 0
        self.state.record_outcome(
            **self._where(record),
            status="succeeded",
            action=action,
            remote_id=result.remote_id,
            binding=BindingWrite(
                self.flow.target.system,
                record.entity,
                record.key,
                result.remote_id,
                record.hash,
                result.remote_updated_at,
            ),
            cursor=self._cursor(record),
            clear_outbox=True,
        )
        self.summary.succeeded += 1
        if action == "created":
            self.summary.created += 1
        elif action == "updated":
            self.summary.updated += 1
        self._report("succeeded", record.label())
        self._notify("record_written", record=record, result=result)

    def _skip(self, record: Record, action: str, reason: str | None = None) -> None:
        self.state.record_outcome(
            **self._where(record),
            status="skipped",
            action=action,
            error={"message": reason} if reason else None,
            cursor=self._cursor(record),
        )
        self.summary.skipped += 1
        self._report("skipped", record.label())

    def _planned(self, record: Record, verb: str) -> None:
        self.state.record_outcome(**self._where(record), status="planned", action=verb)
        self.summary.planned[verb] = self.summary.planned.get(verb, 0) + 1
        self._report("planned", record.label())

    def _fail(
        self,
        entity: str,
        key: str,
        err: RecordError,
        record: Record | None,
        outcome: Failed | None = None,
        source_hash: str | None = None,
    ) -> None:
        """Record the failure; with it, in the same transaction, the binding of
        a document found to exist, and the end of an intent known to be moot."""
        self._cursor_frozen = True
        self._transient_in_row = self._transient_in_row + 1 if err.retryable else 0
        shown = self.ctx.redactor.redact_obj(err.to_json())
        shown["error"] = self.ctx.redactor.redact(str(err))
        self.state.record_outcome(
            run_id=self.run_id,
            tenant=self.ctx.tenant,
            connector=self.ctx.connector,
            flow=self.flow.name,
            entity=entity,
            key=key,
            status="failed",
            at=self._now(),
            error=shown,
            binding=outcome.binding if outcome else None,
            clear_outbox=bool(outcome and outcome.clear_intent),
            hash=source_hash,  # what `dismiss` compares later reads with
        )
        self.summary.failed += 1
        self.run_summary.add_error({"flow": self.flow.name, "record": f"{entity} {key}", **shown})
        self._report("failed", f"{entity} {key}")
        if record is not None:
            self._notify("record_failed", record=record, error=err)

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

    def _cursor(self, record: Record) -> str | None:
        if self._cursor_frozen or not self.move_cursor or self.ctx.options.dry_run:
            return None
        return record.updated_at

    def _now(self) -> str:
        return utc_iso(self.ctx.clock.now())

    def _report(self, status: str, label: str) -> None:
        if self.reporter is not None:
            self.reporter.record_done(self.flow.name, status, label)


def bug(exc: Exception) -> RecordError:
    return RecordError(
        f"unexpected {type(exc).__name__} while processing: {exc}",
        fix="this is a fault in the plugin; report it with the record key",
    )


def as_transient(exc: Exception, system: str) -> RecordError:
    """An unexpected failure during a write: retryable, and the outbox entry
    stays so the next run asks the target before sending again."""
    convert = getattr(exc, "to_record_error", None)
    if callable(convert):
        err = convert()
        if isinstance(err, RecordError):
            return err
    return RecordError(
        f"writing to {system} failed: {type(exc).__name__}: {exc}",
        rule="the remote system must answer the write",
        fix="run again later; the engine checks whether the write happened before resending",
        retryable=True,
    )


def idempotency_key(tenant: str, connector: str, flow: str, record: Record) -> str:
    """Same record content in the same flow -> same key, across runs and crashes."""
    raw = "\x1f".join((tenant, connector, flow, record.key, record.hash))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]
