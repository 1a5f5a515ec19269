"""An in-memory connector for engine tests: its source, mapper and target are
driven by a shared `Scenario` so a test can change data, make records fail,
crash mid-write or take the remote system down."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge import Connector, Flow, Record, RecordError, Rejected, WriteResult, hookimpl
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.errors import AuthError

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "prefix": {"type": "string", "pattern": "^[A-Z]+$", "description": "Upper-case prefix."},
        "apiKey": {"x-secret": True, "description": "The API key."},
        "size": {"type": "integer", "minimum": 1},
    },
    "required": ["prefix"],
    "additionalProperties": False,
}


class Crash(BaseException):
    """Stands in for the process being killed: not an Exception, so nothing catches it."""


@dataclass
class Scenario:
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    remote: dict[str, dict[str, Any]] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)
    reject: set[str] = field(default_factory=set)  # mapper rejects these keys
    malformed: set[str] = field(default_factory=set)  # source yields Rejected
    crash_after_write: set[str] = field(default_factory=set)
    drop_after_write: set[str] = field(default_factory=set)  # write happens, then transient error
    down: bool = False
    auth_fails: bool = False
    yielded: list[str] = field(default_factory=list)
    processed_before_next: list[tuple[str, int]] = field(default_factory=list)
    seen_secret: str | None = None
    source_breaks_after: int | None = None  # the source raises after yielding this many
    hold: threading.Event | None = None  # writers wait for it; the source sets it on breaking
    auth_fail_keys: set[str] = field(default_factory=set)  # writing these: credentials refused
    fail_before_write: set[str] = field(default_factory=set)  # transient, nothing written
    twice: dict[str, str] = field(default_factory=dict)  # key -> a second, newer name yielded
    lookup_refuses: bool = False  # lookup raises a RecordError
    write_reject: set[str] = field(default_factory=set)  # target refuses these keys
    barrier: threading.Barrier | None = None  # writers wait here until N are in flight
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, key: str, name: str, updated_at: str) -> None:
        self.rows[key] = {"name": name, "updated_at": updated_at}


SCENARIO = Scenario()


class MemSource:
    def __init__(self, sc: Scenario) -> None:
        self.sc = sc

    def read(self, since: str | None) -> Iterator[Record | Rejected]:
        for key, row in sorted(self.sc.rows.items(), key=lambda kv: (kv[1]["updated_at"], kv[0])):
            if since is not None and row["updated_at"] <= since:
                continue
            if self.sc.source_breaks_after is not None and (
                len(self.sc.yielded) >= self.sc.source_breaks_after
            ):
                if self.sc.hold is not None:
                    self.sc.hold.set()
                raise OSError("the export folder went away")
            self.sc.processed_before_next.append((key, len(self.sc.writes)))
            self.sc.yielded.append(key)
            if key in self.sc.malformed:
                yield Rejected(
                    "item",
                    key,
                    RecordError(
                        "malformed input", field="name", rule="must be text", fix="correct the row"
                    ),
                )
                continue
            yield Record("item", key, {"name": row["name"]}, row["updated_at"])
            if key in self.sc.twice:  # changed while the source was being read
                yield Record("item", key, {"name": self.sc.twice[key]}, row["updated_at"] + "~")


class MemMapper:
    def __init__(self, sc: Scenario, prefix: str) -> None:
        self.sc = sc
        self.prefix = prefix

    def map(self, record: Record) -> dict[str, Any]:
        if record.key in self.sc.reject:
            raise RecordError(
                f"name {record.data['name']!r} is not accepted",
                field="name",
                value=record.data["name"],
                rule="must not be rejected",
                fix="change the name",
            )
        return {"ref": record.key, "title": f"{self.prefix}-{record.data['name']}"}


class MemTarget:
    system = "memremote"

    def __init__(self, sc: Scenario, secret: str) -> None:
        self.sc = sc
        self.secret = secret

    def write(self, payload: dict[str, Any], record: Record, binding: Any) -> WriteResult:
        with self.sc.lock:
            self.sc.in_flight += 1
            self.sc.max_in_flight = max(self.sc.max_in_flight, self.sc.in_flight)
        try:
            if self.sc.barrier is not None and not self.sc.barrier.broken:
                self.sc.barrier.wait(timeout=10)
            if self.sc.hold is not None:
                self.sc.hold.wait(timeout=10)
            with self.sc.lock:
                return self._write(payload, record, binding)
        finally:
            with self.sc.lock:
                self.sc.in_flight -= 1

    def _write(self, payload: dict[str, Any], record: Record, binding: Any) -> WriteResult:
        if record.key in self.sc.auth_fail_keys:
            raise AuthError(f"credentials {self.secret} were refused")
        if record.key in self.sc.fail_before_write:
            self.sc.fail_before_write.discard(record.key)
            raise ConnectionError("refused before anything was written")
        if record.key in self.sc.write_reject:
            raise RecordError("the remote refused it", field="title", rule="remote rule")
        if self.sc.auth_fails:
            raise AuthError(f"credentials {self.secret} were refused")
        if self.sc.down:
            raise ConnectionError(f"remote down (key was {self.secret})")
        remote_id = binding.remote_id if binding else f"R{len(self.sc.remote) + 1}"
        self.sc.remote[remote_id] = dict(payload)
        self.sc.writes.append(record.key)
        if record.key in self.sc.crash_after_write:
            self.sc.crash_after_write.discard(record.key)
            raise Crash()
        if record.key in self.sc.drop_after_write:
            self.sc.drop_after_write.discard(record.key)
            raise TimeoutError("the connection dropped before the answer came")
        return WriteResult(remote_id, "updated" if binding else "created")

    def plan(self, payload: dict[str, Any], record: Record, binding: Any) -> str:
        if record.key in self.sc.write_reject:
            raise RecordError("the remote would refuse it", field="title", rule="remote rule")
        return "update" if binding else "create"

    def lookup(self, payload: dict[str, Any], record: Record) -> WriteResult | None:
        if self.sc.lookup_refuses:
            raise RecordError("the search was refused", rule="remote rule")
        for rid, doc in self.sc.remote.items():
            if doc["ref"] == payload["ref"]:
                return WriteResult(rid, "unchanged")
        return None


def build_flows(ctx: RunContext) -> list[Flow]:
    secret = ctx.secrets.resolve(ctx.config["apiKey"]) if "apiKey" in ctx.config else "none"
    SCENARIO.seen_secret = secret
    return [
        Flow(
            "items",
            "item",
            MemSource(SCENARIO),
            MemMapper(SCENARIO, ctx.config["prefix"]),
            MemTarget(SCENARIO, secret),
        )
    ]


CONNECTOR = Connector(
    name="mem", title="In-memory test connector", config_schema=SCHEMA, build_flows=build_flows
)


@hookimpl
def register_connectors(register: Any) -> None:
    register(CONNECTOR)
