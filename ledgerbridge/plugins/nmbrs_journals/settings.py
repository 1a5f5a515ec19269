"""The nmbrs_journals config: connections, the administration mapping,
dimensions and Format BAS / Format PNL (seeds 001 and 002).

    {
      "connections": {"nmbrs": "payroll", "visma_net": "visma"},
      "formatBas": "[0-3][0-9][0-9][0-9]",
      "formatPnl": "[4-9][0-9][0-9][0-9]",
      "administrations": [
        {"nmbrsCompanyId": 12, "branch": "1",
         "dimensions": {"costCenter": "Avdelning", "costUnit": "Projekt"}},
        {"nmbrsCompanyId": 14, "testCompany": true}
      ],
      "ignoreCompanies": [99]
    }
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.core.errors import ConfigError
from ledgerbridge.plugins.nmbrs_journals.formats import (
    EXAMPLE_BAS,
    EXAMPLE_PNL,
    AccountFormat,
    AccountFormats,
    PatternError,
    compile_format,
)
from ledgerbridge.plugins.nmbrs_journals.nmbrs.system import SETTINGS_SCHEMA as NMBRS_SETTINGS
from ledgerbridge.plugins.visma_net.system import settings_schema as visma_settings

_FORMAT = {
    "type": "string",
    "minLength": 1,
    "description": "One [class] or literal character per character of the account number, "
    f"e.g. {EXAMPLE_BAS}.",
}
_DIMENSION = {
    "type": "string",
    "minLength": 1,
    "description": "The description of the Visma.net dimension (a segment of the subaccount) "
    "it is booked on, as Visma.net shows it.",
}

ADMINISTRATION: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["nmbrsCompanyId"],
    "properties": {
        "nmbrsCompanyId": {
            "type": "integer",
            "description": "The Nmbrs company's ID (ledgerbridge run --dry-run lists the "
            "companies that have no mapping, with their IDs).",
        },
        "connection": {
            "type": "string",
            "pattern": "^[a-z0-9][a-z0-9_.-]{0,62}$",
            "description": "The tenant's Visma.net connection of the company this Nmbrs "
            "company is booked in, when it is not the connector's (one Visma.net company per "
            "connection: ledgerbridge connection add TENANT NAME --system visma_net).",
        },
        "branch": {
            "type": "string",
            "minLength": 1,
            "description": "The Visma.net branch (number) the journals are booked in.",
        },
        "ledger": {
            "type": "string",
            "minLength": 1,
            "description": "The Visma.net ledger; default the branch's posting ledger.",
        },
        "dimensions": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"costCenter": _DIMENSION, "costUnit": _DIMENSION},
            "description": "Cost centers and cost units booked on Visma.net dimensions, each "
            "switched on by naming the dimension's description.",
        },
        "formatBas": _FORMAT,
        "formatPnl": _FORMAT,
        "testCompany": {
            "type": "boolean",
            "description": "The company is marked as 'Test company' in Nmbrs: its journals "
            "are refused (Nmbrs' API does not say so itself).",
        },
        "debtorBlocked": {
            "type": "boolean",
            "description": "The company's debtor is blocked in Nmbrs: its journals are refused.",
        },
        "description": {"type": "string"},
    },
    "dependentRequired": {"formatBas": ["formatPnl"], "formatPnl": ["formatBas"]},
}


def config_schema() -> dict[str, Any]:
    inline = {**visma_settings()["properties"], **NMBRS_SETTINGS["properties"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "nmbrs_journals connector config",
        "description": "Sends the journals of Nmbrs payroll runs to the Visma.net general "
        "ledger, one journal transaction per run and period.",
        "type": "object",
        "additionalProperties": False,
        "required": ["administrations"],
        "properties": {
            "connection": {"type": "string"},
            "connections": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "nmbrs": {"type": "string", "description": "The Nmbrs connection."},
                    "visma_net": {"type": "string", "description": "The Visma.net connection."},
                },
                "description": 'The tenant\'s connections: {"nmbrs": NAME, "visma_net": NAME}.',
            },
            "administrations": {"type": "array", "items": ADMINISTRATION},
            "ignoreCompanies": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "Nmbrs company IDs whose journals are deliberately not sent.",
            },
            "fromYear": {
                "type": "integer",
                "minimum": 2000,
                "description": "The first payroll year read; default last year, so a late "
                "run of last year is still sent after the year roll-over.",
            },
            "formatBas": {**_FORMAT, "description": f"Default Format BAS, e.g. {EXAMPLE_BAS}"},
            "formatPnl": {**_FORMAT, "description": f"Default Format PNL, e.g. {EXAMPLE_PNL}"},
            **inline,
        },
        "dependentRequired": {"formatBas": ["formatPnl"], "formatPnl": ["formatBas"]},
    }


@dataclass(frozen=True)
class Administration:
    """One Nmbrs company mapped to a Visma.net company: the connector's
    connection's, or the one its own `connection` names."""

    company_id: int
    branch: str | None = None
    ledger: str | None = None
    cost_center: str | None = None  # the Visma.net dimension's description
    cost_unit: str | None = None
    formats: AccountFormats = field(default_factory=AccountFormats)
    test_company: bool = False
    debtor_blocked: bool = False
    connection: str | None = None  # the Visma.net company's connection; None: the connector's

    @property
    def dimensions(self) -> bool:
        return self.cost_center is not None or self.cost_unit is not None


