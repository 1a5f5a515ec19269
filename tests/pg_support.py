"""PostgreSQL for the tests that need it: the DSN CI exports, or a throwaway
cluster started for the session from the server binaries on this machine.

Where there is neither, those tests skip and say how to run them; a plain
`pytest` on a machine without PostgreSQL passes without them.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

TEST_DSN_ENV = "LEDGERBRIDGE_TEST_POSTGRES"
"""A DSN of a database the tests may create and drop schemas in (CI exports it)."""

SKIP_REASON = (
    "PostgreSQL is not available: set LEDGERBRIDGE_TEST_POSTGRES=postgresql://USER@HOST:PORT/DB "
    "or install the server (Debian: apt-get install postgresql) and the extra "
    '(pip install -e ".[postgres]"); .ci/run does both'
)


def server_bin() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, or Debian's versioned folder."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(versions[0]).parent if versions else None


def psycopg_missing() -> str | None:
    try:
        import procrastinate  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as exc:
        return f'{exc.name} is not installed: pip install -e ".[postgres]"'
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def throwaway_cluster(bindir: Path) -> Iterator[str]:
    """initdb into a temp folder, start on a loopback port, yield its DSN, stop.

    The server refuses to run as root, so as root it runs as the `postgres`
    user (the Debian package creates it)."""
    data = Path(tempfile.mkdtemp(prefix="lb-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, capture_output=True, timeout=120)

    try:
        run(
            str(bindir / "initdb"),
            "-D",
            str(data / "db"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        )
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c fsync=off -c max_connections=200"
        )
        run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data / "db"),
            "-o",
            opts,
            "-l",
            str(data / "log"),
            "-w",
            "start",
        )
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(data, ignore_errors=True)


def in_schema(dsn: str, schema: str) -> str:
    """The DSN with its search_path set to `schema` (tests stay apart)."""
    sep = "&" if "?" in dsn else "?"
    return f"{dsn}{sep}options={quote(f'-c search_path={schema}')}"


@contextmanager
def fresh_schema(dsn: str) -> Iterator[str]:
    """A new, empty schema for one test; dropped after it."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield in_schema(dsn, schema)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
