"""Fault injection in-process: each fault kind, counting, determinism, spec syntax."""

from __future__ import annotations

import httpx
import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.sandbox import FaultPlan, FaultRule, FaultSpecError, Sandbox, parse_fault

from .conftest import NOTES, get_token, new_note


def titles(api: httpx.Client) -> list[str]:
    return [n["title"] for n in api.get("/v1/notes").json()]


def test_latency_goes_through_the_clock(
    api: httpx.Client, sandbox: Sandbox, clock: FakeClock
) -> None:
    sandbox.faults.add("*: latency=20ms")
    sandbox.faults.add("GET /v1/*: latency=1.5s")
    before = clock.monotonic()
    assert api.get("/v1/notes").status_code == 200
    assert clock.sleeps == [pytest.approx(1.52)]
    assert clock.monotonic() - before == pytest.approx(1.52)
    assert sandbox.journal.last().fault == "latency=20ms latency=1.5s"  # type: ignore[union-attr]


def test_429_with_retry_after_once(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.add("GET *: 429 retry-after=2 x1")
    first = api.get("/v1/notes")
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "2"
    assert first.json() == {
        "ErrorCode": 429,
        "DeveloperErrorMessage": "Too Many Requests (sandbox fault)",
    }
    assert api.get("/v1/notes").status_code == 200


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_do_not_reach_the_emulator(
    api: httpx.Client, sandbox: Sandbox, status: int
) -> None:
    sandbox.faults.add(f"POST /v1/notes: {status}")
    response = api.post("/v1/notes", json=new_note())
    assert response.status_code == status
    sandbox.faults.clear()
    assert titles(api) == []
    entry = sandbox.journal.find(method="POST", path="/v1/notes")[0]
    assert (entry.status, entry.fault) == (status, str(status))


def test_drop_before_acting(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.add("POST /v1/notes: drop-before x1")
    with pytest.raises(httpx.ConnectError):
        api.post("/v1/notes", json=new_note())
    assert titles(api) == []
    entry = sandbox.journal.find(method="POST", path="/v1/notes")[0]
    assert (entry.status, entry.fault) == (None, "drop-before")


def test_drop_after_acting_changes_state_but_client_gets_an_error(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.faults.add("POST /v1/notes*: drop-after@2")
    api.post("/v1/notes", json=new_note("first"))
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/v1/notes", json=new_note("second"))
    api.post("/v1/notes", json=new_note("third"))
    assert titles(api) == ["first", "second", "third"]
    entry = sandbox.journal.find(method="POST", path="/v1/notes")[1]
    assert (entry.status, entry.fault, entry.body["title"]) == (201, "drop-after", "second")


def test_timeout_waits_for_the_client_read_timeout(sandbox: Sandbox, clock: FakeClock) -> None:
    sandbox.faults.add("POST /v1/*: timeout x1")
    with sandbox.client("notes", timeout=httpx.Timeout(10, read=7)) as api:
        api.headers["Authorization"] = f"Bearer {get_token(api)}"
        with pytest.raises(httpx.ReadTimeout):
            api.post("/v1/notes", json=new_note())
        assert clock.sleeps == [7]
        assert titles(api) == []


def test_timeout_after_acting_with_stall(
    api: httpx.Client, sandbox: Sandbox, clock: FakeClock
) -> None:
    sandbox.faults.add("POST *: timeout-after=2s")
    with pytest.raises(httpx.ReadTimeout):
        api.post("/v1/notes", json=new_note())
    assert clock.sleeps == [2]
    sandbox.faults.clear()
    assert titles(api) == ["Call Anna"]


def test_expire_token_hits_only_authenticated_requests(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    sandbox.faults.add("*: expire-token x2")
    token = get_token(client)  # the token request has no Authorization header: not counted
    auth = {"Authorization": f"Bearer {token}"}
    first = client.get("/v1/notes", headers=auth)
    assert first.status_code == 401
    assert 'error="invalid_token"' in first.headers["WWW-Authenticate"]
    assert first.json()["DeveloperErrorMessage"] == "The access token expired"
    assert client.get("/v1/notes", headers=auth).status_code == 401
    assert client.get("/v1/notes", headers=auth).status_code == 200


def test_nth_and_count(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.add("GET /v1/notes: 503@2 x2")
    statuses = [api.get("/v1/notes").status_code for _ in range(5)]
    assert statuses == [200, 503, 503, 200, 200]
    rule = sandbox.faults.rules[0]
    assert (rule.matched, rule.applied) == (5, 2)


def test_first_outcome_wins(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.add("GET *: 502 x1")
    sandbox.faults.add("GET *: 503 x1")
    assert [api.get("/v1/notes").status_code for _ in range(3)] == [502, 503, 200]


def test_pattern_matches_full_path_and_regex(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.add("/notes/v2/*: 500 x1")
    sandbox.faults.add(r"GET re:/v1/notes/\d+: 502 x1")
    assert api.get("/v2/notes").status_code == 500
    assert api.get("/v1/notes/5").status_code == 502
    assert api.get("/v1/notes").status_code == 200


def fault_sequence(seed: int) -> list[int]:
    box = Sandbox([NOTES], seed=seed, clock=FakeClock(), faults=["GET /v1/notes: 503 p=0.3"])
    with box.client("notes") as api:
        api.headers["Authorization"] = f"Bearer {get_token(api)}"
        return [api.get("/v1/notes").status_code for _ in range(40)]


def test_same_seed_same_faults() -> None:
    first = fault_sequence(11)
    assert first == fault_sequence(11)
    assert 503 in first and 200 in first
    assert first != fault_sequence(12)


def test_plan_reseed_restarts_the_sequence() -> None:
    plan = FaultPlan(["*: 500 50%"], seed=5)
    run = [plan.decide("GET", "/x").outcome for _ in range(20)]
    plan.reseed(5)
    assert [plan.decide("GET", "/x").outcome for _ in range(20)] == run


@pytest.mark.parametrize(
    "spec, expected",
    [
        (
            "POST /v2/customerinvoice*: drop-after@3",
            dict(
                methods=frozenset({"POST"}),
                pattern="/v2/customerinvoice*",
                outcome="drop-after",
                nth=3,
                limit=1,
            ),
        ),
        ("*: latency=20ms", dict(methods=frozenset(), latency=0.02, outcome=None, limit=None)),
        ("GET *: 429 retry-after=2 x1", dict(outcome="status", status=429, retry_after=2, count=1)),
        (
            "get,put /a: 503 retry-after=1.5s 10%",
            dict(methods=frozenset({"GET", "PUT"}), retry_after=1.5, probability=0.1),
        ),
        ("GET: timeout=2s", dict(pattern="*", outcome="timeout", stall=2)),
        (
            "* re:^/v1/.*$: expire-token @2 x3 p=0.5",
            dict(pattern="re:^/v1/.*$", nth=2, count=3, probability=0.5),
        ),
        ("/x: latency=1m timeout-after", dict(latency=60, outcome="timeout-after", stall=None)),
    ],
)
def test_parse_good_specs(spec: str, expected: dict[str, object]) -> None:
    rule = parse_fault(spec)
    for name, value in expected.items():
        assert getattr(rule, name) == value, name
    assert parse_fault(rule.describe()).describe() == rule.describe()


@pytest.mark.parametrize(
    "spec, message",
    [
        ("GET /x 429", "missing ':'"),
        (": 429", "missing path pattern"),
        ("GET /x:", "nothing after ':'"),
        ("FETCH /x: 429", "unknown HTTP method 'FETCH'"),
        ("GET /x /y: 429", "expected 'METHOD PATTERN'"),
        ("*: 42O", "unknown action '42O'"),
        ("*: 302", "status must be 400-599"),
        ("*: latency=20", "bad duration '20'; write e.g. 20ms"),
        ("*: drop-after 503", "one fault per rule"),
        ("*: retry-after=2", "a rule needs a fault or a latency"),
        ("*: drop-after retry-after=2", "retry-after goes with a status"),
        ("*: 500 x0", "xN needs N >= 1"),
        ("*: 500@0", "@N counts from 1"),
        ("*: 500 p=1.5", "probability must be in (0, 1]"),
        ("*: 500 p=abc", "'abc' is not a number"),
        ("*: 500 x1 x2", "repeats a setting"),
        ("re:(: 500", "bad regex"),
    ],
)
def test_parse_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(FaultSpecError) as exc:
        parse_fault(spec)
    assert message in str(exc.value)
    assert f"invalid fault {spec!r}" in str(exc.value)
    assert "Syntax:" in str(exc.value)


def test_rules_built_in_python() -> None:
    rule = FaultRule(pattern="/v1/*", methods=frozenset({"post"}), outcome="drop-after", count=1)
    assert rule.describe() == "POST /v1/*: drop-after x1"
    with pytest.raises(FaultSpecError):
        FaultRule(outcome="explode")
