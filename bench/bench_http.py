"""Benchmark: requests per second the client layer sustains against the
loopback sandbox, against a bare httpx loop doing the same requests, measured
in one run. The ratio is the overhead of auth, retries, rate budget, error
parsing and redacted logging.

    python bench/bench_http.py [--requests 3000]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import httpx

from ledgerbridge.core.clock import SystemClock
from ledgerbridge.core.http import ApiClient, HeaderAuth, HeaderBudget, RetryPolicy
from ledgerbridge.core.redact import Redactor
from ledgerbridge.core.sandbox import App, Emulator, EmulatorOptions, Request, Sandbox
from ledgerbridge.core.sandbox import json_response as answer

TOKEN = "bench-token-0123456789"


def build_app(options: EmulatorOptions) -> App:
    app = App("bench")
    remaining = [100_000]

    @app.get("/items/{item}")
    def item(request: Request, item: str) -> Any:
        remaining[0] -= 1
        headers = [
            ("X-RateLimit-Limit", "100000"),
            ("X-RateLimit-Remaining", str(remaining[0])),
            ("X-RateLimit-Reset", "3600"),
        ]
        return answer({"id": item, "name": f"item {item}", "value": {"value": 42}}, headers=headers)

    return app


def bare(base: str, n: int) -> float:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        start = time.perf_counter()
        for i in range(n):
            r = client.get(f"/items/{i}")
            r.raise_for_status()
            r.json()
        return time.perf_counter() - start


def layered(base: str, n: int) -> float:
    clock = SystemClock()
    redactor = Redactor([TOKEN])
    client = ApiClient(
        base + "/",
        name="bench",
        clock=clock,
        redactor=redactor,
        auth=HeaderAuth({"Authorization": f"Bearer {TOKEN}"}, "token refused"),
        retry=RetryPolicy(),
        rate_budget=HeaderBudget(clock, name="bench"),
    )
    with client:
        start = time.perf_counter()
        for i in range(n):
            client.get_json(f"items/{i}")
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sandbox = Sandbox([Emulator("bench", "/bench", build_app)], journal_size=1000)
    sandbox.serve()
    base = sandbox.base_url("bench")
    try:
        bare(base, 200)  # warm up both paths and the server
        layered(base, 200)
        # interleaved rounds, best of each: the machine's noise hits both alike
        t_bare = t_layer = float("inf")
        for _ in range(args.rounds):
            t_bare = min(t_bare, bare(base, args.requests))
            t_layer = min(t_layer, layered(base, args.requests))
    finally:
        sandbox.stop()
    rps_bare, rps_layer = args.requests / t_bare, args.requests / t_layer
    print(
        f"requests: {args.requests} sequential GETs with JSON bodies on loopback, "
        f"best of {args.rounds} interleaved rounds"
    )
    print(f"bare httpx loop:     {rps_bare:8.0f} req/s")
    print(f"ledgerbridge client: {rps_layer:8.0f} req/s")
    print(f"overhead ratio (bare / client throughput): {rps_bare / rps_layer:.2f}")


if __name__ == "__main__":
    main()
