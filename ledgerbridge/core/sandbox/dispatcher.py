"""One WSGI application in front of every emulator.

It routes by mount prefix, applies the fault plan, and journals each request
with what the client actually experienced. Transport-level faults (drops,
stalls) cannot be expressed in WSGI, so they leave as `TransportFault`
exceptions that each front end turns into the real thing: the in-process
transport into httpx errors, the loopback server into a closed socket.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.sandbox.faults import (
    DEFAULT_STALL,
    DroppedAfterActing,
    DroppedBeforeActing,
    FaultDecision,
    FaultPlan,
    FaultRule,
    Stalled,
)
from ledgerbridge.core.sandbox.journal import Journal
from ledgerbridge.core.sandbox.messages import Request, Response, json_response, reason, wsgi_path
from ledgerbridge.core.sandbox.routing import App

READ_TIMEOUT_KEY = "ledgerbridge.sandbox.read_timeout"  # set by the in-process transport
RAW_URI_KEY = "RAW_URI"  # the request target as sent (gunicorn's name); set by both front ends
INTERNAL_PREFIX = "/_sandbox"


@dataclass(frozen=True)
class Mount:
    name: str
    prefix: str
    app: WSGIApplication


@dataclass
class Captured:
    """An emulator's answer, held back so a fault can still replace it."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


