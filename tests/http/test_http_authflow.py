"""`run_authorization_code_flow`: the pasted-code path and the loopback path."""

from __future__ import annotations

import re
import socket
import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http import AuthorizationCode, MemoryTokenStore, run_authorization_code_flow

TOKEN_URL = "https://identity.example.test/connect/token"


def token_server(codes: list[str]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        codes.append(form["code"][0])
        return httpx.Response(
            200,
            json={"access_token": "acc-1", "refresh_token": "ref-1", "expires_in": 3600},
        )

    return httpx.MockTransport(handler)


def make_flow(codes: list[str], redirect_uri: str = "http://127.0.0.1:8765/callback"):
    store = MemoryTokenStore()
    flow = AuthorizationCode(
        "https://identity.example.test/connect/authorize",
        TOKEN_URL,
        "ea-client",
        "ea-secret-value",
        redirect_uri,
        ["ea:api", "offline_access"],
        store,
        tenant="acme",
        connector="eaccounting",
        name="Visma eAccounting",
        transport=token_server(codes),
    )
    return flow, store


def test_prompt_with_bare_code() -> None:
    codes: list[str] = []
    flow, store = make_flow(codes)
    echoed: list[str] = []
    tokens = run_authorization_code_flow(
        flow, echo=echoed.append, prompt=lambda _: "  abc123  ", state="s1"
    )
    assert codes == ["abc123"]
    assert tokens.refresh_token == "ref-1"
    assert store.saved == [tokens]
    assert flow.authorization_url("s1") in echoed[0]


def test_prompt_with_full_redirect_url_checks_state() -> None:
    codes: list[str] = []
    flow, _ = make_flow(codes)
    answer = "http://127.0.0.1:8765/callback?code=xyz789&state=s1"
    run_authorization_code_flow(flow, echo=lambda _: None, prompt=lambda _: answer, state="s1")
    assert codes == ["xyz789"]


def test_prompt_with_wrong_state_is_refused() -> None:
    codes: list[str] = []
    flow, store = make_flow(codes)
    answer = "http://127.0.0.1:8765/callback?code=xyz789&state=other"
    with pytest.raises(AuthError, match="state mismatch"):
        run_authorization_code_flow(flow, echo=lambda _: None, prompt=lambda _: answer, state="s1")
    assert codes == [] and store.saved == []


def test_redirect_with_error_is_reported() -> None:
    flow, _ = make_flow([])
    answer = "http://127.0.0.1:8765/callback?error=access_denied&state=s1"
    with pytest.raises(AuthError, match=r"refused the authorization \(access_denied\)"):
        run_authorization_code_flow(flow, echo=lambda _: None, prompt=lambda _: answer, state="s1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_loopback_catches_the_redirect() -> None:
    codes: list[str] = []
    port = free_port()
    flow, store = make_flow(codes, f"http://127.0.0.1:{port}/callback")
    browser: list[httpx.Response] = []
    threads: list[threading.Thread] = []

    def open_browser(text: str) -> None:
        if "Open this address" not in text:
            return
        url = text.splitlines()[-1]
        state = parse_qs(urlsplit(url).query)["state"][0]

        def redirect() -> None:
            base = f"http://127.0.0.1:{port}"
            browser.append(httpx.get(f"{base}/favicon.ico", timeout=5))
            browser.append(httpx.get(f"{base}/callback?code=loop-code&state={state}", timeout=5))

        threads.append(threading.Thread(target=redirect, daemon=True))
        threads[0].start()

    tokens = run_authorization_code_flow(
        flow,
        echo=open_browser,
        prompt=lambda _: pytest.fail("must not prompt"),
        loopback=True,
        timeout=10,
    )
    threads[0].join(timeout=5)
    assert codes == ["loop-code"]
    assert [r.status_code for r in browser] == [404, 200]
    assert "You can close this window" in browser[1].text
    assert store.saved == [tokens]


def test_loopback_needs_a_loopback_redirect_uri() -> None:
    flow, _ = make_flow([], "https://example.test/callback")
    with pytest.raises(AuthError, match=re.escape("needs an http://127.0.0.1:PORT redirect URI")):
        run_authorization_code_flow(flow, echo=lambda _: None, prompt=lambda _: "", loopback=True)
