"""How the client authenticates: a small protocol, so OAuth2 flows, static API
keys and anything a plugin invents plug into the same retry-on-401 logic."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import httpx

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.redact import Redactor

if TYPE_CHECKING:
    from ledgerbridge.core.http.retry import RetryPolicy


@runtime_checkable
class Auth(Protocol):
    def bind(
        self,
        *,
        transport: httpx.BaseTransport | None,
        clock: Clock,
        redactor: Redactor,
        retry: RetryPolicy,
    ) -> None:
        """Called by the ApiClient the auth is given to, so token requests use
        the same transport (tests, sandbox), clock and redactor. Settings the
        auth was constructed with take precedence."""

    def auth_headers(self) -> Mapping[str, str]:
        """Headers for the next request; may fetch or refresh a token."""

    def on_unauthorized(self, sent: Mapping[str, str]) -> bool:
        """The API answered 401 to a request sent with `sent` headers. Renew
        the credentials if that can help; return True to retry once."""

    def rejected(self) -> AuthError:
        """The error to raise when the API keeps refusing the credentials."""


class HeaderAuth:
    """Static credentials in headers (API keys, subscription keys, Basic).

    A 401 cannot be cured by retrying, so it raises `rejected_message` at once.
    """

    def __init__(self, headers: Mapping[str, str], rejected_message: str) -> None:
        self._headers = dict(headers)
        self._message = rejected_message

    def bind(
        self,
        *,
        transport: httpx.BaseTransport | None,
        clock: Clock,
        redactor: Redactor,
        retry: RetryPolicy,
    ) -> None:
        for value in self._headers.values():
            redactor.add(value)

    def auth_headers(self) -> Mapping[str, str]:
        return self._headers

    def on_unauthorized(self, sent: Mapping[str, str]) -> bool:
        return False

    def rejected(self) -> AuthError:
        return AuthError(self._message)

    def __repr__(self) -> str:
        return f"HeaderAuth(headers={sorted(self._headers)})"
