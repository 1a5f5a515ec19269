"""Calling the sandbox in-process through httpx.

`httpx.WSGITransport` does the HTTP-to-WSGI work; this wrapper turns the
sandbox's transport faults into the exceptions a real network produces, so a
client's retry logic sees exactly what it would see in production:
drop-before -> ConnectError, drop-after -> RemoteProtocolError (the server
acted; the response is lost), a stall -> ReadTimeout.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import httpx

from ledgerbridge.core.sandbox.dispatcher import RAW_URI_KEY, READ_TIMEOUT_KEY
from ledgerbridge.core.sandbox.faults import DroppedAfterActing, DroppedBeforeActing, Stalled

_read_timeout: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "ledgerbridge_sandbox_read_timeout", default=None
)
# The request target as sent, escapes intact: WSGI's PATH_INFO is decoded,
# so `A%2FB` would reach the emulators as two segments.
_raw_uri: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ledgerbridge_sandbox_raw_uri", default=None
)


class SandboxTransport(httpx.BaseTransport):
    """An httpx transport that calls a sandbox WSGI app in the calling thread."""

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app
        self._wsgi = httpx.WSGITransport(app=self._call)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {}).get("read")
        token = _read_timeout.set(timeout if isinstance(timeout, int | float) else None)
        raw = _raw_uri.set(request.url.raw_path.decode("ascii"))
        try:
            response = self._wsgi.handle_request(request)
            response.read()
            return response
        except DroppedBeforeActing as exc:
            raise httpx.ConnectError(str(exc), request=request) from None
        except DroppedAfterActing:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        except Stalled as exc:
            raise httpx.ReadTimeout(
                f"The read operation timed out ({exc})", request=request
            ) from None
        finally:
            _read_timeout.reset(token)
            _raw_uri.reset(raw)

    def _call(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        timeout = _read_timeout.get()
        if timeout is not None:
            environ[READ_TIMEOUT_KEY] = timeout
        raw = _raw_uri.get()
        if raw is not None:
            environ[RAW_URI_KEY] = raw
        return self._app(environ, start_response)
