"""Signing in to Visma PM (Severa): client credentials, JSON-style.

Severa's token endpoint is not RFC 6749's: `POST /v1/token` takes a JSON
`{client_id, client_secret, scope}` and answers `access_token_expires_in`
rather than `expires_in` [SEV], so the core's form-based `ClientCredentials`
does not fit. This `Auth` is the core's `OAuth2Base` (lazy token, renewed
60 s before it expires and once on a 401, secrets registered with the
redactor before anything can log them) with Severa's request and answer.
The client credentials are always at hand, so a new token is simply
requested again: Severa's refresh token would only be a second secret to keep.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http import (
    ApiError,
    ErrorParser,
    OAuth2Base,
    TokenSet,
    TransientApiError,
)
from ledgerbridge.core.redact import MASK, Redactor

SKEW = 60.0


class SeveraCredentials(OAuth2Base):
    """The `Auth` of a Severa ApiClient. `scope` is joined with spaces."""

    expires_in_key = "access_token_expires_in"

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str | Sequence[str] | None = None,
        *,
        error_parser: ErrorParser,
        name: str = "Visma PM",
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.scope = scope if isinstance(scope, str) or scope is None else " ".join(scope)
        super().__init__(
            token_url=token_url,
            client_id=client_id,
            client_secret=client_secret,
            name=name,
            client_auth="post",
            skew=SKEW,
            transport=transport,
            clock=clock,
            redactor=redactor,
            error_parser=error_parser,
        )

    def rejected(self, reason: str | None = None) -> AuthError:
        why = f" ({reason})" if reason else ""
        return AuthError(
            f"{self.name} did not accept the client credentials{why}. Check the client id and "
            "client secret (Settings > REST API in Visma PM) and that the REST API add-on "
            "is active."
        )

    def _renew(self, current: TokenSet | None) -> TokenSet:
        body: dict[str, str] = {"client_id": self.client_id, "client_secret": self._client_secret}
        if self.scope:
            body["scope"] = self.scope
        try:
            return self._post_token(True, json=body)
        except TransientApiError:
            raise
        except ApiError as exc:
            if exc.status in (400, 401, 403):
                raise self.rejected(exc.message) from exc
            raise

    def __repr__(self) -> str:
        return (
            f"SeveraCredentials(token_url={self.token_url!r}, client_id={self.client_id!r}, "
            f"client_secret={MASK!r}, scope={self.scope!r})"
        )
