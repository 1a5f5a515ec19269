"""OAuth2 for vendor APIs: the shared token machinery and client credentials
(Visma.net via Visma Connect, Severa); the authorization code flow with
rotating refresh tokens (Visma eAccounting) is in authcode.py, tokens and
their stores in tokens.py.

Tokens are fetched lazily, renewed shortly *before* they expire (so a long
run never sends a request with a token that dies in flight) and once more when
the API answers 401 anyway (revoked, clock skew). When the identity server
refuses our credentials the error tells the operator exactly what to do; the
run cannot fix it by retrying.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import httpx

from ledgerbridge.core.clock import Clock, SystemClock
from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http.client import ApiClient
from ledgerbridge.core.http.errors import ApiError, ErrorParser, TransientApiError
from ledgerbridge.core.http.parsers import parse_oauth_error
from ledgerbridge.core.http.reach import UrlSetting, wrong_token_url
from ledgerbridge.core.http.refusal import Refusal, RefusalMessage, default_refusal_message
from ledgerbridge.core.http.retry import RetryPolicy
from ledgerbridge.core.http.tokens import DEFAULT_SKEW, MemoryTokenStore, TokenSet, TokenStore
from ledgerbridge.core.redact import FORM_SECRET_KEYS, MASK, Redactor

__all__ = [
    "DEFAULT_SKEW",
    "ClientAuthMethod",
    "ClientCredentials",
    "MemoryTokenStore",
    "OAuth2Base",
    "Refusal",
    "RefusalMessage",
    "TokenSet",
    "TokenStore",
    "vendor_reason",
]

ClientAuthMethod = Literal["post", "basic"]


class OAuth2Base:
    """Token caching, renewal (before expiry, and once on a 401), the token
    endpoint's client and the reading of its answer, shared by both flows
    here and by a vendor's own when its token endpoint is not RFC 6749's
    (Visma PM's JSON one): subclass it, implement `_renew` and `rejected`,
    post with `_post_token` and set `expires_in_key` if it is named otherwise.
    """

    expires_in_key = "expires_in"
    """The answer's field with the access token's lifetime in seconds."""

    url_setting: UrlSetting | None = None  # the config key of token_url, for errors

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        name: str,
        client_auth: ClientAuthMethod,
        skew: float,
        transport: httpx.BaseTransport | None,
        clock: Clock | None,
        redactor: Redactor | None,
        error_parser: ErrorParser = parse_oauth_error,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.name = name
        self._client_auth = client_auth
        self._error_parser = error_parser
        self._skew = skew
        self._transport = transport
        self._clock: Clock = clock or SystemClock()
        self._explicit = (transport is not None, clock is not None, redactor is not None)
        self._redactor = redactor or Redactor()
        self._retry: RetryPolicy | None = None
        self._lock = threading.RLock()
        self._tokens: TokenSet | None = None
        self._token_client: ApiClient | None = None
        self._register_secrets()

    # -------------------------------------------------------- Auth protocol

    def bind(
        self,
        *,
        transport: httpx.BaseTransport | None,
        clock: Clock,
        redactor: Redactor,
        retry: RetryPolicy,
    ) -> None:
        with self._lock:
            self.close()  # the next token request uses the new settings
            has_transport, has_clock, has_redactor = self._explicit
            if not has_transport:
                self._transport = transport
            if not has_clock:
                self._clock = clock
            if not has_redactor:
                self._redactor = redactor
            self._retry = self._retry or retry
            self._register_secrets()

    def close(self) -> None:
        """Close the token endpoint's connections (ApiClient.close does not:
        one auth may serve several clients)."""
        with self._lock:
            if self._token_client is not None and self._transport is None:
                self._token_client.close()  # a given transport belongs to the caller
            self._token_client = None

    def auth_headers(self) -> Mapping[str, str]:
        tokens = self.tokens()
        return {"Authorization": f"{_token_type(tokens)} {tokens.access_token}"}

    def on_unauthorized(self, sent: Mapping[str, str]) -> bool:
        with self._lock:
            current = self._tokens
            sent_auth = {k.lower(): v for k, v in sent.items()}.get("authorization", "")
            if current is not None and sent_auth.endswith(" " + current.access_token):
                self._tokens = self._renew(current)  # else another thread already did
            return True

    # -------------------------------------------------------- tokens

    def tokens(self) -> TokenSet:
        """The current tokens, fetched or renewed when missing or about to expire."""
        with self._lock:
            tokens = self._tokens or self._initial_tokens()
            if tokens is None or tokens.needs_refresh(self._clock.now(), self._skew):
                tokens = self._renew(tokens)
            self._tokens = tokens
            return tokens

    def _initial_tokens(self) -> TokenSet | None:
        return None

    def _renew(self, current: TokenSet | None) -> TokenSet:
        raise NotImplementedError

    def _secrets(self) -> list[str | None]:
        return [self._client_secret]

    def _register_secrets(self) -> None:
        for secret in self._secrets():
            self._redactor.add(secret)
        if self._tokens is not None:
            self._redactor.add(self._tokens.access_token)
            self._redactor.add(self._tokens.refresh_token)

    def _client(self) -> ApiClient:
        if self._token_client is None:
            self._token_client = ApiClient(
                "",
                name=f"{self.name} token endpoint",
                clock=self._clock,
                redactor=self._redactor,
                transport=self._transport,
                retry=self._retry or RetryPolicy(max_attempts=3),
                error_parser=self._error_parser,
                url_setting=self.url_setting,
            )
        return self._token_client

    def _token_request(
        self, form: Mapping[str, str], idempotent: bool, previous: TokenSet | None = None
    ) -> TokenSet:
        """POST to the token endpoint; ApiError for refusals, tokens otherwise.

        Client-credential requests are idempotent; a refresh-token or code
        grant is not (the server may have rotated or spent it), so those are
        only retried when they certainly never arrived.
        """
        body = dict(form)
        headers: dict[str, str] = {"Accept": "application/json"}
        if self._client_auth == "basic":
            pair = f"{self.client_id}:{self._client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            body.update(client_id=self.client_id, client_secret=self._client_secret)
        return self._post_token(idempotent, previous, data=body, headers=headers)

    def _post_token(
        self, idempotent: bool, previous: TokenSet | None = None, **request: Any
    ) -> TokenSet:
        """POST `request` (the body as `data=` or `json=`, `headers=`) to the
        token endpoint; ApiError for refusals, the answer's tokens otherwise."""
        client = self._client()
        response = client.request("POST", self.token_url, idempotent=idempotent, **request)
        return self._parse_tokens(client.parse_json(response), response, previous)

    def _parse_tokens(
        self, body: Any, response: httpx.Response, previous: TokenSet | None
    ) -> TokenSet:
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise ApiError(
                api=f"{self.name} token endpoint",
                method="POST",
                url=self._redactor.redact(self.token_url),
                status=response.status_code,
                message="the answer has no access_token",
            )
        # Register before anything else can log or raise with them.
        self._redactor.add(body["access_token"])
        self._redactor.add(body.get("refresh_token"))
        expires_in = body.get(self.expires_in_key)
        expires_at = self._clock.now() + float(expires_in) if expires_in is not None else None
        refresh = body.get("refresh_token") or (previous.refresh_token if previous else None)
        return TokenSet(
            access_token=body["access_token"],
            expires_at=expires_at,
            refresh_token=refresh,
            token_type=str(body.get("token_type") or "Bearer"),
            scope=body.get("scope"),
        )


