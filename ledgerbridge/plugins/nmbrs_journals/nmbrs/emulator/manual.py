"""Using the Nmbrs emulator by hand (`ledgerbridge sandbox serve`): the seed
data its section of a `--seed-file` may hold (state.py shows an example),
and what an Nmbrs connection needs to reach it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledgerbridge.core.sandbox import schema_seed
from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator.state import DEMO_USER

_CODES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code"],
        "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
        "additionalProperties": False,
    },
}
_LINE = {
    "type": "object",
    "required": ["account", "side", "value"],
    "properties": {
        "account": {"type": "string"},
        "side": {"type": "string"},
        "value": {"type": ["string", "number"]},
        "description": {"type": "string"},
        "costCenter": {"type": ["string", "null"]},
        "costUnit": {"type": ["string", "null"]},
    },
}
_RUN = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "integer"},
        "number": {"type": "integer"},
        "year": {"type": "integer"},
        "period": {"type": "integer", "minimum": 1, "maximum": 13},
        "periodStart": {"type": "integer"},
        "periodEnd": {"type": "integer"},
        "locked": {"type": "boolean"},
        "description": {"type": "string"},
        "runAt": {"type": "string"},
        "employees": {"type": "integer", "minimum": 0},
        "corrections": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["period"],
                "properties": {"period": {"type": "integer"}, "employees": {"type": "integer"}},
            },
        },
        "transactions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["date", "lines"],
                "properties": {
                    "date": {"type": "string", "pattern": "^[0-9]{8}$"},
                    "currency": {"type": "string"},
                    "lines": {"type": "array", "items": _LINE},
                },
            },
        },
    },
    "additionalProperties": False,
}

SEED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "users": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["username", "token", "domain"],
                "properties": {
                    "username": {"type": "string"},
                    "token": {"type": "string", "minLength": 1},
                    "domain": {"type": "string"},
                },
                "additionalProperties": False,
            },
        },
        "debtors": {"type": "array", "items": {"type": "object", "required": ["id"]}},
        "companies": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "integer"},
                    "number": {"type": "integer"},
                    "name": {"type": "string"},
                    "debtor": {"type": "integer"},
                    "period": {"enum": ["Month", "Week4"]},
                    "unauthorized": {"type": "boolean"},
                    "costCenters": _CODES,
                    "costUnits": _CODES,
                    "runs": {"type": "array", "items": _RUN},
                },
                "additionalProperties": False,
            },
        },
        "generate": {
            "type": "object",
            "properties": {
                "companies": {"type": "integer", "minimum": 1},
                "runs": {"type": "integer", "minimum": 1, "maximum": 12},
                "employees": {"type": "integer", "minimum": 1},
                "year": {"type": "integer"},
            },
            "additionalProperties": False,
        },
    },
}

seed = schema_seed(SEED_SCHEMA)


def connection(base_url: str, settings: Mapping[str, Any]) -> list[dict[str, str]]:
    """The Nmbrs connection settings per seeded user."""
    users = settings.get("users") or [DEMO_USER]
    return [
        {
            "soapBaseUrl": f"{base_url}/soap/v3/",
            "username": str(u["username"]),
            "token": str(u["token"]),
            "domain": str(u["domain"]),
        }
        for u in users
    ]
