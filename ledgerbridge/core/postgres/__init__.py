"""PostgreSQL for workers on several machines: state, run locks, rate budgets,
the job queue (procrastinate) and schedules.

Installed with the extra `ledgerbridge[postgres]`; nothing here is imported
unless a workspace's state is a `postgresql://` location, so a single-machine
user needs neither the packages nor a server.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.errors import ConfigError, StateUnavailable
from ledgerbridge.core.state.location import redact_dsn

INSTALL_HINT = 'install it with: python -m pip install "ledgerbridge[postgres]"'

PgConn = Any
"""A psycopg connection with dict rows (psycopg is imported only when used)."""


def require_psycopg() -> Any:
    """The psycopg module, or a clear error naming the extra to install."""
    try:
        import psycopg
    except ImportError:
        raise ConfigError(
            "A postgresql:// state needs the psycopg package, which is not installed; "
            + INSTALL_HINT
        ) from None
    return psycopg


def connect(
    dsn: str, *, autocommit: bool = True, purpose: str = "state", dict_rows: bool = True
) -> PgConn:
    """One connection with dict rows (tuples with `dict_rows=False`); unreachable
    or refused is StateUnavailable with the DSN shown without its password.

    TCP keepalives are on, so a connection whose machine vanished is noticed
    (and its session locks released by the server) within about a minute.
    """
    psycopg = require_psycopg()
    from psycopg.rows import dict_row, tuple_row

    try:
        return psycopg.connect(
            dsn,
            autocommit=autocommit,
            row_factory=dict_row if dict_rows else tuple_row,
            application_name=f"ledgerbridge {purpose}",
            connect_timeout=10,
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
        )
    except psycopg.Error as exc:
        raise StateUnavailable(
            f"Cannot use the PostgreSQL state at {redact_dsn(dsn)}: {_first_line(exc)}; "
            "check that the server runs, the DSN (--state or LEDGERBRIDGE_STATE) and the "
            "user's password (PGPASSWORD or ~/.pgpass)"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return redact_dsn(text[0]) if text else type(exc).__name__
