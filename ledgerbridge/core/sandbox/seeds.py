"""Seed files: the data a served sandbox starts with, so an operator can
rehearse a real setup by hand (their own clients, customers, master data).

A seed file is JSON with one section per emulator, by name:

    {
      "visma_net":   {"clients": [...], "customers": [...], "master_data": {...}},
      "eaccounting": {"customers": [...], "articles": [...]},
      "severa":      {"customers": [...], "projects": [...]}
    }

Each emulator decides what its section may hold (`Emulator.seed`, usually
`schema_seed(...)` with a JSON Schema of its settings); a section for an
emulator that is not installed, or one that takes no seed data, is refused.
Every problem is reported at once, each naming the emulator, the path in the
file and the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema

from ledgerbridge.core.errors import ConfigError
from ledgerbridge.core.jsonfile import read_json_file
from ledgerbridge.core.sandbox.emulator import Emulator

SeedCheck = Callable[[Mapping[str, Any]], dict[str, Any]]


class SeedError(ValueError):
    """A seed file cannot be used; `problems` lists every reason."""

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        self.problems = list(problems)
        lines = "".join(f"\n  - {p}" for p in self.problems)
        super().__init__(message + lines)


def schema_seed(schema: Mapping[str, Any]) -> SeedCheck:
    """An `Emulator.seed` hook checking a section against a JSON Schema; the
    section is the emulator's settings as it is."""
    validator = jsonschema.Draft202012Validator(dict(schema))

    def check(section: Mapping[str, Any]) -> dict[str, Any]:
        errors = sorted(validator.iter_errors(dict(section)), key=lambda e: list(e.path))
        if errors:
            raise SeedError("not valid", [_problem(e) for e in errors])
        return dict(section)

    return check


def load_seed_file(path: Path, emulators: Iterable[Emulator]) -> dict[str, dict[str, Any]]:
    """The settings per emulator a seed file asks for; SeedError otherwise."""
    try:
        data = read_json_file(path, "seed file")
    except ConfigError as exc:  # unreadable, not UTF-8 or not JSON: the file and the fix
        raise SeedError(str(exc)) from None
    if not isinstance(data, dict):
        raise SeedError(f"the seed file {path} must hold an object with a section per emulator")
    by_name = {e.name: e for e in emulators}
    problems: list[str] = []
    settings: dict[str, dict[str, Any]] = {}
    for name, section in data.items():
        emulator = by_name.get(name)
        if emulator is None:
            known = ", ".join(sorted(by_name)) or "none"
            problems.append(f"{name}: no such emulator is installed (installed: {known})")
        elif emulator.seed is None:
            problems.append(f"{name}: this emulator takes no seed data")
        elif not isinstance(section, dict):
            problems.append(f"{name}: must be an object of settings")
        else:
            try:
                settings[name] = emulator.seed(section)
            except SeedError as exc:
                problems.extend(f"{name}: {p}" for p in exc.problems or [str(exc)])
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
    if problems:
        raise SeedError(f"the seed file {path} cannot be used:", problems)
    return settings


def _problem(error: jsonschema.ValidationError) -> str:
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
    return f"{where.lstrip('.')}: {error.message}" if where else error.message