class SandboxApp:
    """Internal endpoints, faults, journal and prefix dispatch in one WSGI app."""

    def __init__(
        self,
        mounts: Iterable[Mount],
        *,
        faults: FaultPlan,
        journal: Journal,
        clock: Clock,
        internal: WSGIApplication | None = None,
    ) -> None:
        # Longest prefix first, so /erp/v2 wins over /erp.
        self.mounts = sorted(mounts, key=lambda m: len(m.prefix), reverse=True)
        self.faults = faults
        self.journal = journal
        self.clock = clock
        self.internal = internal
        self._idle = threading.Condition()
        self._busy = 0

    @property
    def busy(self) -> int:
        """Requests being handled right now (received, not yet answered)."""
        return self._busy

    def wait_idle(self, timeout: float) -> bool:
        """Wait (real time) until no request is being handled: a test that
        killed a client mid-request waits here for what the server still
        does with it. False if still busy after `timeout` seconds."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def resolve(self, path: str) -> tuple[Mount, str] | None:
        folded = path.lower()
        for mount in self.mounts:
            prefix = mount.prefix.lower()
            if folded == prefix or folded.startswith(prefix + "/"):
                return mount, path[len(mount.prefix) :] or "/"
        return None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with self._idle:
            self._busy += 1
        try:
            return self._handle(environ, start_response)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _handle(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = wsgi_path(environ)
        if self.internal is not None and (
            path == INTERNAL_PREFIX or path.startswith(INTERNAL_PREFIX + "/")
        ):
            return self.internal(environ, start_response)
        found = self.resolve(path)
        if found is None:
            return _send(start_response, self._not_mounted(path))
        mount, rel = found
        env = _mounted_environ(environ, mount.prefix, rel)
        request = Request(env)
        _ = request.body  # read once; the app reads the copy below
        env["wsgi.input"] = io.BytesIO(request.body)
        decision = self.faults.decide(
            request.method, rel, full_path=path, authenticated="authorization" in request.headers
        )
        if decision.latency:
            self.clock.sleep(decision.latency)
        response = self._answer(mount, env, request, path, decision)
        return _send(start_response, response)

    def _answer(
        self,
        mount: Mount,
        env: WSGIEnvironment,
        request: Request,
        full_path: str,
        decision: FaultDecision,
    ) -> Captured:
        rule, label = decision.rule, decision.label

        def journal(captured: Captured | None, error: str | None = None) -> None:
            self.journal.record(
                timestamp=self.clock.now(),
                emulator=mount.name,
                request=request,
                full_path=full_path,
                status=captured.status if captured else None,
                response_headers=captured.headers if captured else None,
                response_body=captured.body if captured else b"",
                fault=label,
                error=error,
            )

        outcome = rule.outcome if rule else None
        if rule is not None and outcome == "drop-before":
            journal(None)
            raise DroppedBeforeActing("connection dropped before the request reached the server")
        if rule is not None and outcome == "timeout":
            seconds = self._stall(rule, env)
            journal(None)
            raise Stalled(seconds, acted=False)
        if rule is not None and outcome in ("status", "expire-token"):
            captured = _fault_response(mount.app, rule)
            journal(captured)
            return captured
        try:
            captured = _run(mount.app, env)
        except Exception as exc:
            journal(Captured(500, [], b""), error=f"{type(exc).__name__}: {exc}")
            raise
        # After acting, the journal keeps the answer the client never got.
        if rule is not None and outcome == "drop-after":
            journal(captured)
            raise DroppedAfterActing("server acted, then dropped the connection")
        if rule is not None and outcome == "timeout-after":
            seconds = self._stall(rule, env)
            journal(captured)
            raise Stalled(seconds, acted=True)
        journal(captured)
        return captured

    def _stall(self, rule: FaultRule, env: WSGIEnvironment) -> float:
        """Hang until the client gives up: its read timeout when known."""
        client_timeout = env.get(READ_TIMEOUT_KEY)
        seconds = rule.stall if rule.stall is not None else DEFAULT_STALL
        if isinstance(client_timeout, int | float) and client_timeout >= 0:
            seconds = min(seconds, float(client_timeout))
        self.clock.sleep(seconds)
        return seconds

    def _not_mounted(self, path: str) -> Captured:
        names = {m.name: m.prefix for m in sorted(self.mounts, key=lambda m: m.prefix)}
        body = {"message": f"No emulator is mounted at '{path}'", "emulators": names}
        return _capture(json_response(body, 404))


def _mounted_environ(environ: WSGIEnvironment, prefix: str, rel: str) -> WSGIEnvironment:
    env = dict(environ)
    env["SCRIPT_NAME"] = str(environ.get("SCRIPT_NAME", "")) + prefix
    env["PATH_INFO"] = rel.encode("utf-8").decode("latin-1")
    raw = environ.get(RAW_URI_KEY)
    if isinstance(raw, str):
        path = raw.split("?", 1)[0]
        if not path.startswith("/"):  # an absolute-form target: http://host/path
            path = urlsplit(path).path
        # the prefix is plain ASCII (emulator.py), so it is never escaped
        if path.lower().startswith(prefix.lower()):
            env[RAW_URI_KEY] = path[len(prefix) :] or "/"
        else:
            del env[RAW_URI_KEY]
    return env


def _run(app: WSGIApplication, environ: WSGIEnvironment) -> Captured:
    """Call a WSGI app and collect its whole answer."""
    seen: dict[str, Any] = {}
    written: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        if exc_info and seen:
            raise exc_info[1].with_traceback(exc_info[2])
        seen["status"], seen["headers"] = status, headers
        return written.append

    result = app(environ, start_response)
    try:
        chunks = [*written, *result]
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if "status" not in seen:
        raise RuntimeError("emulator returned without calling start_response")
    return Captured(int(str(seen["status"]).split()[0]), list(seen["headers"]), b"".join(chunks))


def _fault_response(app: WSGIApplication, rule: FaultRule) -> Captured:
    """An injected error, in the emulator's own error shape when it has one."""
    if rule.outcome == "expire-token":
        status, message = 401, "The access token expired"
        headers = [
            ("WWW-Authenticate", f'Bearer error="invalid_token", error_description="{message}"')
        ]
    else:
        status = rule.status or 500
        message = f"{reason(status)} (sandbox fault)"
        headers = []
        if rule.retry_after is not None or status == 429:
            retry = rule.retry_after if rule.retry_after is not None else 1
            headers.append(("Retry-After", str(math.ceil(retry))))
    if isinstance(app, App):
        return _capture(app.error_response(status, message, headers))
    return _capture(json_response({"message": message}, status, headers))


def _capture(response: Response) -> Captured:
    return Captured(response.status, list(response.headers), response.body)


def _send(start_response: StartResponse, captured: Captured) -> list[bytes]:
    headers = [(k, v) for k, v in captured.headers if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(captured.body))))
    start_response(f"{captured.status} {reason(captured.status)}", headers)
    return [captured.body]
