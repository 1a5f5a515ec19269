"""The target: one JSON file per contact in the output folder."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ledgerbridge import Record, WriteResult

if TYPE_CHECKING:
    from ledgerbridge.core.state.bindings import Binding


class OutboxTarget:
    """Anything with `system`, `write` and `lookup` is a target.

    The file name is the remote id: derived from the record's key, so `lookup`
    can find a file written by a run that crashed before it could record it.
    """

    system = "hello_outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, payload: Any, record: Record, binding: Binding | None) -> WriteResult:
        """Create the file, or replace the one the binding names."""
        name = binding.remote_id if binding is not None else file_name(record)
        write_atomically(self.folder / name, json.dumps(payload, indent=2, sort_keys=True) + "\n")
        return WriteResult(name, "updated" if binding is not None else "created")

    def lookup(self, payload: Any, record: Record) -> WriteResult | None:
        """The file for this record, if a run already wrote it."""
        name = file_name(record)
        return WriteResult(name, "unchanged") if (self.folder / name).is_file() else None


def file_name(record: Record) -> str:
    """`contact-42.json`; quoting keeps any key a single safe file name."""
    return f"{record.entity}-{quote(record.key, safe='')}.json"


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file and rename it: the file is whole or absent,
    never half written, whenever the process is stopped."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
