"""The CLI on a clock the test moves: a tenant with the in-memory connector,
and runs whose times the test decides (so `--since 24h` and `prune
--older-than 90d` have something old to find)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from ledgerbridge.core.cli import make_cli
from ledgerbridge.core.cli.app import App
from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.state.db import StateDB, open_state
from ledgerbridge.core.state.location import state_location
from ledgerbridge.core.state.migrations import MIGRATIONS
from tests.core.conftest import write_json

DAY = 86400.0


@dataclass
class Operator:
    ws: Path
    clock: FakeClock = field(default_factory=FakeClock)

    def __call__(self, *args: str, input: str | None = None) -> Result:
        app = App(clock=self.clock)
        return CliRunner().invoke(
            make_cli(), ["--workspace", str(self.ws), *args], input=input, obj=app
        )

    def json(self, *args: str) -> Any:
        r = self(*args, "--json")
        assert r.exit_code in (0, 1), r.output
        return json.loads(r.output)

    def run(self, tenant: str = "acme", *args: str) -> dict[str, Any]:
        """One `run --json`, its single summary."""
        out = self.json("run", tenant, *args)
        (summary,) = out["runs"]
        return dict(summary)

    def add_tenant(self, name: str, prefix: str = "AC") -> None:
        assert self("tenant", "add", name).exit_code == 0
        cfg = write_json(
            self.ws.parent / f"{name}.json", {"prefix": prefix, "apiKey": {"secret": "key"}}
        )
        r = self("enable", name, "mem", "--config", cfg)
        assert r.exit_code == 0, r.output
        assert self("secret", "set", name, "key", input="s3cr3t-value\n").exit_code == 0

    def state(self) -> StateDB:
        """The workspace's state: its state.db, or where LEDGERBRIDGE_STATE says."""
        return open_state(state_location(self.ws))

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        db = self.state()
        try:
            return db.conn.execute(query, args).fetchall()
        finally:
            db.close()


def operator(tmp_path: Path, tenants: tuple[str, ...] = ("acme",)) -> Operator:
    op = Operator(tmp_path / "ws")
    for name in tenants:
        op.add_tenant(name)
    return op


def database_before(
    path: Path, migration: Callable[[sqlite3.Connection], None]
) -> sqlite3.Connection:
    """A state database with every migration before `migration` applied, as
    a user's is before upgrading: fill it, close it, open it with StateDB."""
    conn = sqlite3.connect(path, isolation_level=None)
    for version, earlier in enumerate(MIGRATIONS[: MIGRATIONS.index(migration)]):
        conn.execute("BEGIN")
        earlier(conn)
        conn.execute(f"PRAGMA user_version = {version + 1}")
        conn.execute("COMMIT")
    return conn


def on_both_databases(state_url: str | None, monkeypatch: Any) -> None:
    """The CLI (and `Operator.state`) on the test's state: the workspace's
    state.db, or PostgreSQL through LEDGERBRIDGE_STATE."""
    if state_url:
        monkeypatch.setenv("LEDGERBRIDGE_STATE", state_url)
    else:
        monkeypatch.delenv("LEDGERBRIDGE_STATE", raising=False)
