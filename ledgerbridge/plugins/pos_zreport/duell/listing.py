"""A DUELL list read once per run, however many flows read it.

DUELL's lists cannot be filtered by change (api.py), so every flow reading
products or customers reads the whole list, 100 rows a call. With products
going to several Visma.net companies (one flow each), the first flow reads
the list from DUELL and keeps its rows, compact, for the flows after it; the
last one lets them go. All companies so also get the same snapshot of the
register. A read that stopped half way keeps nothing: the next reader reads
DUELL again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

from ledgerbridge.plugins.pos_zreport.duell.api import DuellApi


class DuellList:
    """The rows of one DUELL list (`product/list`, `customer/list`) for
    `readers` flows of one run."""

    def __init__(self, api: DuellApi, path: str, items: str, readers: int = 1) -> None:
        self.api = api
        self.path = path
        self.items = items
        self._left = readers
        self._kept: list[str] | None = None
        self._lock = threading.Lock()

    def rows(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            self._left -= 1
            kept, last = self._kept, self._left <= 0
            if last:
                self._kept = None
        if kept is not None:
            yield from (json.loads(raw) for raw in kept)
            return
        if last:  # nobody after this one: nothing to keep
            yield from self.api.pages(self.path, self.items)
            return
        keep: list[str] = []
        for row in self.api.pages(self.path, self.items):
            keep.append(json.dumps(row, separators=(",", ":"), ensure_ascii=False))
            yield row
        with self._lock:
            self._kept = keep
