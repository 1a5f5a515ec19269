"""The end-to-end harness for the visma_net connector: export files in a
folder, a tenant pointing at the in-process Visma.net emulator, runs through
the engine on a FakeClock, and what Visma.net received."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vn_builders import Invoice, export_xml, write_export

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.engine import RunSummary
from ledgerbridge.core.sandbox import JournalEntry, Sandbox
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.visma_net.emulator import VismaState
from ledgerbridge.plugins.visma_net.emulator.testing import connection, make_sandbox

TENANT = "acme"
CONNECTOR = "visma_net"
VAT_CODES = {"25%": "01", "12%": "02", "6%": "03", "0%": "05", "EU": "08"}
# The real Visma.net tenant id a test stores; must never show up anywhere.
REAL_TENANT_ID = "7f3c9e2a-tenant-secret-4b1d"


def base_config(sandbox: Sandbox, folder: Path, **overrides: Any) -> dict[str, Any]:
    """A visma_net config reaching the sandbox's emulator (demo client), with
    the client secret and tenant id stored as secrets."""
    conn = connection(sandbox)
    config: dict[str, Any] = {
        "tenantId": {"secret": "visma_tenant_id"},
        "clientId": conn["clientId"],
        "clientSecret": {"secret": "visma_client_secret"},
        "officeCode": "12345",
        "exportFolder": str(folder),
        "vatCodes": dict(VAT_CODES),
        "apiBaseUrl": conn["apiBaseUrl"],
        "tokenUrl": conn["tokenUrl"],
    }
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}


def served_workspace(path: Path, sandbox: Sandbox, folder: Path, **overrides: Any) -> Workspace:
    """A workspace at `path` whose tenant reaches `sandbox` (served on a
    socket), for a `ledgerbridge run` in a child process: the base config
    with `overrides`, its secrets stored."""
    ws = Workspace(path)
    conn = connection(sandbox)
    tenant = ws.add_tenant(TENANT)
    config = base_config(sandbox, folder, **overrides)
    tenant.connectors[CONNECTOR] = {"enabled": True, "config": config}
    ws.save_tenant(tenant)
    ws.secrets.set(TENANT, "visma_tenant_id", conn["tenantId"])
    ws.secrets.set(TENANT, "visma_client_secret", conn["clientSecret"])
    return ws


@dataclass
class VismaEnv:
    """One tenant, one export folder, one emulated Visma.net company."""

    workspace: Workspace
    tenant_factory: Any
    runner: Any
    clock: FakeClock
    folder: Path
    sandbox: Sandbox
    state: VismaState
    config: dict[str, Any] = field(default_factory=dict)
    files: int = 0

    # -- set-up -------------------------------------------------------------

    def configure(self, secrets: Mapping[str, str] | None = None, **overrides: Any) -> None:
        """(Re)write the tenant's config: the base config with `overrides`."""
        conn = connection(self.sandbox)
        self.config = base_config(self.sandbox, self.folder, **overrides)
        stored = {
            "visma_tenant_id": conn["tenantId"],
            "visma_client_secret": conn["clientSecret"],
            **(secrets or {}),
        }
        self.tenant_factory(TENANT, connector=CONNECTOR, config=self.config, secrets=stored)

    def export(self, invoices: Sequence[Invoice], name: str | None = None, **kwargs: Any) -> Path:
        """Write one export file with these invoices (UTF-8 unless told)."""
        self.files += 1
        codec = kwargs.pop("codec", "utf-8")
        kwargs.setdefault("created", f"2024-06-01T08:{self.files:02d}:00")
        return write_export(
            self.folder,
            name or f"export-{self.files:02d}.xml",
            export_xml(invoices, **kwargs),
            codec,
        )

    # -- running --------------------------------------------------------------

    def run(self, **options: Any) -> RunSummary:
        summary: RunSummary = self.runner(
            TENANT, CONNECTOR, transport=self.sandbox.transport(), clock=self.clock, **options
        )
        return summary

    # -- what Visma.net received ------------------------------------------------

    def invoice(self, number: str) -> dict[str, Any]:
        """The received body of the one invoice with this external reference."""
        return one(self.docs("invoices", number))["received"]

    def docs(self, table: str, external_reference: str | None = None) -> list[dict[str, Any]]:
        docs = list(getattr(self.state, table))
        if external_reference is None:
            return docs
        return [d for d in docs if d["received"].get("externalReference") == external_reference]

    def posts(self, path: str) -> list[JournalEntry]:
        return self.sandbox.journal.find(method="POST", path=path)

    def writes(self) -> list[JournalEntry]:
        """Every request that could change Visma.net (token requests aside)."""
        return [
            e
            for e in self.sandbox.journal.entries()
            if e.method in ("POST", "PUT", "DELETE") and e.path != "/connect/token"
        ]

    def db_dump(self) -> str:
        conn = sqlite3.connect(self.workspace.db_path)
        try:
            return "\n".join(conn.iterdump())
        finally:
            conn.close()


def one(items: Sequence[Any]) -> Any:
    assert len(items) == 1, f"expected exactly one, got {len(items)}: {items!r}"
    return items[0]


def errors_by_record(summary: RunSummary) -> dict[str, dict[str, Any]]:
    return {e["record"]: e for e in summary.errors}


def new_env(
    workspace: Workspace,
    tenant_factory: Any,
    runner: Any,
    clock: FakeClock,
    folder: Path,
    settings: Mapping[str, Any] | None = None,
    **config: Any,
) -> VismaEnv:
    sandbox, state = make_sandbox(seed=1, clock=clock, settings=settings)
    folder.mkdir(parents=True, exist_ok=True)
    env = VismaEnv(workspace, tenant_factory, runner, clock, folder, sandbox, state)
    env.configure(**config)
    return env


MakeEnv = Callable[..., VismaEnv]
"""The `make_env` fixture (conftest.py): `make_env(settings=None, clock=None, **config)`."""


def sent(env: VismaEnv) -> list[str]:
    """The external references of the invoices Visma.net received, sorted."""
    return sorted(d["received"]["externalReference"] for d in env.docs("invoices"))
