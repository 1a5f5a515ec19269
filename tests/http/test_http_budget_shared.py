"""Rate budgets shared through the state database: requests in flight count,
two processes (two budget objects on one database) together stay within
the vendor's limit, nobody sleeps holding the lock, a document's calls are
reserved together, and a spent window either waits or stops the run.

The tests that share a store run on both stores: the SQLite file and
PostgreSQL (skipped, with the reason, where there is no PostgreSQL)."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.errors import BudgetExhausted
from ledgerbridge.core.http import FixedWindowBudget, HeaderBudget, RetryPolicy
from ledgerbridge.core.sandbox.ratelimit import FixedWindowLimiter, rate_limit_headers
from ledgerbridge.core.state.budgets import Budgets, BudgetStore
from ledgerbridge.core.state.migrations import SCHEMA_VERSION


class SharedClock(FakeClock):
    """A fake clock several sleepers share: each wakes at its own target time,
    as on a real clock, instead of adding its sleep to the others'."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            target = self._now + seconds
            self.sleeps.append(seconds)
        with self._lock:
            if target > self._now:
                self.advance(target - self._now)


class Vendor:
    """Visma.net's rule on the test's clock: `limit` requests per aligned
    window, reported in X-RateLimit-* headers; what it refused is counted."""

    def __init__(self, clock: FakeClock, limit: int, window: float = 3600) -> None:
        self.clock = clock
        self.window = window
        self.limiter = FixedWindowLimiter(clock, limit=limit, window=window)
        self.served: Counter[int] = Counter()
        self.refused = 0
        self._lock = threading.Lock()

    def call(self) -> dict[str, str]:
        state = self.limiter.hit("company")
        with self._lock:
            if state.allowed:
                self.served[int(self.clock.now() // self.window)] += 1
            else:
                self.refused += 1
        return dict(rate_limit_headers(state))

    def full_windows(self) -> list[int]:
        """Requests served in each window but the last (which may be partial)."""
        windows = sorted(self.served)
        return [self.served[w] for w in windows[:-1]]


class Place:
    """One state database, SQLite or PostgreSQL, that stores are opened on."""

    def __init__(self, kind: str, where: str) -> None:
        self.kind = kind
        self.where = where

    def open(self) -> Budgets:
        if self.kind == "sqlite":
            return BudgetStore(self.where)
        from ledgerbridge.core.postgres.budgets import PgBudgetStore

        return PgBudgetStore(self.where)

    def execute(self, sql: str, args: tuple[object, ...] = ()) -> None:
        """A statement from outside any store (another process, a test's hand)."""
        if self.kind == "sqlite":
            other = sqlite3.connect(self.where)
            with other:
                other.execute(sql, args)
            other.close()
            return
        import psycopg

        with psycopg.connect(self.where, autocommit=True) as conn:
            conn.execute(sql.replace("?", "%s"), args)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Place:
    if request.param == "sqlite":
        return Place("sqlite", str(tmp_path / "state.db"))
    return Place("postgresql", request.getfixturevalue("pg_dsn"))


@pytest.fixture
def stores(db: Place) -> Iterator[list[Budgets]]:
    made: list[Budgets] = []
    yield made
    for store in made:
        store.close()


def store_on(db: Place, stores: list[Budgets]) -> Budgets:
    """One process's connection to the state database."""
    store = db.open()
    stores.append(store)
    return store


def header_budget(clock: FakeClock, store: Budgets, **kwargs: object) -> HeaderBudget:
    return HeaderBudget(clock, "Visma.net", store=store, key="acme/visma", **kwargs)  # type: ignore[arg-type]


def learn(budget: HeaderBudget, vendor: Vendor) -> None:
    budget.release(budget.acquire(), vendor.call())


# -- requests in flight ----------------------------------------------------------


def test_requests_in_flight_are_not_taken_for_free(clock: FakeClock) -> None:
    """The vendor says 5 are left, but 3 requests it has not counted are on
    their way: only 2 more may go before their answers are in."""
    vendor = Vendor(clock, limit=10)
    budget = HeaderBudget(clock, "Visma.net")
    for _ in range(4):
        learn(budget, vendor)
    in_flight = [budget.acquire() for _ in range(3)]
    budget.release(budget.acquire(), vendor.call())  # answered: "5 left", 3 still out
    assert budget.status()["remaining"] == 5
    sent = [budget.acquire(), budget.acquire()]
    blocked = threading.Thread(target=budget.acquire, daemon=True)
    blocked.start()
    blocked.join(0.2)
    assert blocked.is_alive(), "a 3rd request went while 3 were in flight and 5 were left"
    for ticket in in_flight + sent:
        budget.release(ticket, vendor.call())
    blocked.join(5)
    assert not blocked.is_alive()
    assert vendor.refused == 0


def test_a_late_answer_from_an_earlier_window_is_ignored(clock: FakeClock) -> None:
    budget = HeaderBudget(clock, "Visma.net")
    budget.release(
        budget.acquire(),
        {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "40", "X-RateLimit-Reset": "10"},
    )
    slow = budget.acquire()
    clock.advance(20)  # the window reset; a fresh answer says 99 are left until the next
    budget.release(
        budget.acquire(),
        {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "99", "X-RateLimit-Reset": "3580"},
    )
    # the slow request of the old window answers now: "39 left, reset in 1 s"
    budget.release(
        slow,
        {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "39", "X-RateLimit-Reset": "1"},
    )
    assert budget.status()["remaining"] == 99


# -- two processes, threads --------------------------------------------------------


def test_a_process_sees_the_requests_another_has_in_flight(
    db: Place, stores: list[Budgets]
) -> None:
    clock = SharedClock()
    vendor = Vendor(clock, limit=10)
    first = header_budget(clock, store_on(db, stores))
    second = header_budget(clock, store_on(db, stores))
    learn(first, vendor)  # 9 left
    in_flight = [first.acquire() for _ in range(3)]  # on their way, not counted yet
    for _ in range(6):
        learn(second, vendor)  # the vendor now says 3 left: those are the 3 in flight
    blocked = threading.Thread(target=lambda: learn(second, vendor), daemon=True)
    blocked.start()
    blocked.join(0.2)
    assert blocked.is_alive(), "the second process spent what the first had in flight"
    for ticket in in_flight:
        first.release(ticket, vendor.call())
    blocked.join(5)
    assert not blocked.is_alive()
    assert vendor.refused == 0
    assert clock.sleeps == [3600.0]  # the window was spent: it waited for the next


def test_threads_of_two_processes_use_every_window_without_a_429(
    db: Place, stores: list[Budgets]
) -> None:
    clock = SharedClock()
    vendor = Vendor(clock, limit=40)
    budgets = [header_budget(clock, store_on(db, stores)) for _ in range(2)]

    def work(budget: HeaderBudget, seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(60):
            ticket = budget.acquire()
            headers = vendor.call()
            time.sleep(rng.random() / 2000)  # the answer takes a moment to come back
            budget.release(ticket, headers)

    threads = [
        threading.Thread(target=work, args=(budgets[i % 2], i), daemon=True) for i in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert vendor.refused == 0
    assert sum(vendor.served.values()) == 480
    full = vendor.full_windows()
    assert len(full) >= 10 and all(n >= 0.98 * 40 for n in full), vendor.served


def test_fixed_window_shared_by_two_processes_never_exceeds_any_window(
    db: Place, stores: list[Budgets]
) -> None:
    clock = SharedClock()
    budgets = [
        FixedWindowBudget(10, 60, clock, "eAccounting", store=store_on(db, stores), key="k")
        for _ in range(2)
    ]
    sent: list[float] = []
    lock = threading.Lock()

    def work(budget: FixedWindowBudget) -> None:
        for _ in range(25):
            ticket = budget.acquire()
            assert ticket is not None
            with lock:  # the time the budget counted it (a thread may be paused after)
                sent.append(ticket.taken_at)

    threads = [threading.Thread(target=work, args=(budgets[i % 2],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(sent) == 100
    for start in sent:  # every window of 60 s that begins at a request
        assert sum(1 for t in sent if start <= t < start + 60) <= 10


def test_the_budget_holds_across_runs(db: Place, stores: list[Budgets]) -> None:
    clock = FakeClock()
    vendor = Vendor(clock, limit=3)
    first_run = header_budget(clock, store_on(db, stores))
    for _ in range(3):
        learn(first_run, vendor)
    stores[0].close()
    next_run = header_budget(clock, store_on(db, stores))  # a new process, same window
    learn(next_run, vendor)
    assert clock.sleeps == [3600.0]  # waited for the vendor's window, no 429 probe
    assert vendor.refused == 0


def test_the_budget_tables_come_with_the_state_schema(tmp_path: Path) -> None:
    from ledgerbridge.core.state.db import StateDB

    state = StateDB(tmp_path / "state.db")
    try:
        assert state.schema_version() == SCHEMA_VERSION
        tables = {r[0] for r in state.conn.execute("SELECT name FROM sqlite_master")}
    finally:
        state.close()
    assert {"rate_budgets", "rate_budget_slots"} <= tables


def test_slots_of_a_killed_process_are_freed(db: Place, stores: list[Budgets]) -> None:
    clock = FakeClock()
    store = store_on(db, stores)
    budget = header_budget(clock, store)
    budget.release(
        budget.acquire(),
        {"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "3000"},
    )
    budget.acquire()
    budget.acquire()  # two in flight: nothing left
    # ... and they belonged to a process that was killed
    db.execute("UPDATE rate_budget_slots SET holder=?", (f"{_host()}:999999999",))
    budget.acquire()  # would wait for their answers forever; it goes at once
    assert clock.sleeps == []


def test_slots_of_a_worker_killed_on_another_machine_are_freed_with_its_session(
    pg_dsn: str,
) -> None:
    """In PostgreSQL a slot names the session that took it: once the server has
    closed a dead worker's session, its slots are free, wherever it ran."""
    from ledgerbridge.core.postgres.budgets import PgBudgetStore

    clock = FakeClock()
    mine, theirs = PgBudgetStore(pg_dsn), PgBudgetStore(pg_dsn)
    try:
        ours, other = header_budget(clock, mine), header_budget(clock, theirs)
        ours.release(
            ours.acquire(),
            {"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "3000"},
        )
        other.acquire()
        other.acquire()  # the other worker has both in flight ...
        Place("postgresql", pg_dsn).execute(  # ... on a machine that is not this one
            "UPDATE rate_budget_slots SET holder = replace(holder, ?, 'elsewhere')", (_host(),)
        )
        held = threading.Thread(target=ours.acquire, daemon=True)
        held.start()
        held.join(0.3)
        assert held.is_alive(), "slots of a live session on another machine were freed"
        theirs.close()  # the worker dies: the server ends its session
        held.join(10)
        assert not held.is_alive()
        assert clock.sleeps == []
    finally:
        mine.close()
        theirs.close()


def _host() -> str:
    import socket

    return socket.gethostname()


# -- no sleeping with the lock held ----------------------------------------------


class BlockingClock(FakeClock):
    """A clock whose sleep blocks until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.asleep = threading.Event()
        self.wake = threading.Event()

    def sleep(self, seconds: float) -> None:
        self.asleep.set()
        assert self.wake.wait(10)
        super().sleep(seconds)


def test_answers_are_counted_while_another_request_waits_for_the_window() -> None:
    clock = BlockingClock()
    budget = HeaderBudget(clock, "Visma.net")
    spent = {"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "600"}
    budget.release(budget.acquire(), {**spent, "X-RateLimit-Remaining": "1"})
    in_flight = budget.acquire()
    waiter = threading.Thread(target=lambda: budget.acquire() and None, daemon=True)
    waiter.start()
    try:
        # the waiter waits for in_flight's answer (not on the clock) ...
        time.sleep(0.05)
        assert not clock.asleep.is_set()
        answered = threading.Thread(target=budget.release, args=(in_flight, spent))
        answered.start()
        answered.join(2)
        assert not answered.is_alive()
        # ... then, the window spent, sleeps for it; the budget stays usable meanwhile
        assert clock.asleep.wait(5)
        paused = threading.Thread(target=budget.pause, args=(1.0,))
        paused.start()
        paused.join(2)
        assert not paused.is_alive(), "pause() blocked while another thread slept"
    finally:
        clock.wake.set()
        waiter.join(5)
    assert clock.sleeps == [600.0]


# -- documents: reserved whole; wait or stop ---------------------------------------------


def spent_but(budget: HeaderBudget, left: int, reset: int = 1800) -> None:
    budget.release(
        budget.acquire(),
        {
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": str(left),
            "X-RateLimit-Reset": str(reset),
        },
    )


def test_stop_refuses_a_document_that_does_not_fit_before_sending_any_of_it(
    clock: FakeClock,
) -> None:
    budget = HeaderBudget(clock, "Visma.net (acme/visma)", when_spent="stop")
    spent_but(budget, left=1)
    with pytest.raises(BudgetExhausted) as caught, budget.reserve(2):
        pytest.fail("the document started")
    assert "Visma.net (acme/visma)" in str(caught.value)
    assert "2026-01-01T00:30:00Z" in str(caught.value)  # when the window resets
    assert caught.value.resume_at == clock.now() + 1800
    assert budget.status()["held"] == 0  # nothing taken, nothing sent
    budget.release(budget.acquire(), None)  # a lone request still fits in the last slot
    with pytest.raises(BudgetExhausted):
        budget.acquire()
    assert clock.sleeps == []


def test_inside_a_document_nothing_stops(clock: FakeClock) -> None:
    budget = HeaderBudget(clock, "Visma.net", when_spent="stop")
    spent_but(budget, left=2)
    with budget.reserve(2):
        first = budget.acquire()
        budget.release(first, None)  # its answer was lost: counted anyway
        second = budget.acquire()  # the retry uses the second reserved call
        budget.release(second, None)
        budget.release(budget.acquire(), None)  # the attachment: waits, never stops
    assert clock.sleeps == [1800.0]


def test_unused_reserved_calls_are_given_back(clock: FakeClock) -> None:
    budget = HeaderBudget(clock, "Visma.net", when_spent="stop")
    spent_but(budget, left=2)
    with budget.reserve(2):
        budget.release(
            budget.acquire(), {"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "1800"}
        )
        # the invoice had no attachment after all
    assert budget.status()["held"] == 0
    budget.acquire()  # the call not used is free again


def test_wait_is_the_default_and_waits_for_the_window(clock: FakeClock) -> None:
    budget = HeaderBudget(clock, "Visma.net")
    spent_but(budget, left=1)
    with budget.reserve(2):
        pass
    assert clock.sleeps == [1800.0]


def test_stop_still_takes_short_waits(clock: FakeClock) -> None:
    budget = FixedWindowBudget(2, 1.0, clock, "Severa", when_spent="stop")
    for _ in range(5):
        budget.acquire()
    assert clock.sleeps == [1.0, 1.0]


# -- through the client: a 429 longer than the retry cap ---------------------------------------


def too_many(retry_after: int) -> httpx.Response:
    return httpx.Response(
        429,
        json={"message": "Rate limit is exceeded"},
        headers={
            "Retry-After": str(retry_after),
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(retry_after),
        },
    )


def test_a_long_429_waits_for_the_window_instead_of_failing(make_client, clock) -> None:
    budget = HeaderBudget(clock, "Visma.net")
    client, script = make_client(
        too_many(3000),
        httpx.Response(201, headers={"Location": "/v1/customerinvoice/7"}),
        rate_budget=budget,
        retry=RetryPolicy(max_retry_after=900, jitter="none"),
    )
    client.request("POST", "customerinvoice", json={})
    assert clock.sleeps == [3000.0]
    assert len(script.requests) == 2


def test_a_long_429_stops_before_the_next_document(make_client, clock) -> None:
    budget = HeaderBudget(clock, "Visma.net", when_spent="stop")
    client, script = make_client(
        too_many(3000), rate_budget=budget, retry=RetryPolicy(max_retry_after=900)
    )
    with pytest.raises(BudgetExhausted):
        client.get_json("customer/1")
    assert len(script.requests) == 1 and clock.sleeps == []


def test_a_long_429_inside_a_document_waits_even_when_set_to_stop(make_client, clock) -> None:
    budget = HeaderBudget(clock, "Visma.net", when_spent="stop")
    ok = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "50", "X-RateLimit-Reset": "3000"}
    client, script = make_client(
        httpx.Response(201, headers={"Location": "/v1/customerinvoice/7", **ok}),
        too_many(2900),  # somebody else spent the window meanwhile
        httpx.Response(204),
        rate_budget=budget,
        retry=RetryPolicy(max_retry_after=900),
    )
    with client.reserve(2, "customerinvoice"):
        client.request("POST", "customerinvoice", json={})
        client.request("POST", "customerinvoice/7/attachment", files={"f": b"%PDF"})
    assert [r.method for r in script.requests] == ["POST"] * 3
    assert clock.sleeps == [2900.0]


def test_a_429_within_the_retry_cap_also_stops_when_set_to_stop(make_client, clock) -> None:
    budget = HeaderBudget(clock, "Visma.net", when_spent="stop")
    client, script = make_client(
        too_many(600), rate_budget=budget, retry=RetryPolicy(max_retry_after=900)
    )
    with pytest.raises(BudgetExhausted):
        client.get_json("customer/1")  # not 10 minutes of sleep before the next document
    assert clock.sleeps == [] and len(script.requests) == 1


def test_a_short_429_is_waited_for_by_the_budget(make_client, clock) -> None:
    budget = HeaderBudget(clock, "Visma.net", when_spent="stop")
    client, script = make_client(too_many(20), httpx.Response(200, json={}), rate_budget=budget)
    client.get_json("customer/1")
    assert clock.sleeps == [20.0] and len(script.requests) == 2
