"""A two-way connector over two in-memory systems, alpha and beta: the
reproduction of the A<->B sync the core's rules are tested with."""

from __future__ import annotations

from typing import Any

from ledgerbridge import Connector, Flow, hookimpl
from ledgerbridge.core.context import RunContext
from ledgerbridge.testing.memory import CopyMapper, MemorySource, MemorySystem, MemoryTarget

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "master": {"enum": ["alpha", "beta"], "description": "The master system for contacts."},
        "mode": {"enum": ["upsert", "create-only", "update-only", "write-once"]},
        "match": {"type": "boolean", "default": True},
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


def _flow(name: str, src: str, dst: str, ctx: RunContext) -> Flow:
    match = MATCH if ctx.config.get("match", True) else ()
    return Flow(
        name,
        "contact",
        MemorySource(SYSTEMS[src], "contact"),
        CopyMapper(),
        MemoryTarget(SYSTEMS[dst], match=MATCH),
        master=ctx.config["master"],
        match=match,
        mode=ctx.config.get("mode", "upsert"),
    )


def build_flows(ctx: RunContext) -> list[Flow]:
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
