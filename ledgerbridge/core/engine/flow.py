"""Processing one flow: every record on its own, recorded as it goes.

For each record: pipeline hooks, skip-if-unchanged by hash, map, then (for a
new document) reconcile a pending outbox intent through the target's
`lookup`, record a new intent, write, and commit outcome + binding + cursor
in one transaction. A record that fails is recorded with its error and the
flow goes on; once a record has failed, the cursor stops moving for the rest
of the run, so the next incremental run reads that record again (the ones
written after it are skipped by hash, so nothing is sent twice).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

import pluggy

from ledgerbridge.core.clock import utc_iso
from ledgerbridge.core.components import Flow, WriteResult
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.engine.drafts import RecordDraft
from ledgerbridge.core.engine.summary import FlowSummary, RunSummary
from ledgerbridge.core.errors import AuthError, ConfigError, RecordError
from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.core.state.db import BindingWrite, StateDB

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

    # -- driving ---------------------------------------------------------

    def run(self) -> None:
        since = self._since()
        for item in self.flow.source.read(since):
            if self.only_keys is not None and item.key not in self.only_keys:
                continue
            if isinstance(item, Rejected):
                self._fail(item.entity, item.key, item.error, record=None)
            else:
                self._process(item)
            if self._transient_in_row >= MAX_CONSECUTIVE_TRANSIENT:
                self.summary.stopped = (
                    f"stopped after {self._transient_in_row} transient failures in a row; "
                    "the remote system seems unavailable. Nothing was lost: the next run "
                    "resumes from here."
                )
                return

    def _since(self) -> str | None:
        if self.ctx.options.full or self.only_keys is not None:
            return None
        return self.state.cursor(self.ctx.tenant, self.ctx.connector, self.flow.name)

    # -- one record ------------------------------------------------------

    def _process(self, record: Record) -> None:
        try:
            self._process_unsafe(record)
        except (AuthError, ConfigError):
            raise
        except RecordError as err:
            self._fail(record.entity, record.key, err, record)
        except Exception as exc:  # a plugin bug fails this record, not the run
            bug = RecordError(
                f"unexpected {type(exc).__name__} while processing: {exc}",
                fix="this is a fault in the plugin; report it with the record key",
            )
            self._fail(record.entity, record.key, bug, record)

    def _process_unsafe(self, record: Record) -> None:
        if self._has_prepare_hooks:
            prepared = self._prepare(record)
            if prepared is None:
                return
            record = prepared
        target = self.flow.target
        binding = self.ctx.bindings.get(target.system, record.entity, record.key)
        if binding is not None and binding.hash == record.hash:
            self._skip(record, "unchanged")
            return
        payload = self.flow.mapper.map(record)
        if self.ctx.options.dry_run:
            self._plan(record, payload, binding)
            return
        if binding is None:
            found = self._reconcile(record, payload)
            if found is not None:
                self._succeed(record, found, "found")
                return
            self._intend(record)
        result = self._write(record, payload, binding)
        self._succeed(record, result, result.action)

    def _prepare(self, record: Record) -> Record | None:
        draft = RecordDraft(record)
        self.pm.hook.prepare_record(draft=draft, flow=self.flow, context=self.ctx)
        if draft.skip_reason is not None:
            self._skip(record, "excluded", reason=draft.skip_reason)
            return None
        return draft.to_record()

    def _reconcile(self, record: Record, payload: Any) -> WriteResult | None:
        """A write whose outcome was never heard: ask the target before resending."""
        pending = self.state.outbox_entry(
            self.ctx.tenant, self.ctx.connector, self.flow.name, record.key
        )
        if pending is None:
            return None
        return self.flow.target.lookup(payload, record)

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

    def _write(self, record: Record, payload: Any, binding: Binding | None) -> WriteResult:
        try:
            return self.flow.target.write(payload, record, binding)
        except RecordError as err:
            if not err.retryable:  # a definite rejection: nothing was written
                self.state.clear_outbox(
                    self.ctx.tenant, self.ctx.connector, self.flow.name, record.key
                )
            raise
        except (AuthError, ConfigError):
            raise
        except Exception as exc:  # the write may or may not have happened: keep the intent
            raise as_transient(exc, self.flow.target.system) from exc

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

    def _plan(self, record: Record, payload: Any, binding: Binding | None) -> None:
        plan = getattr(self.flow.target, "plan", None)
        verb = plan(payload, record, binding) if plan else ("update" if binding else "create")
        self.state.record_outcome(**self._where(record), status="planned", action=verb)
        self.summary.planned[verb] = self.summary.planned.get(verb, 0) + 1
        self._report("planned", record.label())

    def _fail(self, entity: str, key: str, err: RecordError, record: Record | None) -> None:
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