@dataclass(frozen=True)
class Settings:
    administrations: Mapping[int, Administration]
    ignored: frozenset[int] = frozenset()
    from_year: int | None = None


def load_settings(config: Mapping[str, Any]) -> Settings:
    """The config as typed settings; ConfigError listing every problem."""
    problems: list[str] = []
    default = _formats(config, "", problems)
    found: dict[int, Administration] = {}
    for i, entry in enumerate(config.get("administrations") or []):
        company = int(entry["nmbrsCompanyId"])
        at = f"administrations[{i}]"
        if company in found:
            problems.append(
                f"key '{at}.nmbrsCompanyId': {company} is mapped twice; rule: each Nmbrs "
                "company is mapped to one administration; fix: remove one of the mappings"
            )
            continue
        own = _formats(entry, f"{at}.", problems) if "formatBas" in entry else default
        dims = entry.get("dimensions") or {}
        found[company] = Administration(
            company,
            entry.get("branch"),
            entry.get("ledger"),
            dims.get("costCenter"),
            dims.get("costUnit"),
            own,
            bool(entry.get("testCompany")),
            bool(entry.get("debtorBlocked")),
            entry.get("connection"),
        )
    if problems:
        raise ConfigError("The nmbrs_journals config is not valid:", problems)
    ignored = frozenset(int(c) for c in config.get("ignoreCompanies") or [])
    return Settings(found, ignored, config.get("fromYear"))


def _formats(holder: Mapping[str, Any], at: str, problems: list[str]) -> AccountFormats:
    compiled: list[AccountFormat | None] = []
    for key, example in (("formatBas", EXAMPLE_BAS), ("formatPnl", EXAMPLE_PNL)):
        text = holder.get(key)
        if text is None:
            compiled.append(None)
            continue
        try:
            compiled.append(compile_format(str(text)))
        except PatternError as exc:
            problems.append(
                f"key '{at}{key}': {text!r} {exc}; rule: one [class] (such as [0-3]) or literal "
                f"letter or digit per character of the account; fix: write it like {example}"
            )
            compiled.append(None)
    return AccountFormats(compiled[0], compiled[1])


def check_config(config: Mapping[str, Any]) -> list[str]:
    """What JSON Schema cannot check: the formats parse, no company twice."""
    try:
        load_settings(config)
    except ConfigError as exc:
        return exc.problems or [str(exc)]
    return []
