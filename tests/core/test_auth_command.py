"""`ledgerbridge auth`: the authorization-code flow from the CLI, tokens into
the secret store, nothing secret on screen."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from click.testing import CliRunner

from ledgerbridge import Connector, hookimpl
from ledgerbridge.core.cli import make_cli
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.http import AuthorizationCode
from ledgerbridge.core.plugins import get_registry, reset_registry
from ledgerbridge.core.tokenstore import SecretTokenStore
from ledgerbridge.core.workspace import Workspace

SEEN: list[dict[str, list[str]]] = []


def token_endpoint(request: httpx.Request) -> httpx.Response:
    form = parse_qs(request.content.decode())
    SEEN.append(form)
    if form["code"] != ["the-code"]:
        return httpx.Response(400, json={"error": "invalid_grant"})
    return httpx.Response(
        200,
        json={
            "access_token": "access-AAAA-1111",
            "expires_in": 3600,
            "refresh_token": "refresh-RRRR-2222",
            "token_type": "Bearer",
        },
    )


def authorization(ctx: RunContext) -> AuthorizationCode:
    return AuthorizationCode(
        "https://identity.example/connect/authorize",
        "https://identity.example/connect/token",
        ctx.config["clientId"],
        ctx.secrets.get("client_secret"),
        "http://127.0.0.1:8765/cb",
        ["ea:api", "offline_access"],
        SecretTokenStore(ctx_workspace(ctx).secrets, ctx.tenant, ctx.connector),
        tenant=ctx.tenant,
        connector=ctx.connector,
        name="Example API",
        transport=httpx.MockTransport(token_endpoint),
        clock=ctx.clock,
        redactor=ctx.redactor,
    )


def ctx_workspace(ctx: RunContext) -> Workspace:
    return Workspace(ctx.workspace)


class Plugin:
    @hookimpl
    def register_connectors(self, register: Any) -> None:
        register(
            Connector(
                "oauthy",
                "OAuth example",
                {"type": "object", "properties": {"clientId": {"type": "string"}}},
                build_flows=lambda ctx: [],
                authorization=authorization,
            )
        )


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Path]:
    reset_registry()
    get_registry().add(Plugin(), "oauthy")
    w = Workspace(tmp_path / "ws")
    t = w.add_tenant("acme")
    t.connectors["oauthy"] = {"enabled": True, "config": {"clientId": "cid"}}
    w.save_tenant(t)
    w.secrets.set("acme", "client_secret", "client-secret-XYZ")
    yield w.path
    reset_registry()


def test_auth_stores_rotating_tokens_as_secrets(ws: Path) -> None:
    result = CliRunner().invoke(
        make_cli(), ["--workspace", str(ws), "auth", "acme", "oauthy"], input="the-code\n"
    )
    assert result.exit_code == 0, result.output
    assert "https://identity.example/connect/authorize?" in result.output
    assert "is authorized" in result.output
    for secret in ("access-AAAA-1111", "refresh-RRRR-2222", "client-secret-XYZ"):
        assert secret not in result.output
    stored = json.loads(Workspace(ws).secrets.get("acme", "oauthy.oauth_tokens") or "{}")
    assert stored["refresh_token"] == "refresh-RRRR-2222"
    assert SEEN[-1]["grant_type"] == ["authorization_code"]


def test_refused_code_is_a_clear_error(ws: Path) -> None:
    result = CliRunner().invoke(
        make_cli(), ["--workspace", str(ws), "auth", "acme", "oauthy"], input="wrong\n"
    )
    assert result.exit_code == 3
    assert "client-secret-XYZ" not in result.output
    assert Workspace(ws).secrets.get("acme", "oauthy.oauth_tokens") is None


def test_connector_without_authorization_flow(ws: Path) -> None:
    get_registry().add(
        type(
            "Other",
            (),
            {
                "register_connectors": hookimpl(
                    lambda self, register: register(
                        Connector("plain", "Plain", {"type": "object"}, build_flows=lambda ctx: [])
                    )
                )
            },
        )(),
        "plain",
    )
    result = CliRunner().invoke(make_cli(), ["--workspace", str(ws), "auth", "acme", "plain"])
    assert result.exit_code == 2 and "does not use the authorization-code flow" in result.output
