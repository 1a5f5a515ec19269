"""OAuth2 tokens kept in the tenant's secret store.

A refresh token is a secret like any other: it lives only in secrets.json
(0600) and is replaced every time the vendor rotates it.
"""

from __future__ import annotations

import json

from ledgerbridge.core.http.tokens import TokenSet
from ledgerbridge.core.secrets import SecretStore


class SecretTokenStore:
    def __init__(self, store: SecretStore, tenant: str, connector: str) -> None:
        self._store = store
        self._tenant = tenant
        self.name = f"{connector}.oauth_tokens"

    def load(self) -> TokenSet | None:
        raw = self._store.get(self._tenant, self.name)
        return TokenSet.from_dict(json.loads(raw)) if raw else None

    def save(self, tokens: TokenSet) -> None:
        self._store.set(self._tenant, self.name, json.dumps(tokens.to_dict()))

    def __repr__(self) -> str:
        return f"SecretTokenStore(tenant={self._tenant!r}, name={self.name!r})"
