"""Benchmark: the engine's records per second, and its memory as a run grows.

Runs a connector whose source generates N records lazily and whose target
only counts them, at several sizes, each in its own process, and reports peak
RSS and records per second, with outcomes committed in groups (the default)
and each record alone (`commit_group=1`, the engine before groups), in the
same run. The state database keeps one outcome row per record on disk;
nothing is kept in memory per record beyond one group.

    python bench/bench_engine.py [--sizes 100000,1000000] [--groups 256,1]
        [--state postgresql://USER@HOST:PORT/DB]

With `--state`, the state is in that PostgreSQL database (a schema of its
own per measurement, dropped after it) instead of a SQLite file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchutil import peak_rss_kib

from ledgerbridge import Connector, Flow, Record, WriteResult, hookimpl
from ledgerbridge.core.context import RunOptions
from ledgerbridge.core.engine import RunRequest, run_connector
from ledgerbridge.core.plugins import get_registry
from ledgerbridge.core.workspace import Workspace


class Source:
    def __init__(self, n: int) -> None:
        self.n = n

    def read(self, since: str | None) -> Iterator[Record]:
        for i in range(self.n):
            yield Record(
                "item",
                f"k{i:08d}",
                {"name": f"item {i}", "amount": i % 977},
                f"2026-01-01T00:00:00Z#{i:08d}",
            )


class Mapper:
    def map(self, record: Record) -> dict[str, Any]:
        return {"ref": record.key, **record.data}


class Target:
    system = "null"

    def __init__(self) -> None:
        self.count = 0

    def write(self, payload: Any, record: Record, binding: Any) -> WriteResult:
        self.count += 1
        return WriteResult(f"R{self.count}")

    def lookup(self, payload: Any, record: Record) -> WriteResult | None:
        return None


def plugin(n: int) -> object:
    class Plugin:
        @hookimpl
        def register_connectors(self, register: Any) -> None:
            register(
                Connector(
                    "gen",
                    "generated",
                    {"type": "object"},
                    build_flows=lambda ctx: [Flow("items", "item", Source(n), Mapper(), Target())],
                )
            )

    return Plugin()


def child(n: int, group: int, state: str | None) -> None:
    get_registry().add(plugin(n), "gen")
    with tempfile.TemporaryDirectory() as tmp, pg_schema(state) as url:
        ws = Workspace(Path(tmp), url)
        t = ws.add_tenant("bench")
        t.connectors["gen"] = {"enabled": True, "config": {}}
        ws.save_tenant(t)
        before = peak_rss_kib()
        start = time.perf_counter()
        options = RunOptions(commit_group=group)
        summary = run_connector(RunRequest(ws, "bench", "gen", options))
        seconds = time.perf_counter() - start
        peak = peak_rss_kib()
    print(
        json.dumps(
            {
                "records": n,
                "state": "postgresql" if state else "sqlite",
                "commit_group": group,
                "succeeded": summary.succeeded,
                "seconds": seconds,
                "records_per_s": n / seconds,
                "rss_before_mib": before / 1024,
                "peak_rss_mib": peak / 1024,
            }
        )
    )


@contextmanager
def pg_schema(dsn: str | None) -> Iterator[str | None]:
    """A fresh schema in the PostgreSQL database `dsn` names (None: SQLite)."""
    if dsn is None:
        yield None
        return
    import psycopg

    from tests.pg_support import in_schema

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield in_schema(dsn, schema)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--groups", default="256,1")
    parser.add_argument("--child", type=int)
    parser.add_argument("--group", type=int, default=256)
    parser.add_argument("--state", help="a postgresql:// DSN (default: a SQLite file)")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.group, args.state)
        return
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        for group in (int(g) for g in args.groups.split(",")):
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(n), "--group", str(group)]
                + (["--state", args.state] if args.state else []),
                capture_output=True,
                text=True,
                check=True,
            )
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)  # as it goes
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
