"""The sandbox over real loopback HTTP, its /_sandbox endpoints, and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from click.testing import CliRunner

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.sandbox import Sandbox, SandboxError, cli
from ledgerbridge.core.sandbox.server import require_loopback

from .conftest import NOTES, get_token, new_note


@pytest.fixture
def served(clock: FakeClock) -> Iterator[Sandbox]:
    box = Sandbox([NOTES], seed=3, clock=clock)
    port = box.serve("127.0.0.1", 0)
    assert port > 0 and box.url == f"http://127.0.0.1:{port}"
    yield box
    box.stop()


@pytest.fixture
def http(served: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.base_url("notes"), timeout=5) as client:
        client.headers["Authorization"] = f"Bearer {get_token(client)}"
        yield client


def test_real_http_round_trip(served: Sandbox, http: httpx.Client) -> None:
    assert served.base_url("notes") == f"{served.url}/notes"
    created = http.post("/v1/notes", json=new_note())
    assert created.status_code == 201
    assert created.headers["Location"] == f"{served.url}/notes/v1/notes/1001"
    assert http.get("/v1/notes/1001").json()["title"] == "Call Anna"


def test_journal_endpoint_filters(served: Sandbox, http: httpx.Client) -> None:
    http.post("/v1/notes", json=new_note())
    http.get("/v1/notes/1001")
    http.get("/v1/notes/9")
    url = f"{served.url}/_sandbox/journal"
    body = httpx.get(url, params={"method": "GET", "path_startswith": "/v1/notes/"}).json()
    assert body["total"] == 2
    assert [e["status"] for e in body["entries"]] == [200, 404]
    assert httpx.get(url, params={"status": 201}).json()["entries"][0]["body"] == new_note()
    assert httpx.get(url, params={"limit": 1}).json()["entries"][0]["path"] == "/v1/notes/9"
    assert httpx.get(url, params={"status": "x"}).status_code == 400
    index = httpx.get(f"{served.url}/_sandbox").json()
    assert index["emulators"][0]["name"] == "notes"
    assert httpx.delete(url).status_code == 204
    assert httpx.get(url).json()["total"] == 0


def test_faults_endpoint_and_drop_after_over_a_socket(served: Sandbox, http: httpx.Client) -> None:
    url = f"{served.url}/_sandbox/faults"
    bad = httpx.post(url, content="POST /v1/notes drop-after")
    assert bad.status_code == 400 and "missing ':'" in bad.json()["message"]
    added = httpx.post(url, json={"spec": "POST /v1/notes: drop-after x1"})
    assert added.status_code == 201
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/v1/notes", json=new_note("lost answer"))
    assert [n["title"] for n in http.get("/v1/notes").json()] == ["lost answer"]
    rules = httpx.get(url).json()["rules"]
    assert rules == [{"spec": "POST /v1/notes: drop-after x1", "matched": 1, "applied": 1}]
    assert httpx.delete(url).status_code == 204
    assert httpx.get(url).json()["rules"] == []


def test_drop_before_and_status_faults_over_a_socket(served: Sandbox, http: httpx.Client) -> None:
    served.faults.add("GET /v1/notes: drop-before x1")
    served.faults.add("GET /v1/notes: 503 retry-after=3 x1")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        http.get("/v1/notes")
    failed = http.get("/v1/notes")
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "3"
    assert http.get("/v1/notes").status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.invalid"])
def test_refuses_non_loopback(host: str) -> None:
    box = Sandbox([NOTES])
    with pytest.raises(SandboxError, match=r"refusing to serve|cannot resolve"):
        box.serve(host, 0)


def test_loopback_family_and_stop_is_idempotent() -> None:
    assert require_loopback("127.0.0.1") > 0
    box = Sandbox([NOTES])
    box.serve()
    with pytest.raises(SandboxError, match="already serving"):
        box.serve()
    box.stop()
    box.stop()
    with pytest.raises(SandboxError, match="not serving"):
        _ = box.url


def test_unknown_emulator_name() -> None:
    with pytest.raises(KeyError, match="no emulator named 'x' \\(mounted: notes\\)"):
        Sandbox([NOTES]).base_url("x")


# -- CLI ---------------------------------------------------------------------------


def test_cli_journal_reads_a_running_sandbox(served: Sandbox, http: httpx.Client) -> None:
    http.post("/v1/notes", json=new_note())
    http.get("/v1/notes/1001", params={"expand": "all"})
    runner = CliRunner()
    result = runner.invoke(cli.sandbox, ["journal", "--url", served.url, "--method", "GET"])
    assert result.exit_code == 0, result.output
    assert "GET    200 /v1/notes/1001?expand=all" in result.output
    assert "1 of 1 matching entries" in result.output
    as_json = runner.invoke(
        cli.sandbox, ["journal", "--url", served.url, "--path", "/v1/*", "--json"]
    )
    entries = json.loads(as_json.output)
    assert [e["method"] for e in entries] == ["POST", "GET"]
    assert all(e["headers"]["Authorization"] == "••••" for e in entries)


def test_cli_journal_unreachable() -> None:
    result = CliRunner().invoke(cli.sandbox, ["journal", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "cannot read the journal at http://127.0.0.1:9" in result.output


def test_cli_serve_prints_urls_and_applies_faults(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_wait() -> None:
        box = seen["box"]
        assert isinstance(box, Sandbox)
        with httpx.Client(base_url=box.base_url("notes")) as client:
            seen["status"] = client.get("/v1/notes").status_code

    class Spy(Sandbox):
        def serve(self, host: str = "127.0.0.1", port: int = 0) -> int:
            seen["box"] = self
            return super().serve(host, port)

    monkeypatch.setattr(cli, "load_emulators", lambda: [NOTES])
    monkeypatch.setattr(cli, "wait_for_interrupt", fake_wait)
    monkeypatch.setattr(cli, "Sandbox", Spy)
    result = CliRunner().invoke(
        cli.sandbox, ["serve", "--port", "0", "--latency", "5", "--fault", "GET /v1/*: 503 x1"]
    )
    assert result.exit_code == 0, result.output
    assert seen["status"] == 503
    assert "notes            http://127.0.0.1:" in result.output
    assert "fault: *: latency=5ms" in result.output
    assert "fault: GET /v1/*: 503 x1" in result.output
    assert "sandbox stopped" in result.output


def test_cli_serve_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "load_emulators", lambda: [NOTES])
    runner = CliRunner()
    bad = runner.invoke(cli.sandbox, ["serve", "--fault", "GET /x: 99"])
    assert bad.exit_code == 2
    assert "invalid fault 'GET /x: 99'" in bad.output
    public = runner.invoke(cli.sandbox, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert public.exit_code == 1 and "refusing to serve on '0.0.0.0'" in public.output
    monkeypatch.setattr(cli, "load_emulators", lambda: [])
    none = runner.invoke(cli.sandbox, ["serve", "--port", "0"])
    assert none.exit_code == 1 and "no emulators are installed" in none.output


def _somaxconn() -> int:
    try:
        with open("/proc/sys/net/core/somaxconn", encoding="ascii") as f:
            return int(f.read())
    except OSError:
        return 128  # not Linux: the platform's own cap applies


@pytest.mark.skipif(_somaxconn() < 128, reason="the kernel caps listen backlogs below 128")
def test_the_server_queues_128_connections_it_has_not_accepted_yet() -> None:
    """A benchmark with 16+ writes in flight opens connections faster than the
    accept loop takes them; with socketserver's default backlog (5) the kernel
    dropped the rest and the client waited on SYN retries."""
    import selectors
    import socket
    import time

    from ledgerbridge.core.sandbox import server

    listening = server._Server(("127.0.0.1", 0), server._Handler)  # bound, never accepting
    port = listening.server_address[1]
    selector = selectors.DefaultSelector()
    clients = []
    try:
        for _ in range(128):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            clients.append(sock)
            selector.register(sock, selectors.EVENT_WRITE)
        connected = 0
        deadline = time.monotonic() + 5
        while selector.get_map() and time.monotonic() < deadline:
            for key, _ in selector.select(0.1):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    connected += 1
                selector.unregister(sock)
        assert connected == 128
    finally:
        for sock in clients:
            sock.close()
        listening.server_close()
    assert server.LISTEN_BACKLOG >= 128
