"""What to tell the operator when Visma Connect or Visma.net refuses the
credentials, and where the URL settings live.

Three refusals need three different fixes, so they get three messages:

- `invalid_client` at the token endpoint: the client id or the client
  secret is wrong (or the secret expired). Nothing about the tenant id.
- any other refusal at the token endpoint (`invalid_grant`,
  `unauthorized_client`, ...): Visma Connect authenticated the client but it
  may not act for the tenant id sent. This is the case Opter's help page
  words as "The user details were not accepted by Visma.net (tenant id:
  {0})" (vendor help page in /work/shared/seeds, 000_*.txt); that message is
  kept for it, and only for it.
- the API refusing a token Visma Connect just issued (401 twice): per
  Visma's "Fix 401 Unauthorized errors despite valid token" page, the tenant
  id is then the customer's (the contract's) instead of the company's.

Each fix names what to change and where: the config key or the secret name,
and the command that stores it. The operator of ledgerbridge is the
integration partner, so no message sends them to one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ledgerbridge.core.connections import Connection
from ledgerbridge.core.http import Refusal
from ledgerbridge.core.http.reach import UrlSetting
from ledgerbridge.core.redact import MASK

REJECTED = f"The user details were not accepted by Visma.net (tenant id: {MASK})"
COMPANY_TENANT_ID = "Visma Admin > Company > Edit > Configuration > Tenant id"
DEFAULT_API = "https://api.finance.visma.net"
DEFAULT_TOKEN_URL = "https://connect.visma.com/connect/token"


@dataclass(frozen=True)
class Credentials:
    """Where a tenant's Visma.net credentials live, to name them in fixes:
    a named connection (`ledgerbridge connection add`), or the settings a
    connector config carries itself (configs from before connections)."""

    tenant: str
    client_id: str
    client_secret: str  # the secret's name, e.g. visma_client_secret
    tenant_id: str  # the secret's name, e.g. visma_tenant_id
    connection: str | None = None  # the connection's name; None: in the connector config
    connector: str | None = None

    @classmethod
    def of(cls, conn: Connection, connector: str | None = None) -> Credentials:
        settings = conn.settings
        return cls(
            conn.tenant,
            str(settings.get("clientId", "")),
            _secret_name(settings.get("clientSecret"), "clientSecret"),
            _secret_name(settings.get("tenantId"), "tenantId"),
            conn.name,
            connector,
        )

    def secret_set(self, name: str) -> str:
        return f"ledgerbridge secret set {self.tenant} {name}"

    @property
    def save_config(self) -> str:
        """The command that saves corrected settings where they are kept."""
        if self.connection is not None:
            return (
                f"ledgerbridge connection add {self.tenant} {self.connection} --system "
                "visma_net --config FILE --replace"
            )
        return f"ledgerbridge enable {self.tenant} {self.connector or 'CONNECTOR'} --config FILE"

    @property
    def owner(self) -> str:
        if self.connection is not None:
            return f"the connection {self.connection} of {self.tenant}"
        return f"the config of {self.tenant}/{self.connector or 'its connector'}"

    @property
    def settings_file(self) -> str:
        return "settings file" if self.connection is not None else "config file"

    def url_setting(self, key: str, usual: str) -> UrlSetting:
        fix = f"correct it in the {self.settings_file} and save it with `{self.save_config}`"
        return UrlSetting(key, self.owner, usual, fix)


def refusal_message(creds: Credentials) -> Callable[[Refusal], str]:
    """The ClientCredentials `rejected_message` for these credentials."""

    def message(refusal: Refusal) -> str:
        why = f" ({refusal.reason})" if refusal.reason else ""
        if refusal.bad_client:
            return bad_client(creds, why)
        if refusal.at == "api":
            return customer_tenant(creds, why)
        if refusal.code == "invalid_scope":
            return bad_scope(creds, why)
        return refused_tenant(creds, why)

    return message


def bad_client(creds: Credentials, why: str) -> str:
    return (
        f"Visma Connect did not accept client id '{creds.client_id}' with the client secret "
        f"stored as '{creds.client_secret}'{why}: one of them is wrong, or the secret has "
        "expired. Fix: copy both from your application's Credentials in the Visma Developer "
        f"Portal; store the secret with `{creds.secret_set(creds.client_secret)}`; if the "
        f"client id differs, correct clientId in the {creds.settings_file} and save it with "
        f"`{creds.save_config}`."
    )


def refused_tenant(creds: Credentials, why: str) -> str:
    return (
        f"{REJECTED}. Visma Connect accepted client id '{creds.client_id}' but not the tenant "
        f"id stored as '{creds.tenant_id}'{why}: the client may not act for that company. "
        "Fix: the company must accept your application's invitation in the Visma App Store; "
        f"then store the company's tenant id ({COMPANY_TENANT_ID}) with "
        f"`{creds.secret_set(creds.tenant_id)}`."
    )


def customer_tenant(creds: Credentials, why: str) -> str:
    return (
        f"{REJECTED}. Visma Connect issued a token for the tenant id stored as "
        f"'{creds.tenant_id}', but Visma.net refused it{why}: this happens when it is the "
        "customer's (contract's) tenant id instead of the company's. Fix: store the "
        f"company's tenant id ({COMPANY_TENANT_ID}; in the Visma App Store, accept the "
        f"invitation for that company) with `{creds.secret_set(creds.tenant_id)}`."
    )


def bad_scope(creds: Credentials, why: str) -> str:
    return (
        f"Visma Connect refused the scopes client id '{creds.client_id}' asked for{why}. "
        "Fix: give the application the Visma.net ERP API scopes (create, read, update) in "
        "the Visma Developer Portal, then run again."
    )


def _secret_name(ref: Any, key: str) -> str:
    if isinstance(ref, Mapping) and isinstance(ref.get("secret"), str):
        return str(ref["secret"])
    return key
