"""A plugin the simulation's workers load: it writes when each run starts
and ends, to the microsecond, to a file of its own process (`SIM_EVENTS`
names the folder), so overlaps finer than the state's one-second stamps
are seen. Both hooks fire under the pair's run lock."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from ledgerbridge import hookimpl


def _write(event: dict[str, Any]) -> None:
    folder = os.environ.get("SIM_EVENTS")
    if not folder:
        return
    path = Path(folder) / f"events-{os.getpid()}.jsonl"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({**event, "t": time.time(), "pid": os.getpid()}) + "\n")


@hookimpl
def run_started(context: Any, run_id: int) -> None:
    _write(
        {"event": "start", "tenant": context.tenant, "connector": context.connector, "run": run_id}
    )


@hookimpl
def run_ended(context: Any, summary: Any) -> None:
    _write(
        {
            "event": "end",
            "tenant": context.tenant,
            "connector": context.connector,
            "run": summary.run_id,
            "status": summary.status,
        }
    )
