"""Using the Severa (Visma PM) emulator by hand (`ledgerbridge sandbox
serve`): the seed data it accepts from a `--seed-file`, and what a config
needs to reach it.

Its section of a seed file holds the emulator's settings (app.py, seeding.py), e.g.

    "severa": {
      "clients": [{"client_id": "acme-pm", "client_secret": "s3cret"}],
      "customers": [{"name": "Åkeri Öst AB", "addresses": [...]}],
      "projects": [{"name": "Flytt 2024", "customer": {"guid": "..."}}]
    }
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledgerbridge.core.sandbox import schema_seed
from ledgerbridge.plugins.eaccounting.pm.emulator.auth import clients_from

_DOCS = {"type": "array", "items": {"type": "object"}}

SEED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "clients": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["client_id", "client_secret"],
                "properties": {
                    "client_id": {"type": "string", "minLength": 1},
                    "client_secret": {"type": "string", "minLength": 1},
                    "scopes": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "rate_limit": {"type": "integer", "minimum": 1},
        "rate_window": {"type": "number", "exclusiveMinimum": 0},
        "strict_fields": {"type": "boolean"},
        "multi_currency": {"type": "boolean"},
        "invoice_statuses": _DOCS,
        "products": _DOCS,
        "work_types": _DOCS,
        "travel_expense_types": _DOCS,
        "customers": _DOCS,
        "projects": _DOCS,
        "invoices": _DOCS,
    },
}

seed = schema_seed(SEED_SCHEMA)


def connection(base_url: str, settings: Mapping[str, Any]) -> list[dict[str, str]]:
    """The API URL and each client it accepts."""
    return [
        {
            "apiBaseUrl": base_url + "/rest-api/",
            "clientId": client.client_id,
            "clientSecret": client.client_secret,
        }
        for client in clients_from(settings)
    ]
