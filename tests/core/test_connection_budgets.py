"""A connection's per-endpoint budgets are keyed by the endpoint below the
API's base URL, so the same endpoint counts as one wherever the API is
mounted (the vendor's /v2/..., the sandbox's /eaccounting/v2/...)."""

from __future__ import annotations

from typing import Any

import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.connections import Connection, ConnectionResolver, StoredConnection
from ledgerbridge.core.context import SecretAccessor
from ledgerbridge.core.http import endpoint_under
from ledgerbridge.core.redact import Redactor
from ledgerbridge.core.systems import RateLimit, System
from ledgerbridge.core.workspace import Tenant

PER_ENDPOINT = System(
    "ledger",
    "Ledger API",
    {"type": "object", "properties": {"apiBaseUrl": {"type": "string"}}},
    rate_limit=RateLimit(
        "600 a minute per endpoint", kind="window", limit=600, window=60, per_endpoint=True
    ),
)


def connection(base: str | None, tmp_path: Any) -> Connection:
    tenant = Tenant("acme")
    settings = {} if base is None else {"apiBaseUrl": base}
    tenant.connections["books"] = StoredConnection("books", "ledger", settings).to_json()
    redactor = Redactor()
    resolver = ConnectionResolver(
        tenant=tenant,
        systems={"ledger": PER_ENDPOINT},
        secrets=SecretAccessor("acme", {}, redactor),
        clock=FakeClock(),
        redactor=redactor,
        store_path=tmp_path / "state.db",
    )
    return resolver.named("books")


def keys(conn: Connection, *paths: str, base: str | None = None) -> list[str]:
    select = conn.rate_budget(base)
    assert callable(select)
    return [select(p).key for p in paths]


def test_an_endpoint_under_a_prefix_is_keyed_as_at_the_vendor(tmp_path: Any) -> None:
    sandbox = connection("http://127.0.0.1:8010/sandbox/ea/v2/", tmp_path)
    vendor = connection("https://eaccountingapi.vismaonline.com/v2/", tmp_path)
    assert keys(
        sandbox,
        "/sandbox/ea/v2/customers",
        "/sandbox/ea/v2/customers/42?x=1",
        "/sandbox/ea/v2/articles",
    ) == ["acme/books#customers", "acme/books#customers", "acme/books#articles"]
    assert keys(vendor, "/v2/customers", "https://eaccountingapi.vismaonline.com/v2/articles") == [
        "acme/books#customers",
        "acme/books#articles",
    ]


def test_the_same_endpoint_shares_one_budget_object(tmp_path: Any) -> None:
    conn = connection("http://127.0.0.1:8010/sandbox/ea/v2", tmp_path)
    select = conn.rate_budget()
    assert callable(select)
    assert select("/sandbox/ea/v2/customers") is select("/sandbox/ea/v2/customers/1")
    assert select("/sandbox/ea/v2/customers") is not select("/sandbox/ea/v2/articles")


def test_the_base_the_client_is_built_on_wins_over_the_setting(tmp_path: Any) -> None:
    conn = connection(None, tmp_path)  # no apiBaseUrl: the plugin's default base
    assert keys(conn, "/mnt/v2/units", base="http://127.0.0.1:1/mnt/v2/") == ["acme/books#units"]
    # without any base the first path segment that is not a version is the endpoint
    assert keys(conn, "/v2/units") == ["acme/books#units"]


@pytest.mark.parametrize(
    ("base", "path", "endpoint"),
    [
        ("http://h/eaccounting/v2/", "/eaccounting/v2/customers/1", "customers"),
        ("http://h/eaccounting/v2", "/eaccounting/v2", ""),
        ("http://h/ea", "/eaccess/v2/units", "eaccess"),  # a prefix only at a "/" boundary
        ("http://h/eaccounting/v2/", "/elsewhere/v2/units", "elsewhere"),
        ("", "/v2/articles?$page=2", "articles"),
    ],
)
def test_endpoint_under(base: str, path: str, endpoint: str) -> None:
    assert endpoint_under(base)(path) == endpoint
