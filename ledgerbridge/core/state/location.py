"""Where a workspace keeps its state: the embedded SQLite file, or PostgreSQL.

One machine needs nothing: the state is `<workspace>/state.db`. Workers on
several machines share one PostgreSQL database, named by `--state
postgresql://...` or `LEDGERBRIDGE_STATE`; the run lock, the rate budgets,
the job queue and the schedules then live there, so every worker sees them.

A location is shown to operators with its password replaced by `••••`: a DSN
is a secret-bearing string and must not reach a log or an error as written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ledgerbridge.core.errors import ConfigError

STATE_ENV = "LEDGERBRIDGE_STATE"
_PG_SCHEMES = ("postgresql", "postgres")
_PASSWORD = re.compile(r"(?i)(password\s*=\s*)('[^']*'|\S+)")


@dataclass(frozen=True)
class StateLocation:
    """kind "sqlite" (path set) or "postgresql" (dsn set)."""

    kind: str
    path: Path | None = None
    dsn: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.kind == "postgresql"

    def shown(self) -> str:
        """For messages: the path, or the DSN without its password."""
        if self.path is not None:
            return f"sqlite://{self.path}" if self.path.is_absolute() else f"sqlite:///{self.path}"
        return redact_dsn(self.dsn or "")


def redact_dsn(dsn: str) -> str:
    """`postgresql://user:secret@host/db` -> `postgresql://user:••••@host/db`;
    a key=value DSN's `password=...` likewise."""
    if "://" not in dsn:
        return _PASSWORD.sub(lambda m: m.group(1) + "••••", dsn)
    parts = urlsplit(dsn)
    if parts.password is None:
        return _PASSWORD.sub(lambda m: m.group(1) + "••••", dsn)
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    shown = parts._replace(netloc=f"{user}:••••@{host}").geturl()
    return _PASSWORD.sub(lambda m: m.group(1) + "••••", shown)


def state_location(workspace: Path, value: str | None = None) -> StateLocation:
    """The location `value` names (else `LEDGERBRIDGE_STATE`, else the
    workspace's own state.db), refused with the accepted forms when unreadable."""
    raw = value if value is not None else os.environ.get(STATE_ENV) or ""
    raw = raw.strip()
    if not raw:
        return StateLocation("sqlite", path=workspace / "state.db")
    scheme = raw.split(":", 1)[0].lower() if ":" in raw else ""
    if scheme in _PG_SCHEMES:
        return StateLocation("postgresql", dsn=raw)
    if scheme == "sqlite":
        path = unquote(urlsplit(raw).path)
        if path.startswith("//"):  # sqlite:////abs/path, as SQLAlchemy writes it
            path = path[1:]
        if not path:
            raise ConfigError(_bad(raw, "the sqlite URL names no file"))
        return StateLocation("sqlite", path=Path(path))
    raise ConfigError(_bad(raw, "it is neither a sqlite:/// nor a postgresql:// URL"))


def _bad(raw: str, why: str) -> str:
    return (
        f"The state location {redact_dsn(raw)!r} (--state or {STATE_ENV}) cannot be used: "
        f"{why}; use sqlite:///PATH/state.db or postgresql://USER@HOST:PORT/DATABASE"
    )
