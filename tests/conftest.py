"""Fixtures every test folder shares: PostgreSQL, for the tests that need it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests import pg_support


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL DSN for the session, or the test skips saying why."""
    missing = pg_support.psycopg_missing()
    if missing:
        pytest.skip(f"{pg_support.SKIP_REASON} ({missing})")
    given = os.environ.get(pg_support.TEST_DSN_ENV)
    if given:
        yield given
        return
    bindir = pg_support.server_bin()
    if bindir is None:
        pytest.skip(pg_support.SKIP_REASON)
    with pg_support.throwaway_cluster(bindir) as dsn:
        yield dsn


@pytest.fixture
def pg_dsn(pg_server: str) -> Iterator[str]:
    """A DSN whose search_path is a fresh schema of its own (dropped after the test)."""
    with pg_support.fresh_schema(pg_server) as dsn:
        yield dsn


STATE_KINDS = ("sqlite", "postgresql")


@pytest.fixture(params=STATE_KINDS)
def state_kind(request: pytest.FixtureRequest) -> str:
    """Each state test twice: on SQLite, then on PostgreSQL (skipped without one)."""
    kind = str(request.param)
    if kind == "postgresql":
        request.getfixturevalue("pg_dsn")
    return kind


@pytest.fixture
def state_url(state_kind: str, request: pytest.FixtureRequest) -> str | None:
    """--state for a test's workspace: None (its own state.db), or a fresh
    PostgreSQL schema."""
    if state_kind == "sqlite":
        return None
    return str(request.getfixturevalue("pg_dsn"))
