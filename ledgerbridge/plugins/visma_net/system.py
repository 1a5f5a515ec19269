"""The Visma.net system: what a tenant's connection to a Visma.net company holds.

Registered by the visma_net plugin through `register_systems`; visma_net,
nmbrs_journals and pos_zreport of one tenant name the same connection and so
share its hourly budget.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from ledgerbridge.core.connections import Connection
from ledgerbridge.core.systems import RateLimit, System

NAME = "visma_net"

RATE_LIMIT = RateLimit(
    "requests per hour per company and API client (15,000 in production, 500 on test "
    "clients), reported in X-RateLimit-Limit/-Remaining/-Reset on every answer",
    kind="headers",
    limit=15_000,
    window=3600,
)


def settings_schema() -> dict[str, Any]:
    text = (
        resources.files("ledgerbridge.schemas")
        .joinpath("visma_net.connection.json")
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def check_connection(conn: Connection) -> str:
    """Get a Visma Connect token for the company and read its currencies (one
    cheap call, counted against the connection's budget like any other)."""
    from ledgerbridge.plugins.visma_net.api import client_for

    with client_for(conn) as client:
        currencies = client.get_json("v1/currency")
    count = len(currencies) if isinstance(currencies, list) else 0
    return (
        f"Visma Connect issued a token for client {conn.get('clientId')}; "
        f"Visma.net answered GET v1/currency ({count} currencies)"
    )


SYSTEM = System(
    name=NAME,
    title="Visma.net ERP",
    settings_schema=settings_schema(),
    test=check_connection,
    rate_limit=RATE_LIMIT,
    description="One Visma.net company, reached through Visma Connect client credentials "
    "(client id and secret of the integration, the company's tenant id).",
    docs="docs/connectors/visma_net.md",
)
