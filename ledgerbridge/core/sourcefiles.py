"""Which input files a source need not read again (the engine's `SkipsSettled`).

For sources that read a folder of files every run (export files, SAF-T
files). A file's origin is the sha256 of its bytes (and of any companion
file read with it) and of the settings that shape what it yields (the
source passes them as its `shape`). The engine keeps the origins whose every
record settled; the source skips those files without parsing them, so a
re-run with nothing new costs one read of each file's bytes. A file that
changes, or a setting that changes, gives a new origin: it is read again.
visma_net's export source and pos_zreport's SAF-T source use it.
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

    def origin(self, path: Path, *companions: Path) -> str | None:
        """The file's origin, read in 1 MB chunks before it is parsed (memory
        stays flat), with its companion files' bytes (a side file that adds
        to it; a missing one counts as absent); None when the file cannot be
        read (its parse then names the fault, and it is never settled)."""
        digest = file_digest(path, *companions)
        return None if digest is None else self.named(digest)

    def named(self, digest: str) -> str:
        """The origin of files with `digest` (`file_digest`) read with these settings."""
        return f"{digest}/{self.reading}"

    def done(self, origin: str | None) -> None:
        if origin is not None:
            self.read.append(origin)


def file_digest(path: Path, *companions: Path) -> str | None:
    """`sha256:<hex>` of the file's bytes and its companions' (see `origin`),
    None when it cannot be read. The run's parse cache (core/parsecache.py)
    keys its entries by it too."""
    digest = hashlib.sha256()
    try:
        _feed(digest, path)
        for companion in companions:
            digest.update(b"\x00companion\x00")
            if companion.is_file():
                _feed(digest, companion)
    except OSError:
        return None
    return f"sha256:{digest.hexdigest()}"


def _feed(digest: Any, path: Path) -> None:
    with path.open("rb") as raw:
        while chunk := raw.read(_CHUNK):
            digest.update(chunk)
