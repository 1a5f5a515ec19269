"""OAuth2 tokens kept in the tenant's secret store.

A refresh token is a secret like any other: it lives only in secrets.json
(0600) and is replaced every time the vendor rotates it.

Tokens belong to a *connection* (one sign-in to one company): a connection's
set is the secret `connection.<name>.oauth_tokens`, whichever connector uses
it (`Connection.token_store()`). Before tokens were per connection they were
kept per connector (`<connector>.oauth_tokens`, still the place of a
connector's own settings, see `for_connector`); a store given that old name
as `legacy` reads it while the new place is empty and removes it once the
set is saved in the new place, so a tenant authorized before keeps working
without signing in again.
"""

from __future__ import annotations

import json

from ledgerbridge.core.http.tokens import TokenSet
from ledgerbridge.core.secrets import SecretStore

SUFFIX = "oauth_tokens"


def connection_secret(connection: str) -> str:
    """The secret holding a connection's tokens."""
    return f"connection.{connection}.{SUFFIX}"


def connector_secret(connector: str) -> str:
    """The secret holding a connector's tokens: the old place, and the place of
    a connector whose config carries its system's settings itself."""
    return f"{connector}.{SUFFIX}"


class SecretTokenStore:
    """A `TokenStore` on one secret of the tenant (`name`), optionally reading
    an older secret (`legacy`) while the new one is not set."""

    def __init__(
        self,
        store: SecretStore,
        tenant: str,
        connector: str | None = None,
        *,
        name: str | None = None,
        legacy: str | None = None,
    ) -> None:
        if (connector is None) == (name is None):
            raise ValueError("give either a connector or a secret name")
        self._store = store
        self._tenant = tenant
        self.name = name if name is not None else connector_secret(str(connector))
        self.legacy = legacy if legacy != self.name else None

    @classmethod
    def for_connection(
        cls, store: SecretStore, tenant: str, connection: str, legacy: str | None = None
    ) -> SecretTokenStore:
        return cls(store, tenant, name=connection_secret(connection), legacy=legacy)

    def load(self) -> TokenSet | None:
        raw = self._store.get(self._tenant, self.name)
        if raw is None and self.legacy is not None:
            raw = self._store.get(self._tenant, self.legacy)
        return TokenSet.from_dict(json.loads(raw)) if raw else None

    def save(self, tokens: TokenSet) -> None:
        """Saved in the new place first: a crash between the two writes leaves
        the new set where it is read first, never no set at all."""
        self._store.set(self._tenant, self.name, json.dumps(tokens.to_dict()))
        if self.legacy is not None:
            self._store.delete(self._tenant, self.legacy)

    def __repr__(self) -> str:
        legacy = f", legacy={self.legacy!r}" if self.legacy else ""
        return f"SecretTokenStore(tenant={self._tenant!r}, name={self.name!r}{legacy})"
