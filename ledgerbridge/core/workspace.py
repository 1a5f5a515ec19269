"""The workspace: one folder holding tenants, their connector configs, the
secret store, run locks and the state database.

    <workspace>/tenants/<tenant>.json   which connectors a tenant has, with config,
                                        and its connections (core/connections.py)
    <workspace>/secrets.json            the secret store (0600)
    <workspace>/state.db                runs, outcomes, bindings, cursors, outbox
    <workspace>/locks/                  one lock file per tenant and connector

The folder comes from --workspace, else LEDGERBRIDGE_HOME, else ~/.ledgerbridge.
Workers on several machines keep the run locks, rate budgets, queue and
schedules in PostgreSQL instead (--state / LEDGERBRIDGE_STATE, docs/scale-out.md).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledgerbridge.core.errors import ConfigError
from ledgerbridge.core.jsonfile import read_json_file
from ledgerbridge.core.secrets import SecretStore, write_private
from ledgerbridge.core.state.location import StateLocation, state_location

TENANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


def default_home() -> Path:
    env = os.environ.get("LEDGERBRIDGE_HOME")
    return Path(env) if env else Path.home() / ".ledgerbridge"


@dataclass
class Tenant:
    name: str
    description: str = ""
    connectors: dict[str, dict[str, Any]] = field(default_factory=dict)
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)

    def connector_config(self, connector: str) -> dict[str, Any]:
        entry = self.connectors.get(connector)
        if entry is None:
            raise ConfigError(
                f"Connector {connector!r} is not enabled for tenant {self.name!r}. "
                f"Enable it with: ledgerbridge enable {self.name} {connector} --config FILE"
            )
        return dict(entry.get("config", {}))

    def enabled(self) -> list[str]:
        return sorted(c for c, e in self.connectors.items() if e.get("enabled", True))

    def to_json(self) -> dict[str, Any]:
        data = {"name": self.name, "description": self.description, "connectors": self.connectors}
        if self.connections:
            data["connections"] = self.connections
        return data


class Workspace:
    def __init__(self, path: Path, state: str | None = None) -> None:
        self.path = path
        self.state_url = state
        """--state, when given; else LEDGERBRIDGE_STATE, else state.db here."""

    @property
    def state(self) -> StateLocation:
        """Where the state lives: this folder's state.db, or PostgreSQL."""
        return state_location(self.path, self.state_url)

    @property
    def tenants_dir(self) -> Path:
        return self.path / "tenants"

    @property
    def db_path(self) -> Path:
        """The SQLite state file: state.db here, or the one --state sqlite:///... names."""
        location = self.state
        if location.path is not None:
            return location.path
        return self.path / "state.db"

    @property
    def locks_dir(self) -> Path:
        return self.path / "locks"

    @property
    def secrets(self) -> SecretStore:
        return SecretStore(self.path / "secrets.json")

    def ensure(self) -> None:
        self.tenants_dir.mkdir(parents=True, exist_ok=True)
        self.locks_dir.mkdir(parents=True, exist_ok=True)

    def _tenant_file(self, name: str) -> Path:
        return self.tenants_dir / f"{name}.json"

    def tenant_names(self) -> list[str]:
        if not self.tenants_dir.exists():
            return []
        return sorted(p.stem for p in self.tenants_dir.glob("*.json") if TENANT_NAME.match(p.stem))

    def has_tenant(self, name: str) -> bool:
        return self._tenant_file(name).exists()

    def tenant(self, name: str) -> Tenant:
        path = self._tenant_file(name)
        if not TENANT_NAME.match(name) or not path.exists():
            known = ", ".join(self.tenant_names()) or "none yet"
            raise ConfigError(
                f"No tenant {name!r} in workspace {self.path} (tenants: {known}). "
                f"Add one with: ledgerbridge tenant add {name}"
            )
        return _tenant_from_file(name, path)

    def tenants(self) -> tuple[list[Tenant], dict[str, str]]:
        """Every tenant that can be read, and the problem of each one that cannot:
        a tenant file broken by hand must not hide the others from a listing."""
        good: list[Tenant] = []
        broken: dict[str, str] = {}
        for name in self.tenant_names():
            try:
                good.append(self.tenant(name))
            except ConfigError as exc:
                broken[name] = str(exc)
        return good, broken

    def add_tenant(self, name: str, description: str = "") -> Tenant:
        if not TENANT_NAME.match(name):
            raise ConfigError(
                f"Tenant name {name!r} is not allowed; rule: lower-case letters, digits, "
                "'.', '_' and '-', starting with a letter or digit, at most 63 characters"
            )
        if self.has_tenant(name):
            raise ConfigError(f"Tenant {name!r} already exists.")
        tenant = Tenant(name, description)
        self.save_tenant(tenant)
        return tenant

    def save_tenant(self, tenant: Tenant) -> None:
        self.ensure()
        write_private(self._tenant_file(tenant.name), json.dumps(tenant.to_json(), indent=2))

    def remove_tenant(self, name: str) -> None:
        self.tenant(name)  # raises a clear error when missing
        self._tenant_file(name).unlink()
        self.secrets.delete(name)


def _tenant_from_file(name: str, path: Path) -> Tenant:
    """A tenant file as ledgerbridge writes it; anything else (edited by hand,
    half restored) is a ConfigError naming the file, the problem and the fix."""
    data = read_json_file(path, "tenant file")
    problems = _tenant_shape_problems(name, data)
    if problems:
        raise ConfigError(
            f"The tenant file {path} is not one ledgerbridge can read; fix it by hand, "
            f"or move it away and set tenant {name} up again (ledgerbridge tenant add {name}):",
            problems,
        )
    return Tenant(
        name,
        data.get("description", ""),
        data.get("connectors", {}),
        data.get("connections", {}),
    )


def _tenant_shape_problems(name: str, data: Any) -> list[str]:
    if not isinstance(data, dict):
        return ['the file must hold a JSON object: {"name": ..., "connectors": {...}}']
    problems = []
    if data.get("name", name) != name:
        problems.append(
            f"key 'name': value {data.get('name')!r} is not the file's name; "
            f'rule: must be "{name}", as the file is {name}.json'
        )
    if not isinstance(data.get("description", ""), str):
        problems.append("key 'description': has the wrong type; rule: must be a string")
    for key in ("connectors", "connections"):
        entries = data.get(key, {})
        if not isinstance(entries, dict):
            problems.append(f"key '{key}': has the wrong type; rule: must be an object")
            continue
        for entry_name, entry in entries.items():
            if not isinstance(entry, dict):
                problems.append(
                    f"key '{key}.{entry_name}': has the wrong type; rule: must be an object"
                )
            elif not isinstance(entry.get("enabled", True), bool):
                problems.append(
                    f"key '{key}.{entry_name}.enabled': has the wrong type; rule: must be "
                    "true or false"
                )
            elif not isinstance(entry.get("config", {}), dict):
                problems.append(
                    f"key '{key}.{entry_name}.config': has the wrong type; rule: must be an object"
                )
    return problems
