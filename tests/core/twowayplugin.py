"""A two-way connector over two in-memory systems, alpha and beta: the
reproduction of the A<->B sync the core's rules are tested with."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ledgerbridge import Binding, Connector, Flow, Record, WriteResult, hookimpl
from ledgerbridge.core.context import RunContext
from ledgerbridge.testing.memory import CopyMapper, MemorySource, MemorySystem, MemoryTarget

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "master": {"enum": ["alpha", "beta"], "description": "The master system for contacts."},
        "mode": {"enum": ["upsert", "create-only", "update-only", "write-once"]},
        "match": {"type": "boolean", "default": True},
        "store": {"type": "string", "description": "Folder keeping both systems as JSON files."},
        "delayMs": {"type": "integer", "minimum": 0, "description": "Added to every write."},
    },
    "required": ["master"],
    "additionalProperties": False,
}

MATCH = ("number", "name")
SYSTEMS: dict[str, MemorySystem] = {}


def reset() -> dict[str, MemorySystem]:
    SYSTEMS.clear()
    SYSTEMS["alpha"] = MemorySystem("alpha", prefix="a")
    SYSTEMS["beta"] = MemorySystem("beta", prefix="b")
    return SYSTEMS


class SlowTarget(MemoryTarget):
    """A target whose answers take a while after the write is done, so a kill
    lands between a remote write and its commit: the moment that duplicates."""

    def __init__(self, system: MemorySystem, delay: float) -> None:
        super().__init__(system, match=MATCH)
        self.delay = delay

    def write(self, payload: Any, record: Record, binding: Binding | None) -> WriteResult:
        result = super().write(payload, record, binding)
        time.sleep(self.delay)
        return result


def stored(folder: Path) -> dict[str, MemorySystem]:
    """Both systems kept in files: they outlive a process killed with SIGKILL."""
    return {
        "alpha": MemorySystem.stored(folder / "alpha.json", "alpha", prefix="a"),
        "beta": MemorySystem.stored(folder / "beta.json", "beta", prefix="b"),
    }


def _flow(name: str, src: str, dst: str, ctx: RunContext) -> Flow:
    match = MATCH if ctx.config.get("match", True) else ()
    delay = ctx.config.get("delayMs", 0) / 1000
    target = SlowTarget(SYSTEMS[dst], delay) if delay else MemoryTarget(SYSTEMS[dst], match=MATCH)
    return Flow(
        name,
        "contact",
        MemorySource(SYSTEMS[src], "contact"),
        CopyMapper(),
        target,
        master=ctx.config["master"],
        match=match,
        mode=ctx.config.get("mode", "upsert"),
    )


def build_flows(ctx: RunContext) -> list[Flow]:
    if ctx.config.get("store"):
        SYSTEMS.update(stored(Path(ctx.config["store"])))
    return [
        _flow("alpha_to_beta", "alpha", "beta", ctx),
        _flow("beta_to_alpha", "beta", "alpha", ctx),
    ]


@hookimpl
def register_connectors(register: Any) -> None:
    register(
        Connector(
            name="memsync",
            title="Contacts, alpha <-> beta",
            config_schema=SCHEMA,
            build_flows=build_flows,
        )
    )
