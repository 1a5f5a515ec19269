"""The interactive part of the authorization code flow, for `ledgerbridge auth`.

The operator opens a URL, signs in at the vendor and is redirected back with a
code. Either they paste the code (or the whole address they landed on), or,
with `loopback`, a one-shot server on 127.0.0.1 catches the redirect itself.
The `state` check makes sure the code belongs to this attempt.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from ledgerbridge.core.errors import AuthError

if TYPE_CHECKING:
    from ledgerbridge.core.http.authcode import AuthorizationCode
    from ledgerbridge.core.http.tokens import TokenSet

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})
_DONE_PAGE = (
    b"<!doctype html><title>ledgerbridge</title>"
    b"<p>Authorization received. You can close this window and return to the terminal.</p>"
)


def run_authorization_code_flow(
    flow: AuthorizationCode,
    *,
    echo: Callable[[str], None],
    prompt: Callable[[str], str],
    loopback: bool = False,
    state: str | None = None,
    timeout: float = 300.0,
) -> TokenSet:
    """Guide the operator through authorization and save the tokens.

    echo/prompt: how to talk to the operator (click.echo / click.prompt).
    loopback:    catch the redirect on 127.0.0.1 (the redirect URI registered
                 with the vendor must point there) instead of asking.
    timeout:     seconds the loopback server waits for the browser.
    """
    state = state or secrets.token_urlsafe(24)
    url = flow.authorization_url(state)
    if loopback:
        with _OneShotServer(flow.redirect_uri) as server:
            echo(f"Open this address in a browser and sign in to {flow.name}:\n{url}")
            echo(f"Waiting for the redirect to {flow.redirect_uri} ...")
            params = server.wait(timeout)
        checked_state = True
    else:
        echo(f"Open this address in a browser and sign in to {flow.name}:\n{url}")
        answer = prompt("Paste the code, or the whole address the browser was sent to")
        params, checked_state = _parse_answer(answer)
    code = _code_from(params, state if checked_state else None, flow)
    return flow.exchange_code(code)


def _parse_answer(answer: str) -> tuple[dict[str, str], bool]:
    """(parameters, whether they came with a state to check)."""
    answer = answer.strip()
    if "?" in answer or answer.startswith(("http://", "https://")) or "code=" in answer:
        query = urlsplit(answer).query if "?" in answer else answer
        return dict(parse_qsl(query, keep_blank_values=True)), True
    return {"code": answer}, False


def _code_from(params: dict[str, str], state: str | None, flow: AuthorizationCode) -> str:
    again = f"run {flow.reauthorize_command} again"
    if params.get("error"):
        detail = params.get("error_description") or params["error"]
        raise AuthError(f"{flow.name} refused the authorization ({detail}); {again}.")
    if state is not None and params.get("state") != state:
        raise AuthError(
            f"The answer does not belong to this authorization attempt (state mismatch); {again}."
        )
    code = params.get("code", "")
    if not code:
        raise AuthError(f"No authorization code was given; {again}.")
    return code


class _OneShotServer:
    """Serves on the redirect URI's port until the redirect arrives."""

    def __init__(self, redirect_uri: str) -> None:
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in _LOOPBACK_HOSTS:
            raise AuthError(
                f"Loopback authorization needs an http://127.0.0.1:PORT redirect URI, "
                f"not {redirect_uri}; authorize without loopback instead."
            )
        self.path = parts.path or "/"
        self.result: dict[str, str] | None = None
        self._httpd = HTTPServer(("127.0.0.1", parts.port or 80), self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != server.path:
                    self.send_error(404)
                    return
                server.result = dict(parse_qsl(parts.query, keep_blank_values=True))
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(_DONE_PAGE)))
                self.end_headers()
                self.wfile.write(_DONE_PAGE)

            def log_message(self, format: str, *args: Any) -> None:
                """Silenced: the default prints the request line, code included."""

        return Handler

    def wait(self, timeout: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while self.result is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AuthError(
                    f"No redirect arrived within {timeout:.0f} s; authorize again, "
                    "or without loopback to paste the code."
                )
            self._httpd.timeout = remaining
            self._httpd.handle_request()
        return self.result

    def __enter__(self) -> _OneShotServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.server_close()
