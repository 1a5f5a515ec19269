"""When each tenant+connector runs: `ledgerbridge schedule`, kept in PostgreSQL.

A schedule is `--every 15m` (from when it was set, never catching up on
occurrences missed while no worker ran: one run, then the cadence again) or
`--cron "*/15 6-18 * * 1-5"` (UTC). Workers' tick (every few seconds, itself
deferred once across all workers by procrastinate's periodic defers) claims
the schedules that are due with `FOR UPDATE SKIP LOCKED` and moves them on in
the same transaction, so an occurrence is claimed by one worker only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ledgerbridge.core.errors import ConfigError
from ledgerbridge.core.postgres import PgConn

TICK_SECONDS = 10
"""How often workers look for due schedules: the finest cadence a schedule can have."""

_EVERY = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$", re.IGNORECASE)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> int:
    """`30s`, `15m`, `2h`, `1d` -> seconds; refused with the rule otherwise."""
    m = _EVERY.match(text)
    if not m:
        raise ConfigError(
            f"--every {text!r} is not a duration; rule: a number and a unit, s, m, h or d "
            "(e.g. --every 15m)"
        )
    seconds = int(m.group(1)) * _UNIT[m.group(2).lower()]
    if seconds < TICK_SECONDS:
        raise ConfigError(
            f"--every {text} is shorter than workers look for due schedules "
            f"({TICK_SECONDS} s); rule: at least {TICK_SECONDS}s"
        )
    return seconds


def check_cron(expr: str) -> str:
    """A cron expression croniter reads (5 fields, or 6 with seconds last)."""
    import croniter

    if not croniter.croniter.is_valid(expr):
        raise ConfigError(
            f'--cron "{expr}" is not a cron expression; rule: five fields, minute hour '
            'day-of-month month day-of-week, in UTC (e.g. --cron "*/15 6-18 * * 1-5")'
        )
    return expr


def next_cron(expr: str, after: datetime) -> datetime:
    import croniter

    nxt = croniter.croniter(expr, after).get_next(datetime)
    assert isinstance(nxt, datetime)
    return nxt.astimezone(UTC)


@dataclass
class Schedule:
    tenant: str
    connector: str
    every_seconds: int | None
    cron: str | None
    next_at: datetime
    last_deferred_at: datetime | None = None
    last_job_id: int | None = None
    last_note: str | None = None

    @property
    def rule(self) -> str:
        if self.cron is not None:
            return f'cron "{self.cron}"'
        return f"every {_duration(self.every_seconds or 0)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "connector": self.connector,
            "every_seconds": self.every_seconds,
            "cron": self.cron,
            "rule": self.rule,
            "next_at": _iso(self.next_at),
            "last_deferred_at": _iso(self.last_deferred_at),
            "last_job_id": self.last_job_id,
            "last_note": self.last_note,
        }


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def set_schedule(
    conn: PgConn, tenant: str, connector: str, every: int | None, cron: str | None
) -> Schedule:
    now = datetime.now(UTC)
    first = next_cron(cron, now) if cron is not None else now
    conn.execute(
        "INSERT INTO schedules (tenant, connector, every_seconds, cron, next_at) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (tenant, connector) DO UPDATE SET "
        "every_seconds = excluded.every_seconds, cron = excluded.cron, next_at = excluded.next_at",
        (tenant, connector, every, cron, first),
    )
    found = get_schedules(conn, tenant, connector)
    return found[0]


def remove_schedule(conn: PgConn, tenant: str, connector: str) -> bool:
    cur = conn.execute(
        "DELETE FROM schedules WHERE tenant = %s AND connector = %s", (tenant, connector)
    )
    return bool(cur.rowcount)


def get_schedules(
    conn: PgConn, tenant: str | None = None, connector: str | None = None
) -> list[Schedule]:
    rows = conn.execute(
        "SELECT * FROM schedules WHERE (%s::text IS NULL OR tenant = %s) "
        "AND (%s::text IS NULL OR connector = %s) ORDER BY tenant, connector",
        (tenant, tenant, connector, connector),
    ).fetchall()
    return [_schedule(r) for r in rows]


def _schedule(r: dict[str, Any]) -> Schedule:
    return Schedule(
        tenant=r["tenant"],
        connector=r["connector"],
        every_seconds=r["every_seconds"],
        cron=r["cron"],
        next_at=r["next_at"],
        last_deferred_at=r["last_deferred_at"],
        last_job_id=r["last_job_id"],
        last_note=r["last_note"],
    )


def claim_due(conn: PgConn, now: datetime | None = None) -> list[Schedule]:
    """The schedules due now, each moved on to its next occurrence (committed)."""
    now = now or datetime.now(UTC)
    claimed = []
    with conn.transaction():
        rows = conn.execute(
            "SELECT * FROM schedules WHERE next_at <= %s ORDER BY next_at FOR UPDATE SKIP LOCKED",
            (now,),
        ).fetchall()
        for r in rows:
            s = _schedule(r)
            nxt = _following(s, now)
            conn.execute(
                "UPDATE schedules SET next_at = %s, last_deferred_at = %s "
                "WHERE tenant = %s AND connector = %s",
                (nxt, now, s.tenant, s.connector),
            )
            claimed.append(s)
    return claimed


def _following(s: Schedule, now: datetime) -> datetime:
    if s.cron is not None:
        return next_cron(s.cron, now)
    step = timedelta(seconds=s.every_seconds or TICK_SECONDS)
    nxt = s.next_at + step
    return nxt if nxt > now else now + step


def note_deferred(conn: PgConn, s: Schedule, job_id: int | None, note: str) -> None:
    conn.execute(
        "UPDATE schedules SET last_job_id = coalesce(%s, last_job_id), last_note = %s "
        "WHERE tenant = %s AND connector = %s",
        (job_id, note, s.tenant, s.connector),
    )
