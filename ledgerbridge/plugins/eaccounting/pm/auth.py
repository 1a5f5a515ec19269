"""Signing in to Visma PM (Severa): client credentials, JSON-style.

Severa's token endpoint is not RFC 6749's: `POST /v1/token` takes a JSON
`{client_id, client_secret, scope}` and answers `access_token_expires_in`
rather than `expires_in` [SEV], so the core's form-based `ClientCredentials`
does not fit; this `Auth` does the same job the same way (lazy token,
renewed 60 s before it expires and once on a 401, secrets registered with
the redactor before anything can log them). The client credentials are
always at hand, so a new token is simply requested again: Severa's refresh
token would only be a second secret to keep.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import httpx

from ledgerbridge.core.clock import Clock, SystemClock
from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http import (
    ApiClient,
    ApiError,
    ErrorParser,
    RetryPolicy,
    TokenSet,
    TransientApiError,
)
from ledgerbridge.core.redact import MASK, Redactor

SKEW = 60.0


class SeveraCredentials:
    """The `Auth` of a Severa ApiClient. `scope` is joined with spaces."""

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
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.scope = scope if isinstance(scope, str) or scope is None else " ".join(scope)
        self.name = name
        self._parser = error_parser
        self._transport = transport
        self._clock: Clock = clock or SystemClock()
        self._explicit = (transport is not None, clock is not None, redactor is not None)
        self._redactor = redactor or Redactor()
        self._retry = RetryPolicy(max_attempts=3)
        self._lock = threading.RLock()
        self._tokens: TokenSet | None = None
        self._client: ApiClient | None = None
        self._redactor.add(client_secret)

    # -- the Auth protocol -------------------------------------------------------------

    def bind(
        self,
        *,
        transport: httpx.BaseTransport | None,
        clock: Clock,
        redactor: Redactor,
        retry: RetryPolicy,
    ) -> None:
        with self._lock:
            self._client = None
            has_transport, has_clock, has_redactor = self._explicit
            self._transport = self._transport if has_transport else transport
            self._clock = self._clock if has_clock else clock
            self._redactor = self._redactor if has_redactor else redactor
            self._retry = retry
            self._redactor.add(self._secret)

    def auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {self.tokens().access_token}"}

    def on_unauthorized(self, sent: Mapping[str, str]) -> bool:
        with self._lock:
            sent_auth = {k.lower(): v for k, v in sent.items()}.get("authorization", "")
            current = self._tokens
            if current is not None and sent_auth.endswith(" " + current.access_token):
                self._tokens = self._request_token()
            return True

    def rejected(self, reason: str | None = None) -> AuthError:
        why = f" ({reason})" if reason else ""
        return AuthError(
            f"{self.name} did not accept the client credentials{why}. Check the client id and "
            "client secret (Settings > REST API in Visma PM) and that the REST API add-on "
            "is active."
        )

    # -- tokens ---------------------------------------------------------------------------

    def tokens(self) -> TokenSet:
        with self._lock:
            tokens = self._tokens
            if tokens is None or tokens.needs_refresh(self._clock.now(), SKEW):
                tokens = self._tokens = self._request_token()
            return tokens

    def _request_token(self) -> TokenSet:
        body: dict[str, str] = {"client_id": self.client_id, "client_secret": self._secret}
        if self.scope:
            body["scope"] = self.scope
        client = self._token_client()
        try:
            response = client.request("POST", self.token_url, json=body, idempotent=True)
        except TransientApiError:
            raise
        except ApiError as exc:
            if exc.status in (400, 401, 403):
                raise self.rejected(exc.message) from exc
            raise
        data = client.parse_json(response)
        access = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(access, str):
            raise ApiError(
                api=f"{self.name} token endpoint",
                method="POST",
                url=self.token_url,
                status=response.status_code,
                message="the answer has no access_token",
            )
        self._redactor.add(access)
        self._redactor.add(data.get("refresh_token"))
        lifetime = data.get("access_token_expires_in")
        expires = self._clock.now() + float(lifetime) if lifetime is not None else None
        return TokenSet(access, expires_at=expires, scope=data.get("scope"))

    def _token_client(self) -> ApiClient:
        if self._client is None:
            self._client = ApiClient(
                "",
                name=f"{self.name} token endpoint",
                clock=self._clock,
                redactor=self._redactor,
                transport=self._transport,
                retry=self._retry,
                error_parser=self._parser,
            )
        return self._client

    def __repr__(self) -> str:
        return (
            f"SeveraCredentials(token_url={self.token_url!r}, client_id={self.client_id!r}, "
            f"client_secret={MASK!r}, scope={self.scope!r})"
        )
