"""Rate budgets: wait only when used up, learn from headers, shared per key."""

from __future__ import annotations

import threading

import httpx
import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.http import (
    FixedWindowBudget,
    HeaderBudget,
    RateBudgets,
    endpoint_key,
)


def test_fixed_window_waits_only_when_the_window_is_used_up(clock: FakeClock) -> None:
    budget = FixedWindowBudget(limit=3, window=60, clock=clock)
    for _ in range(3):
        budget.acquire()
    assert clock.sleeps == []
    clock.advance(10)
    budget.acquire()  # 4th request in the window: waits for the rest of it
    assert clock.sleeps == [50.0]
    budget.acquire()
    budget.acquire()
    assert clock.sleeps == [50.0]  # a fresh window of 3
    assert budget.waited == 50.0


def test_fixed_window_resets_after_the_window(clock: FakeClock) -> None:
    budget = FixedWindowBudget(limit=2, window=60, clock=clock)
    budget.acquire()
    budget.acquire()
    clock.advance(61)
    budget.acquire()
    assert clock.sleeps == []


VN = {"X-RateLimit-Limit": "500", "X-RateLimit-Reset": "1200"}


def test_header_budget_follows_the_vendor(clock: FakeClock) -> None:
    budget = HeaderBudget(clock)
    ticket = budget.acquire()  # nothing known yet: one request goes
    budget.release(ticket, {**VN, "X-RateLimit-Remaining": "1"})
    budget.release(budget.acquire(), {**VN, "X-RateLimit-Remaining": "0"})  # the last one
    assert clock.sleeps == []
    clock.advance(200)
    budget.acquire()  # used up: wait for the reset
    assert clock.sleeps == [1000.0]
    assert budget.status()["remaining"] == 500  # new window, the full limit assumed


def test_header_budget_lower_case_headers_and_epoch_reset(clock: FakeClock) -> None:
    budget = HeaderBudget(clock, reset_style="epoch")
    budget.release(
        budget.acquire(),
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(clock.now() + 30))},
    )
    budget.acquire()
    assert clock.sleeps == [30.0]


def test_pause_holds_back_every_user(clock: FakeClock) -> None:
    budget = FixedWindowBudget(limit=100, window=60, clock=clock)
    budget.pause(12)
    budget.acquire()
    assert clock.sleeps == [12.0]


def test_registry_shares_one_budget_per_key(clock: FakeClock) -> None:
    budgets = RateBudgets()
    made: list[int] = []

    def factory() -> FixedWindowBudget:
        made.append(1)
        return FixedWindowBudget(600, 60, clock)

    a = budgets.get("acme", "eaccounting", factory, endpoint="customers")
    b = budgets.get("acme", "eaccounting", factory, endpoint="customers")
    c = budgets.get("acme", "eaccounting", factory, endpoint="articles")
    d = budgets.get("other", "eaccounting", factory, endpoint="customers")
    assert a is b
    assert len({id(a), id(c), id(d)}) == 3
    assert len(made) == 3


def test_registry_lives_in_the_run_state() -> None:
    state: dict[str, object] = {}
    assert RateBudgets.of(state) is RateBudgets.of(state)


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/v2/customers/42", "customers"),
        ("/v1/customerinvoice/1/attachment", "customerinvoice"),
        ("https://api.example.test/v2/articles?$page=2", "articles"),
        ("/", ""),
    ],
)
def test_endpoint_key(path: str, key: str) -> None:
    assert endpoint_key(path) == key


def test_two_clients_with_the_same_key_share_the_budget(make_client, clock: FakeClock) -> None:
    budgets = RateBudgets()
    budget = budgets.get("acme", "visma_net", lambda: FixedWindowBudget(2, 60, clock))
    same = budgets.get("acme", "visma_net", lambda: FixedWindowBudget(2, 60, clock))
    ok = httpx.Response(200, json=[])
    first, _ = make_client(ok, ok, rate_budget=budget)
    second, _ = make_client(httpx.Response(200, json=[]), rate_budget=same)
    first.get_json("customer")
    first.get_json("customer")
    assert clock.sleeps == []
    second.get_json("vat")  # the third request of the shared window
    assert clock.sleeps == [60.0]


def test_client_feeds_headers_into_the_budget(make_client, clock: FakeClock) -> None:
    budget = HeaderBudget(clock)
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "45", "X-RateLimit-Limit": "5"}
    client, script = make_client(
        httpx.Response(200, json=[], headers=headers),
        httpx.Response(200, json=[]),
        rate_budget=budget,
    )
    client.get_json("customer")
    assert clock.sleeps == []
    client.get_json("customer")
    assert clock.sleeps == [45.0]
    assert len(script.requests) == 2


class RecordingBudget:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def acquire(self) -> str:
        self.calls.append(("acquire", None))
        return f"ticket-{len(self.calls)}"

    def release(self, ticket, headers=None) -> None:
        self.calls.append(("release", (ticket, headers.get("X-Test") if headers else None)))

    def pause(self, seconds: float) -> None:
        self.calls.append(("pause", seconds))


def test_client_acquires_releases_and_pauses_on_429(make_client, clock: FakeClock) -> None:
    budget = RecordingBudget()
    client, _ = make_client(
        httpx.Response(429, headers={"Retry-After": "20", "X-Test": "a"}),
        httpx.Response(200, json=[], headers={"X-Test": "b"}),
        rate_budget=budget,
    )
    client.get_json("customer")
    assert budget.calls == [
        ("acquire", None),
        ("release", ("ticket-1", "a")),
        ("pause", 20.0),  # every flow sharing the budget holds back
        ("acquire", None),
        ("release", ("ticket-4", "b")),
    ]
    assert clock.sleeps == [20.0]


def test_a_request_without_an_answer_gives_its_slot_back(make_client, clock: FakeClock) -> None:
    budget = RecordingBudget()
    client, _ = make_client(httpx.ConnectError, httpx.Response(200, json=[]), rate_budget=budget)
    client.get_json("customer")
    assert [c for c in budget.calls if c[0] == "release"] == [
        ("release", ("ticket-1", None)),  # no answer: no headers
        ("release", ("ticket-3", None)),
    ]


def test_per_endpoint_budgets(make_client, clock: FakeClock) -> None:
    budgets = RateBudgets()
    select = budgets.per_endpoint("acme", "eaccounting", lambda: FixedWindowBudget(1, 60, clock))
    client, _ = make_client(
        *[httpx.Response(200, json={}) for _ in range(3)],
        base_url="https://eaccounting.example.test/v2/",
        rate_budget=select,
    )
    client.get_json("customers")
    client.get_json("articles")  # another endpoint: its own budget
    assert clock.sleeps == []
    client.get_json("customers/1")
    assert clock.sleeps == [60.0]


def test_budget_is_thread_safe(clock: FakeClock) -> None:
    budget = HeaderBudget(clock)
    budget.release(
        budget.acquire(),
        {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "1000", "X-RateLimit-Reset": "3600"},
    )
    tickets = []

    def work() -> None:
        for _ in range(100):
            tickets.append(budget.acquire())

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    status = budget.status()
    assert (status["remaining"], status["held"]) == (1000, 800)  # 800 in flight, none answered
    assert len({t.slot for t in tickets}) == 800
