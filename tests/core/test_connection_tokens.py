"""OAuth2 tokens belong to a connection: `Connection.token_store()` keeps one
set per connection in the tenant's secret store, so `ledgerbridge connection
test` (which runs no connector) signs in with the same tokens a run uses;
tokens kept per connector before are read and moved; nothing is shown."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from ledgerbridge import Connector, hookimpl
from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.connections import Connection, ConnectionResolver, StoredConnection
from ledgerbridge.core.context import SecretAccessor
from ledgerbridge.core.http import AuthorizationCode, TokenSet
from ledgerbridge.core.redact import Redactor
from ledgerbridge.core.secrets import SecretStore
from ledgerbridge.core.systems import System
from ledgerbridge.core.tokenstore import SecretTokenStore, connection_secret, connector_secret
from ledgerbridge.core.workspace import Tenant, Workspace
from ledgerbridge.testing import CliInvoker, PluginRegistrar

CLIENT_SECRET = "vault-client-secret-5b1d"


class Identity:
    """A token endpoint with single-use refresh tokens, as eAccounting's."""

    def __init__(self) -> None:
        self.issued = 0
        self.live: str | None = None
        self.grants: list[str] = []

    def tokens(self, live: bool = True) -> dict[str, Any]:
        self.issued += 1
        refresh = f"refresh-{self.issued:04d}-7Q"
        if live:
            self.live = refresh
        return {
            "access_token": f"access-{self.issued:04d}-9Z",
            "expires_in": 3600,
            "refresh_token": refresh,
            "token_type": "Bearer",
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.grants.append(form["grant_type"])
        if form["grant_type"] == "refresh_token" and form["refresh_token"] == self.live:
            return httpx.Response(200, json=self.tokens())
        if form["grant_type"] == "authorization_code" and form["code"] == "the-code":
            return httpx.Response(200, json=self.tokens())
        return httpx.Response(400, json={"error": "invalid_grant"})


IDENTITY = Identity()


def flow(conn: Connection) -> AuthorizationCode:
    return AuthorizationCode(
        "https://id.vault.example/authorize",
        "https://id.vault.example/token",
        str(conn.get("clientId")),
        conn.secret("clientSecret"),
        "http://127.0.0.1:8765/cb",
        ["api", "offline_access"],
        conn.token_store(legacy_connector="vault_sync"),
        tenant=conn.tenant,
        connector="vault_sync",
        name="Vault",
        transport=httpx.MockTransport(IDENTITY),
        clock=conn.clock,
        redactor=conn.redactor,
    )


def check_vault(conn: Connection) -> str:
    tokens = flow(conn).refresh()
    return f"renewed; token {tokens.access_token} until {tokens.expires_at}"


SETTINGS = {
    "type": "object",
    "properties": {
        "clientId": {"type": "string"},
        "clientSecret": {"type": "object", "x-secret": True},
    },
}


class VaultPlugin:
    @hookimpl
    def register_systems(self, register: Any) -> None:
        register(System("vault", "Vault API", SETTINGS, test=check_vault))

    @hookimpl
    def register_connectors(self, register: Any) -> None:
        register(
            Connector(
                "vault_sync",
                "Vault sync",
                {"type": "object"},
                build_flows=lambda ctx: [],
                systems=("vault",),
                authorization=lambda ctx: flow(ctx.connection("vault")),
            )
        )


@pytest.fixture
def vault(lb_plugin: PluginRegistrar, lb_workspace: Workspace) -> Iterator[Workspace]:
    global IDENTITY
    IDENTITY = Identity()
    lb_plugin(VaultPlugin(), "vault")
    tenant = lb_workspace.add_tenant("acme")
    settings = {"clientId": "cid", "clientSecret": {"secret": "vault_cs"}}
    for name in ("main", "spare"):
        tenant.connections[name] = StoredConnection(name, "vault", settings).to_json()
    tenant.connectors["vault_sync"] = {"enabled": True, "config": {"connection": "main"}}
    lb_workspace.save_tenant(tenant)
    lb_workspace.secrets.set("acme", "vault_cs", CLIENT_SECRET)
    yield lb_workspace


def signed_in(ws: Workspace, secret: str) -> TokenSet:
    """A sign-in stored under `secret`, its refresh token the live one."""
    tokens = TokenSet.from_dict({**IDENTITY.tokens(), "expires_at": 0})
    ws.secrets.set("acme", secret, json.dumps(tokens.to_dict()))
    return tokens


def stored(ws: Workspace, secret: str) -> dict[str, Any] | None:
    raw = ws.secrets.get("acme", secret)
    return None if raw is None else dict(json.loads(raw))


def test_connection_test_uses_the_connections_stored_tokens(
    vault: Workspace, lb_cli: CliInvoker
) -> None:
    before = signed_in(vault, connection_secret("main"))
    result = lb_cli("connection", "test", "acme", "main")
    assert result.exit_code == 0, result.output
    assert "renewed; token ••••" in result.output
    after = stored(vault, connection_secret("main"))
    assert after is not None and after["refresh_token"] == IDENTITY.live
    assert after["refresh_token"] != before.refresh_token  # rotated, and saved
    for secret in (CLIENT_SECRET, after["access_token"], after["refresh_token"]):
        assert secret not in result.output
    assert IDENTITY.grants == ["refresh_token"]


def test_each_connection_has_its_own_tokens(vault: Workspace, lb_cli: CliInvoker) -> None:
    signed_in(vault, connection_secret("main"))
    refused = lb_cli("connection", "test", "acme", "spare")
    assert refused.exit_code == 3
    assert "has not authorized Vault yet" in refused.output
    assert stored(vault, connection_secret("spare")) is None
    assert lb_cli("connection", "test", "acme", "main").exit_code == 0


def test_tokens_kept_per_connector_are_read_and_moved(vault: Workspace, lb_cli: CliInvoker) -> None:
    """Before tokens were per connection, `ledgerbridge auth acme vault_sync`
    kept them as vault_sync.oauth_tokens: the connection that connector names
    reads them, and the first save moves them."""
    signed_in(vault, connector_secret("vault_sync"))
    spare = lb_cli("connection", "test", "acme", "spare")  # not vault_sync's: not its tokens
    assert spare.exit_code == 3
    assert stored(vault, connector_secret("vault_sync")) is not None
    main = lb_cli("connection", "test", "acme", "main")
    assert main.exit_code == 0, main.output
    assert stored(vault, connector_secret("vault_sync")) is None
    moved = stored(vault, connection_secret("main"))
    assert moved is not None and moved["refresh_token"] == IDENTITY.live


def test_removing_a_connection_removes_its_tokens(vault: Workspace, lb_cli: CliInvoker) -> None:
    signed_in(vault, connection_secret("spare"))
    result = lb_cli("connection", "remove", "acme", "spare")
    assert result.exit_code == 0, result.output
    assert "Removed its stored sign-in (OAuth2 tokens ••••)" in result.output
    assert stored(vault, connection_secret("spare")) is None
    assert "vault_cs" in vault.secrets.names("acme")


def test_auth_signs_in_the_connection_the_connector_names(
    vault: Workspace, lb_cli: CliInvoker
) -> None:
    """`ledgerbridge auth acme vault_sync` stores the set where `connection
    test` of main (the connection vault_sync names) finds it."""
    result = lb_cli("auth", "acme", "vault_sync", input="the-code\n")
    assert result.exit_code == 0, result.output
    assert stored(vault, connector_secret("vault_sync")) is None
    assert stored(vault, connection_secret("spare")) is None
    kept = stored(vault, connection_secret("main"))
    assert kept is not None and kept["refresh_token"] == IDENTITY.live
    assert kept["refresh_token"] not in result.output
    assert lb_cli("connection", "test", "acme", "main").exit_code == 0


def resolver(tenant: Tenant, store: SecretStore, connector: str | None = None) -> Any:
    redactor = Redactor()
    return ConnectionResolver(
        tenant=tenant,
        systems={"vault": System("vault", "Vault API", SETTINGS)},
        secrets=SecretAccessor(tenant.name, {"vault_cs": CLIENT_SECRET}, redactor),
        clock=FakeClock(),
        redactor=redactor,
        secret_store=store,
        connector=connector,
        config={"clientId": "cid", "clientSecret": {"secret": "vault_cs"}},
    )


def test_settings_a_connector_carries_keep_their_tokens_under_its_name(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "secrets.json")
    conn = resolver(Tenant("acme"), store, connector="vault_sync").for_connector("vault")
    tokens = conn.token_store(legacy_connector="vault_sync")
    assert tokens.name == "vault_sync.oauth_tokens" and tokens.legacy is None
    tokens.save(TokenSet("a", refresh_token="r"))
    assert store.names("acme") == ["vault_sync.oauth_tokens"]


def test_a_connection_without_a_secret_store_says_so(tmp_path: Path) -> None:
    tenant = Tenant("acme")
    tenant.connections["main"] = StoredConnection("main", "vault", {"clientId": "c"}).to_json()
    conn = resolver(tenant, SecretStore(tmp_path / "s.json")).named("main")
    conn.secret_store = None
    with pytest.raises(Exception, match="no secret store"):
        conn.token_store()


def test_the_legacy_set_is_not_read_once_the_new_place_has_one(tmp_path: Path) -> None:
    secrets = SecretStore(tmp_path / "secrets.json")
    secrets.set("acme", "old.oauth_tokens", json.dumps(TokenSet("old").to_dict()))
    store = SecretTokenStore.for_connection(secrets, "acme", "main", legacy="old.oauth_tokens")
    loaded = store.load()
    assert loaded is not None and loaded.access_token == "old"
    store.save(TokenSet("new", refresh_token="r2"))
    assert secrets.get("acme", "old.oauth_tokens") is None
    again = store.load()
    assert again is not None and again.access_token == "new"


def test_refresh_renews_a_valid_token_and_saves_it_first(tmp_path: Path) -> None:
    global IDENTITY
    IDENTITY = Identity()
    secrets = SecretStore(tmp_path / "secrets.json")
    tenant = Tenant("acme")
    settings = {"clientId": "cid", "clientSecret": {"secret": "vault_cs"}}
    tenant.connections["main"] = StoredConnection("main", "vault", settings).to_json()
    conn = resolver(tenant, secrets).named("main")
    live = TokenSet.from_dict({**IDENTITY.tokens(), "expires_at": 10**12})  # valid for ages
    conn.token_store().save(live)
    auth = flow(conn)
    assert auth.tokens().access_token == live.access_token  # valid: no renewal
    renewed = auth.refresh()
    assert renewed.access_token != live.access_token
    kept = conn.token_store().load()
    assert kept is not None and kept.refresh_token == renewed.refresh_token == IDENTITY.live
