"""The DUELL system: what a tenant's connection to the DUELL API holds.

Facts (../shared/specs/duell/CONNECTOR-FACTS.md §2, from Kasseservice's
official WooCommerce plugin): base https://api.kasseservice.no/v1/, login
`POST getaccesstokens` with the form fields client_number and client_token
("Duell Manager > API-oppsett"), then `Authorization: Bearer <token>`; lists
are paged with start/length, at most 100 rows a page. No rate limit is
published; the API sits behind a WAF that admits whitelisted IPs only.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.connections import Connection
from ledgerbridge.core.systems import System

NAME = "duell"
DEFAULT_API = "https://api.kasseservice.no/v1/"

SETTINGS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["clientNumber", "clientToken"],
    "properties": {
        "baseUrl": {
            "type": "string",
            "description": f"The DUELL API's URL (default {DEFAULT_API})",
        },
        "clientNumber": {
            "type": "string",
            "minLength": 1,
            "description": "The DUELL customer number (Duell Manager > API-oppsett)",
        },
        "clientToken": {
            "type": "object",
            "x-secret": True,
            "required": ["secret"],
            "description": 'The API token, as a secret reference {"secret": NAME}',
        },
    },
}


def check_connection(conn: Connection) -> str:
    from ledgerbridge.plugins.pos_zreport.duell.api import DuellApi

    api = DuellApi.for_connection(conn)
    total = api.count("product/list")
    return f"DUELL issued a token for client {conn.get('clientNumber')}; {total} products"


SYSTEM = System(
    name=NAME,
    title="DUELL",
    settings_schema=SETTINGS,
    test=check_connection,
    description="DUELL POS (Kasseservice): products, customers and stock per department.",
    docs="docs/connectors/pos_zreport.md",
)
