"""The Nmbrs system: what a tenant's connection to Nmbrs holds, and the SOAP
client built on it.

Nmbrs' SOAP API (v3: https://api.nmbrs.nl/soap/v3/<Service>.asmx, sandbox
https://api-sandbox.nmbrs.nl/soap/v3/) takes the credentials in the SOAP
header `AuthHeaderWithDomain{Username, Token, Domain}`: the user's e-mail,
its API token and the customer's Nmbrs environment (domain)
(/work/shared/specs/nmbrs/CONNECTOR-FACTS.md §2). The token is a secret: it
is registered with the redactor, so no log line, error or journal shows it.

Nmbrs publishes no rate limit, so none is applied; Server faults and
dropped connections of reads are retried with backoff.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.connections import Connection
from ledgerbridge.core.http import RetryPolicy, SoapClient, SoapHeaderAuth
from ledgerbridge.core.systems import System
from ledgerbridge.plugins.nmbrs_journals.nmbrs import errors

NAME = "nmbrs"
DEFAULT_BASE = "https://api.nmbrs.nl/soap/v3/"
COMPANY_SERVICE = "CompanyService.asmx"
DEBTOR_SERVICE = "DebtorService.asmx"


def namespace(base: str, service: str) -> str:
    """`https://api.nmbrs.nl/soap/v3/CompanyService`: the service's namespace
    follows the API version in the URL (v2.1 or v3)."""
    version = "v2.1" if "/v2.1/" in base else "v3"
    return f"https://api.nmbrs.nl/soap/{version}/{service}"


_SECRET: dict[str, Any] = {
    "type": "object",
    "x-secret": True,
    "required": ["secret"],
    "additionalProperties": False,
    "properties": {"secret": {"type": "string", "minLength": 1}},
    "description": 'The API token of the Nmbrs user, as a secret reference {"secret": "NAME"}; '
    "store it with: ledgerbridge secret set TENANT NAME (Nmbrs: My profile > API token).",
    "errorMessage": 'must be a secret reference {"secret": "NAME"}, never the token itself',
}

SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["username", "token", "domain"],
    "properties": {
        "username": {
            "type": "string",
            "minLength": 3,
            "description": "The Nmbrs user (its e-mail address) the API token belongs to.",
        },
        "token": _SECRET,
        "domain": {
            "type": "string",
            "minLength": 1,
            "description": "The customer's Nmbrs environment (the domain in "
            "https://DOMAIN.nmbrs.nl), sent as AuthHeaderWithDomain.Domain.",
        },
        "soapBaseUrl": {
            "type": "string",
            "pattern": "^https?://[^\\s/]+(/[^\\s]*)?/$",
            "default": DEFAULT_BASE,
            "description": f"Where the SOAP services are. Default {DEFAULT_BASE}; Nmbrs' "
            "sandbox is https://api-sandbox.nmbrs.nl/soap/v3/.",
            "errorMessage": "must be an http(s) URL ending in /, such as " + DEFAULT_BASE,
        },
    },
}


def rejected_message(conn: Connection) -> str:
    token = conn.settings.get("token")
    name = token.get("secret") if isinstance(token, dict) else "token"
    return (
        f"Nmbrs did not accept user {conn.get('username')!r} with the API token stored as "
        f"{name!r} for domain {conn.get('domain')!r}. Fix: copy the token from the user's "
        f"profile in Nmbrs (API token), store it with `ledgerbridge secret set {conn.tenant} "
        f"{name}`, and check that username and domain are the user's e-mail and the Nmbrs "
        "environment name."
    )


def soap_client(conn: Connection) -> SoapClient:
    """A SOAP 1.1 client for one Nmbrs connection."""
    auth = SoapHeaderAuth(
        "AuthHeaderWithDomain",
        {
            "Username": conn.get("username"),
            "Token": conn.secret("token"),
            "Domain": conn.get("domain"),
        },
        secret_fields=("Token",),
        rejected_message=rejected_message(conn),
    )
    return SoapClient(
        base_url(conn),
        name=NAME,
        clock=conn.clock,
        redactor=conn.redactor,
        auth=auth,
        transport=conn.transport,
        retry=RetryPolicy(max_attempts=5),
        rate_budget=conn.rate_budget(),
        classifier=errors.classify,
    )


def base_url(conn: Connection) -> str:
    return str(conn.get("soapBaseUrl") or DEFAULT_BASE).rstrip("/") + "/"


def check_connection(conn: Connection) -> str:
    """`ledgerbridge connection test`: the companies the user may see."""
    from ledgerbridge.plugins.nmbrs_journals.nmbrs.api import NmbrsApi

    with soap_client(conn) as client:
        companies = NmbrsApi(client, base_url(conn)).companies()
    return (
        f"Nmbrs accepted user {conn.get('username')} in domain {conn.get('domain')}; "
        f"List_GetAll answered {len(companies)} companies"
    )


SYSTEM = System(
    name=NAME,
    title="Nmbrs",
    settings_schema=SETTINGS_SCHEMA,
    test=check_connection,
    description="One Nmbrs environment (domain), reached through the SOAP API with a "
    "user's e-mail and API token (AuthHeaderWithDomain).",
    docs="docs/connectors/nmbrs_journals.md",
)
