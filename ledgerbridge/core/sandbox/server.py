"""The sandbox: every emulator behind one dispatcher, in-process or on loopback.

    sandbox = Sandbox(collect_emulators(pm), seed=7, clock=FakeClock())
    client = httpx.Client(transport=sandbox.transport(),
                          base_url=sandbox.base_url("visma_net"))

`serve()` puts the same dispatcher on a real socket (threaded wsgiref) for
benchmarks and manual runs. Only loopback addresses are accepted: emulators
accept any credentials and the /_sandbox endpoints have no authentication.
"""

from __future__ import annotations

import ipaddress
import socket
import socketserver
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from wsgiref.handlers import SimpleHandler
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer
from wsgiref.types import WSGIApplication

import httpx

from ledgerbridge.core.clock import Clock, SystemClock
from ledgerbridge.core.redact import Redactor
from ledgerbridge.core.sandbox.dispatcher import RAW_URI_KEY, Mount, SandboxApp
from ledgerbridge.core.sandbox.emulator import Emulator, EmulatorOptions, check_unique
from ledgerbridge.core.sandbox.faults import FaultPlan, TransportFault
from ledgerbridge.core.sandbox.internal import internal_app
from ledgerbridge.core.sandbox.journal import DEFAULT_MAX_ENTRIES, Journal
from ledgerbridge.core.sandbox.transport import SandboxTransport

IN_PROCESS_HOST = "sandbox.ledgerbridge"
LISTEN_BACKLOG = 1024
"""Connections the kernel queues before the server accepts them (capped by
net.core.somaxconn). socketserver's default of 5 refused connections as soon
as a benchmark had more than a few writes in flight, measuring the emulator
instead of ledgerbridge."""


class SandboxError(RuntimeError):
    """The sandbox cannot do what was asked (e.g. bind a public address)."""


class Sandbox:
    """Builds each emulator's app and serves them all under their prefixes."""

    def __init__(
        self,
        emulators: Iterable[Emulator],
        *,
        seed: int = 0,
        clock: Clock | None = None,
        faults: FaultPlan | Iterable[str] | None = None,
        journal_size: int = DEFAULT_MAX_ENTRIES,
        settings: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.emulators = list(emulators)
        check_unique(self.emulators)
        self.seed = seed
        self.clock: Clock = clock or SystemClock()
        self.faults = (
            faults if isinstance(faults, FaultPlan) else FaultPlan(faults or (), seed=seed)
        )
        self.redactor = Redactor()
        self.journal = Journal(max_entries=journal_size, redactor=self.redactor)
        self.apps: dict[str, WSGIApplication] = {}
        for emulator in self.emulators:
            options = EmulatorOptions(
                seed=seed,
                clock=self.clock,
                faults=self.faults,
                redactor=self.redactor,
                settings=dict((settings or {}).get(emulator.name, {})),
            )
            self.apps[emulator.name] = emulator.factory(options)
        internal = internal_app(
            journal=self.journal,
            faults=self.faults,
            emulators=[(e.name, e.prefix, e.description) for e in self.emulators],
        )
        self.app = SandboxApp(
            [Mount(e.name, e.prefix, self.apps[e.name]) for e in self.emulators],
            faults=self.faults,
            journal=self.journal,
            clock=self.clock,
            internal=internal,
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- in-process ------------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport calling the sandbox in this process."""
        return SandboxTransport(self.app)

    def base_url(self, name: str) -> str:
        """`http://sandbox.ledgerbridge/<prefix>` (in-process), or the served URL."""
        prefix = self._emulator(name).prefix
        if self._server is not None:
            return self.url + prefix
        return f"http://{IN_PROCESS_HOST}{prefix}"

    def client(self, name: str, **kwargs: Any) -> httpx.Client:
        """An httpx client for one emulator, in-process. Close it (or use `with`)."""
        return httpx.Client(transport=self.transport(), base_url=self.base_url(name), **kwargs)

    def _emulator(self, name: str) -> Emulator:
        for emulator in self.emulators:
            if emulator.name == name:
                return emulator
        known = ", ".join(e.name for e in self.emulators) or "none"
        raise KeyError(f"no emulator named {name!r} (mounted: {known})")

    # -- over loopback -----------------------------------------------------------------

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve on a loopback address in a background thread; returns the port."""
        if self._server is not None:
            raise SandboxError(f"already serving at {self.url}")
        family = require_loopback(host)
        server_class = _Server6 if family == socket.AF_INET6 else _Server
        try:
            server = server_class((host, port), _Handler)
        except OSError as exc:
            raise SandboxError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        server.set_app(self.app)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="ledgerbridge-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self.port

    @property
    def port(self) -> int:
        if self._server is None:
            raise SandboxError("the sandbox is not serving")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>` while serving."""
        if self._server is None:
            raise SandboxError("the sandbox is not serving")
        host = str(self._server.server_address[0])
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def stop(self) -> None:
        """Stop serving (idempotent); requests in flight may still finish."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def require_loopback(host: str) -> int:
    """The address family of `host`, or SandboxError when it is not loopback."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise SandboxError(f"cannot resolve {host!r}: {exc}") from None
    addresses = {str(info[4][0]) for info in infos}
    public = sorted(a for a in addresses if not ipaddress.ip_address(a).is_loopback)
    if not addresses or public:
        raise SandboxError(
            f"refusing to serve on {host!r} ({', '.join(public) or 'no address'}): "
            "the sandbox accepts any credentials, so it only binds loopback addresses "
            "such as 127.0.0.1 or ::1"
        )
    return int(infos[0][0])


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(WSGIRequestHandler):
    """wsgiref's handler, quiet, and able to drop a connection on purpose."""

    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        environ = self.get_environ()
        environ[RAW_URI_KEY] = self.path  # the target as sent: PATH_INFO is decoded
        handler = _FaultAwareHandler(
            self.rfile,
            self.wfile,  # type: ignore[arg-type]  # typeshed: BufferedIOBase vs IO[bytes]
            self.get_stderr(),
            environ,
            multithread=True,
        )
        handler.request_handler = self  # type: ignore[attr-defined]  # wsgiref's back-pointer
        app = self.server.get_app()  # type: ignore[attr-defined]
        handler.run(app)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are in the journal; stderr stays quiet."""


class _FaultAwareHandler(ServerHandler):
    def handle_error(self) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, TransportFault):
            # Close without a byte of response: the client sees a dropped connection.
            # (ServerHandler.close would log a status that was never sent.)
            self.request_handler.close_connection = True  # type: ignore[attr-defined]
            SimpleHandler.close(self)
            return
        SimpleHandler.handle_error(self)
