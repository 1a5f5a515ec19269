"""Using the eAccounting emulator by hand (`ledgerbridge sandbox serve`):
the seed data it accepts from a `--seed-file`, and what a config needs to
reach it (authorization code: `ledgerbridge auth TENANT CONNECTOR --loopback`
works against it, its consent screen answering at once).

Its section of a seed file holds the emulator's settings (app.py), e.g.

    "eaccounting": {
      "clients": [{"client_id": "acme-app", "client_secret": "s3cret"}],
      "company": {"CountryCode": "SE"},
      "customers": [{"Name": "Åkeri Öst AB", "InvoiceCity": "Göteborg", ...}]
    }

Seeded documents are checked as POST checks them: one that breaks a rule
stops `serve` with the vendor's message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledgerbridge.core.sandbox import schema_seed
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.identity import (
    AUTHORIZE_PATH,
    TOKEN_PATH,
    clients_from,
)

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
                    "redirect_uris": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "consent": {"enum": ["allow", "deny"]},
        "rate_limit": {"type": "integer", "minimum": 1},
        "rate_window": {"type": "number", "exclusiveMinimum": 0},
        "max_page_size": {"type": "integer", "minimum": 1},
        "strict_fields": {"type": "boolean"},
        "company": {"type": "object"},
        "cost_centers": {
            "type": "array",
            "items": {"type": "object", "required": ["Number"]},
        },
        "customers": _DOCS,
        "articles": _DOCS,
        "cost_center_items": _DOCS,
        "projects": _DOCS,
        "supplier_invoices": _DOCS,
    },
}

seed = schema_seed(SEED_SCHEMA)


def connection(base_url: str, settings: Mapping[str, Any]) -> list[dict[str, str]]:
    """The URLs and each client it accepts (with its redirect URIs, if any)."""
    out = []
    for client in clients_from(settings):
        values = {
            "apiBaseUrl": base_url + "/v2/",
            "authorizeUrl": base_url + AUTHORIZE_PATH,
            "tokenUrl": base_url + TOKEN_PATH,
            "clientId": client.client_id,
            "clientSecret": client.client_secret,
            "redirectUri": ", ".join(client.redirect_uris) or "any",
        }
        out.append(values)
    return out
