"""The secret store: the only place a secret is written in clear.

One JSON file per workspace, created with 0600 permissions and replaced
atomically, so a crash never leaves half a file and other users on the
machine cannot read it. Everything else (config, state, output) holds only a
reference `{"secret": NAME}` or shows the mask.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ledgerbridge.core.redact import MASK

SECRET_FILE_MODE = 0o600


class SecretStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, dict[str, str]]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return {t: dict(v) for t, v in data.items()}

    def _save(self, data: dict[str, dict[str, str]]) -> None:
        write_private(self.path, json.dumps(data, indent=2, sort_keys=True))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise read-modify-write across processes: two runs rotating two
        refresh tokens must not lose one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def set(self, tenant: str, name: str, value: str) -> None:
        with self._locked():
            data = self._load()
            data.setdefault(tenant, {})[name] = value
            self._save(data)

    def get(self, tenant: str, name: str) -> str | None:
        return self._load().get(tenant, {}).get(name)

    def values(self, tenant: str) -> dict[str, str]:
        """Every secret of a tenant, for the run's SecretAccessor only."""
        return dict(self._load().get(tenant, {}))

    def names(self, tenant: str) -> list[str]:
        return sorted(self._load().get(tenant, {}))

    def delete(self, tenant: str, name: str | None = None) -> bool:
        with self._locked():
            data = self._load()
            if tenant not in data:
                return False
            if name is None:
                del data[tenant]
            elif data[tenant].pop(name, None) is None:
                return False
            self._save(data)
            return True

    def __repr__(self) -> str:
        return f"SecretStore({str(self.path)!r}, values={MASK})"


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, atomically (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, SECRET_FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