def _token_type(tokens: TokenSet) -> str:
    # Servers answer "bearer" in any case; APIs expect the canonical spelling.
    return "Bearer" if tokens.token_type.lower() == "bearer" else tokens.token_type


def vendor_reason(error: ApiError) -> str:
    code = error.vendor_code or str(error.status)
    return code if error.message in (code, "") else f"{code}: {error.message}"


class ClientCredentials(OAuth2Base):
    """OAuth2 client credentials (Visma.net: Visma Connect, with `tenant_id`
    in `extra_form`).

    rejected_message: the operator message when the identity server refuses
    the credentials, or the API refuses the token it issued; connectors word
    it their own way, as one text or per `Refusal` (a wrong client secret
    and a refused tenant need different fixes). Values of `extra_form`
    whose names are secret (tenant_id) are registered with the redactor.
    token_url_setting: the config key holding `token_url` ("tokenUrl"): a
    token endpoint that cannot be reached on the run's first request, or
    answers 404, is that setting being wrong (a ConfigError naming it).
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str | Sequence[str],
        extra_form: Mapping[str, str] | None = None,
        *,
        name: str = "the API",
        rejected_message: str | RefusalMessage | None = None,
        token_url_setting: UrlSetting | None = None,
        client_auth: ClientAuthMethod = "post",
        skew: float = DEFAULT_SKEW,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.scope = scope if isinstance(scope, str) else " ".join(scope)
        self._extra_form = dict(extra_form or {})
        self._rejected_message = rejected_message
        self.url_setting = token_url_setting
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

    def _secrets(self) -> list[str | None]:
        extra = [v for k, v in self._extra_form.items() if k.lower() in FORM_SECRET_KEYS]
        return [self._client_secret, *extra]

    def rejected(self, refusal: Refusal | None = None) -> AuthError:
        """The operator's error; without a refusal, the API refused the token."""
        refusal = refusal or Refusal("api", status=401)
        message = self._rejected_message
        if message is None:
            return AuthError(default_refusal_message(self.name, refusal))
        return AuthError(message if isinstance(message, str) else message(refusal))

    def _renew(self, current: TokenSet | None) -> TokenSet:
        form = {"grant_type": "client_credentials", "scope": self.scope, **self._extra_form}
        try:
            return self._token_request(form, idempotent=True)
        except TransientApiError:
            raise
        except ApiError as exc:
            wrong = wrong_token_url(self.url_setting, self._redactor.redact(self.token_url), exc)
            if wrong is not None:
                raise wrong from exc
            if exc.status in (400, 401, 403):
                refusal = Refusal("token", exc.vendor_code, exc.message, exc.status)
                raise self.rejected(refusal) from exc
            raise

    def __repr__(self) -> str:
        extra = {
            k: (MASK if k.lower() in FORM_SECRET_KEYS else v) for k, v in self._extra_form.items()
        }
        return (
            f"ClientCredentials(token_url={self.token_url!r}, client_id={self.client_id!r}, "
            f"client_secret={MASK!r}, scope={self.scope!r}, extra_form={extra!r})"
        )
