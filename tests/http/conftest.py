"""Fixtures for the HTTP layer: a fake clock, a redactor and scripted
transports that answer requests from a list, recording what was sent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.http import ApiClient, RetryPolicy
from ledgerbridge.core.redact import Redactor

Step = httpx.Response | type[httpx.TransportError] | Callable[[httpx.Request], httpx.Response]


class Script:
    """A MockTransport handler answering each request with the next step.

    A step is a Response, an httpx transport error class (raised as if the
    network failed) or a function of the request.
    """

    def __init__(self, steps: list[Step]) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if not self.steps:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        step = self.steps.pop(0)
        if isinstance(step, httpx.Response):
            return step
        if isinstance(step, type) and issubclass(step, httpx.TransportError):
            raise step("simulated network failure", request=request)
        return step(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def redactor() -> Redactor:
    return Redactor()


@pytest.fixture
def no_jitter() -> RetryPolicy:
    """Deterministic backoff: 0.5, 1, 2, 4 s."""
    return RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=60, jitter="none")


@pytest.fixture
def make_client(
    clock: FakeClock, redactor: Redactor, no_jitter: RetryPolicy
) -> Iterator[Callable[..., tuple[ApiClient, Script]]]:
    clients: list[Any] = []

    def make(*steps: Step, client_class: Any = ApiClient, **kwargs: Any) -> tuple[Any, Script]:
        """A client of `client_class` (ApiClient, SoapClient) answered by `steps`."""
        script = Script(list(steps))
        kwargs.setdefault("retry", no_jitter)
        kwargs.setdefault("name", "visma_net")
        client = client_class(
            kwargs.pop("base_url", "https://api.example.test/v1/"),
            clock=clock,
            redactor=redactor,
            transport=script.transport,
            **kwargs,
        )
        clients.append(client)
        return client, script

    yield make
    for c in clients:
        c.close()
