"""Tokens and where they are kept between runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

DEFAULT_SKEW = 60.0  # renew this many seconds before a token expires


@dataclass(frozen=True)
class TokenSet:
    """Tokens from a token endpoint. `expires_at` is epoch seconds (None:
    unknown, renewed only on 401). The repr never shows a token."""

    access_token: str = field(repr=False)
    expires_at: float | None = None
    refresh_token: str | None = field(default=None, repr=False)
    token_type: str = "Bearer"
    scope: str | None = None

    def needs_refresh(self, now: float, skew: float = DEFAULT_SKEW) -> bool:
        return self.expires_at is not None and now >= self.expires_at - skew

    def to_dict(self) -> dict[str, Any]:
        """For a TokenStore that keeps the set as one secret."""
        return {
            "access_token": self.access_token,
            "expires_at": self.expires_at,
            "refresh_token": self.refresh_token,
            "token_type": self.token_type,
            "scope": self.scope,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenSet:
        return cls(
            access_token=str(data["access_token"]),
            expires_at=data.get("expires_at"),
            refresh_token=data.get("refresh_token"),
            token_type=str(data.get("token_type") or "Bearer"),
            scope=data.get("scope"),
        )


class TokenStore(Protocol):
    """Where a tenant's tokens live between runs (the secret store)."""

    def load(self) -> TokenSet | None: ...

    def save(self, tokens: TokenSet) -> None: ...


class MemoryTokenStore:
    """A TokenStore in memory; `saved` lists every set saved, oldest first."""

    def __init__(self, tokens: TokenSet | None = None) -> None:
        self._tokens = tokens
        self.saved: list[TokenSet] = []

    def load(self) -> TokenSet | None:
        return self._tokens

    def save(self, tokens: TokenSet) -> None:
        self._tokens = tokens
        self.saved.append(tokens)
