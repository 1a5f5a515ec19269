"""Using the Visma.net emulator by hand (`ledgerbridge sandbox serve`): the
seed data it accepts from a `--seed-file`, and what a visma_net config needs
to reach it.

Its section of a seed file holds the emulator's settings (app.py), e.g.

    "visma_net": {
      "clients": [{"client_id": "acme-app", "client_secret": "s3cret",
                   "tenants": ["acme-company-tenant"]}],
      "customers": [{"number": "ACME", "name": "Åkeri Öst AB"}],
      "master_data": {"vat_codes": ["01", "02", "05"]},
      "without": {"accounts": ["3010"]},
      "companies": {"acme-company-tenant": {"numbering": {"invoice": 7001}}}
    }

Every tenant id is a company of its own (companies.py); `companies` seeds
one differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledgerbridge.core.sandbox import schema_seed
from ledgerbridge.plugins.visma_net.emulator.auth import TOKEN_PATH, clients_from

_LIST = {"type": "array", "items": {"type": ["object", "string"]}}
_IDS = {"type": "object", "additionalProperties": _LIST}

SEED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "clients": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["client_id", "client_secret", "tenants"],
                "properties": {
                    "client_id": {"type": "string", "minLength": 1},
                    "client_secret": {"type": "string", "minLength": 1},
                    "tenants": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "customer_tenants": {"type": "array", "items": {"type": "string"}},
                    "scopes": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "rate_limit": {"type": "integer", "minimum": 1},
        "max_page_size": {"type": "integer", "minimum": 1},
        "manual_numbering": {"type": "boolean"},
        "strict_fields": {"type": "boolean"},
        "numbering": {"type": "object", "additionalProperties": {"type": "integer"}},
        "master_data": _IDS,
        "without": {"type": "object", "additionalProperties": {"type": "array"}},
        "customers": {
            "type": "array",
            "items": {"type": "object", "required": ["number"]},
        },
        "inventory": {
            "type": "array",
            "items": {"type": "object", "required": ["inventoryNumber"]},
        },
    },
}
# Per tenant id, the seed keys in which a company differs (companies.py).
SEED_SCHEMA["properties"]["companies"] = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            **{
                k: SEED_SCHEMA["properties"][k]
                for k in ("customers", "inventory", "master_data", "without", "numbering")
            },
            "warehouses": {"type": "array", "items": {"type": "string"}},
        },
    },
}

seed = schema_seed(SEED_SCHEMA)


def connection(base_url: str, settings: Mapping[str, Any]) -> list[dict[str, str]]:
    """The visma_net config values per client and company (tenant) it accepts."""
    out = []
    for client in clients_from(settings):
        for tenant in sorted(client.tenants):
            out.append(
                {
                    "apiBaseUrl": base_url,
                    "tokenUrl": base_url + TOKEN_PATH,
                    "clientId": client.client_id,
                    "clientSecret": client.client_secret,
                    "tenantId": tenant,
                }
            )
    return out
