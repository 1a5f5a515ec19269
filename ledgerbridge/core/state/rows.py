"""Rows of the runs and outcomes tables as the CLI and plugins read them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunRow:
    id: int
    tenant: str
    connector: str
    kind: str
    status: str
    dry_run: bool
    full: bool
    params: dict[str, Any]
    started_at: str
    ended_at: str | None
    succeeded: int
    failed: int
    skipped: int
    message: str | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class OutcomeRow:
    run_id: int
    flow: str
    entity: str
    key: str
    status: str
    action: str | None
    remote_id: str | None
    error: dict[str, Any] | None
    at: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


RUN_COLS = (  # "full" quoted: PostgreSQL reserves the word
    'id, tenant, connector, kind, status, dry_run, "full", params, started_at, ended_at, '
    "succeeded, failed, skipped, message"
)


def run_row(r: tuple[Any, ...]) -> RunRow:
    return RunRow(
        id=r[0],
        tenant=r[1],
        connector=r[2],
        kind=r[3],
        status=r[4],
        dry_run=bool(r[5]),
        full=bool(r[6]),
        params=json.loads(r[7] or "{}"),
        started_at=r[8],
        ended_at=r[9],
        succeeded=r[10],
        failed=r[11],
        skipped=r[12],
        message=r[13],
    )
