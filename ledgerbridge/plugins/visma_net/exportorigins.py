"""Which export files need not be read again (the engine's `SkipsSettled`).

A file's origin is the sha256 of its bytes and of the settings that shape
what it yields (entity, encoding, customer key, PDF copy, period and
invoice filters, limits). The engine keeps the origins whose every record
settled; the source skips those files without parsing them, so a re-run
with nothing new costs one read of each file's bytes. A file that changes,
or a setting that changes, gives a new origin: it is read again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Container
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


class SettledFiles:
    """The settled origins a flow was handed, and the files read this run."""

    def __init__(self, shape: list[Any]) -> None:
        self.settled: Container[str] = frozenset()
        self.read: list[str] = []
        self.reading = hashlib.sha256(json.dumps(shape, default=repr).encode()).hexdigest()[:16]

    def origin(self, path: Path) -> str | None:
        """The file's origin, read in 1 MB chunks before it is parsed (memory
        stays flat); None when it cannot be read (its scan then names the
        fault, and it is never taken for settled)."""
        digest = hashlib.sha256()
        try:
            with path.open("rb") as raw:
                while chunk := raw.read(_CHUNK):
                    digest.update(chunk)
        except OSError:
            return None
        return f"sha256:{digest.hexdigest()}/{self.reading}"

    def done(self, origin: str | None) -> None:
        if origin is not None:
            self.read.append(origin)
