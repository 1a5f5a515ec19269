"""OAuth2 authorization code with rotating, single-use refresh tokens
(Visma eAccounting): each new token set is saved before it is used, so a
refresh token is never spent without its successor kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

import httpx

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http.errors import ApiError, TransientApiError
from ledgerbridge.core.http.oauth import ClientAuthMethod, OAuth2Base, vendor_reason
from ledgerbridge.core.http.tokens import DEFAULT_SKEW, TokenSet, TokenStore
from ledgerbridge.core.redact import MASK, Redactor

__all__ = ["AuthorizationCode"]


class AuthorizationCode(OAuth2Base):
    """OAuth2 authorization code with refresh tokens (Visma eAccounting).

    The refresh token is the tenant's long-lived secret: it lives in
    `token_store` and is rotated, i.e. saved again every time the server
    returns a new one (the old one stops working). Stored access tokens that
    are still valid are reused, so a run does not refresh needlessly.
    `tenant` and `connector` name the re-authorize command in error messages.
    """

    def __init__(
        self,
        authorize_url: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        scopes: Sequence[str],
        token_store: TokenStore,
        *,
        tenant: str,
        connector: str,
        name: str = "the API",
        extra_authorize_params: Mapping[str, str] | None = None,
        client_auth: ClientAuthMethod = "post",
        skew: float = DEFAULT_SKEW,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.authorize_url = authorize_url
        self.redirect_uri = redirect_uri
        self.scopes = list(scopes)
        self.token_store = token_store
        self.tenant = tenant
        self.connector = connector
        self._extra_authorize = dict(extra_authorize_params or {})
        super().__init__(
            token_url=token_url,
            client_id=client_id,
            client_secret=client_secret,
            name=name,
            client_auth=client_auth,
            skew=skew,
            transport=transport,
            clock=clock,
            redactor=redactor,
        )

    @property
    def reauthorize_command(self) -> str:
        return f"ledgerbridge auth {self.tenant} {self.connector}"

    def authorization_url(self, state: str) -> str:
        """Where the operator signs in and grants access."""
        params = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(self.scopes),
            "state": state,
            "response_type": "code",
            **self._extra_authorize,
        }
        return f"{self.authorize_url}?{urlencode(params)}"

    def exchange_code(self, code: str) -> TokenSet:
        """Trade the code from the redirect for tokens and save them."""
        self._redactor.add(code)
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        try:
            tokens = self._token_request(form, idempotent=False)
        except TransientApiError:
            raise
        except ApiError as exc:
            raise AuthError(
                f"{self.name} did not accept the authorization code ({vendor_reason(exc)}). "
                f"Codes are single-use and expire within minutes: run "
                f"{self.reauthorize_command} again."
            ) from exc
        return self._keep(tokens)

    def refresh(self) -> TokenSet:
        """Renew the tokens now, even while the access token is valid (what a
        connection test proves: the stored refresh token still works). The new
        set is saved before it is returned, as every renewal's is."""
        with self._lock:
            current = self._tokens or self._initial_tokens()
            self._tokens = self._renew(current)
            return self._tokens

    def rejected(self, reason: str | None = None) -> AuthError:
        why = f" ({reason})" if reason else ""
        return AuthError(
            f"{self.name} did not accept the stored authorization of tenant "
            f"{self.tenant!r}{why}; re-authorize this tenant: {self.reauthorize_command}"
        )

    def _initial_tokens(self) -> TokenSet | None:
        tokens = self.token_store.load()
        if tokens is not None:
            self._redactor.add(tokens.access_token)
            self._redactor.add(tokens.refresh_token)
        return tokens

    def _renew(self, current: TokenSet | None) -> TokenSet:
        if current is None or not current.refresh_token:
            raise AuthError(
                f"Tenant {self.tenant!r} has not authorized {self.name} yet; "
                f"authorize it: {self.reauthorize_command}"
            )
        form = {"grant_type": "refresh_token", "refresh_token": current.refresh_token}
        try:
            tokens = self._token_request(form, idempotent=False, previous=current)
        except TransientApiError:
            raise
        except ApiError as exc:
            if exc.status in (400, 401, 403):
                raise self.rejected(vendor_reason(exc)) from exc
            raise
        return self._keep(tokens)

    def _keep(self, tokens: TokenSet) -> TokenSet:
        """Save every new set: the refresh token may have been rotated."""
        with self._lock:
            self.token_store.save(tokens)
            self._tokens = tokens
        return tokens

    def __repr__(self) -> str:
        return (
            f"AuthorizationCode(tenant={self.tenant!r}, connector={self.connector!r}, "
            f"client_id={self.client_id!r}, client_secret={MASK!r}, scopes={self.scopes!r})"
        )
