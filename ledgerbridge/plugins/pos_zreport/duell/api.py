"""A client of the DUELL API: token login, 100-row pages, products and customers.

DUELL answers `{"status": true, ...}` and, on a refusal, `{"status": false,
"message": "..."}`; the token from `getaccesstokens` is renewed once when a
call is answered 401. Only the filters DUELL honours are used (a third-party
integrator found the others silently ignored), so lists are read whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.connections import Connection
from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http import ApiClient, ApiError, RetryPolicy
from ledgerbridge.core.redact import Redactor
from ledgerbridge.plugins.pos_zreport.duell.system import DEFAULT_API

PAGE = 100  # DUELL's hard cap on `length`


class DuellToken:
    """Auth for ApiClient: a bearer token from `POST getaccesstokens`."""

    def __init__(self, base_url: str, client_number: str, client_token: str) -> None:
        self.url = base_url.rstrip("/") + "/getaccesstokens"
        self.client_number = client_number
        self.client_token = client_token
        self.transport: httpx.BaseTransport | None = None
        self.redactor: Redactor | None = None
        self.token: str | None = None

    def bind(
        self,
        *,
        transport: httpx.BaseTransport | None,
        clock: Clock,
        redactor: Redactor,
        retry: RetryPolicy,
    ) -> None:
        self.transport, self.redactor = transport, redactor
        redactor.add(self.client_token)

    def auth_headers(self) -> Mapping[str, str]:
        if self.token is None:
            self.token = self._login()
        return {"Authorization": f"Bearer {self.token}"}

    def on_unauthorized(self, sent: Mapping[str, str]) -> bool:
        self.token = None
        return True

    def rejected(self) -> AuthError:
        return AuthError(self._refused())

    def _refused(self) -> str:
        return (
            f"DUELL did not accept client number {self.client_number} with the stored API "
            "token. Fix: copy the token from Duell Manager > API-oppsett and store it with "
            "`ledgerbridge secret set TENANT NAME` (the name the DUELL connection's "
            "clientToken refers to); check that this server's IP is whitelisted by DUELL."
        )

    def _login(self) -> str:
        form = {"client_number": self.client_number, "client_token": self.client_token}
        with httpx.Client(transport=self.transport, timeout=30.0) as client:
            response = client.post(self.url, data=form)
        body = _json(response)
        token = body.get("token") or body.get("access_token")
        if response.status_code != 200 or not body.get("status") or not token:
            raise AuthError(self._refused())
        if self.redactor is not None:
            self.redactor.add(str(token))
        return str(token)


class DuellApi:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    @classmethod
    def for_connection(cls, conn: Connection) -> DuellApi:
        base = str(conn.get("baseUrl") or DEFAULT_API).rstrip("/") + "/"
        auth = DuellToken(base, str(conn.get("clientNumber")), conn.secret("clientToken"))
        client = ApiClient(
            base,
            name="duell",
            auth=auth,
            transport=conn.transport,
            clock=conn.clock,
            redactor=conn.redactor,
            retry=RetryPolicy(max_attempts=4),
            rate_budget=conn.rate_budget(),
        )
        return cls(client)

    def pages(
        self, path: str, items: str, params: Mapping[str, str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every row of a list, 100 at a time."""
        start = 0
        while True:
            body = self.client.get_json(
                path, params={**(params or {}), "start": start, "length": PAGE}
            )
            rows = list(body.get(items) or [])
            yield from rows
            start += len(rows)
            if not rows or start >= int(body.get("total_count") or 0):
                return

    def count(self, path: str) -> int:
        body = self.client.get_json(path, params={"start": 0, "length": 1})
        return int(body.get("total_count") or 0)

    def save_products(self, products: list[dict[str, Any]]) -> None:
        self._ok(self.client.request("POST", "product/save", json={"product_data": products}))

    def save_customer(self, customer: Mapping[str, Any]) -> str:
        body = self._ok(self.client.request("PUT", "customer", json=dict(customer)))
        return str(body.get("customer_id"))

    def _ok(self, response: httpx.Response) -> dict[str, Any]:
        body = _json(response)
        if not body.get("status"):
            raise ApiError(
                api="duell",
                method=response.request.method,
                url=str(response.request.url),
                status=422,
                message=str(body.get("message") or "DUELL refused the request"),
            )
        return body


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
