"""The request journal: what every emulator received and answered.

Tests assert on it ("exactly one invoice was posted, with these lines"), and an
operator reads it from a running sandbox. Secrets never enter it: headers,
query strings and bodies pass through the shared `Redactor` first, and file
uploads are recorded by name, type and size, never by content.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from ledgerbridge.core.redact import FORM_SECRET_KEYS, MASK, SECRET_KEYS, Redactor
from ledgerbridge.core.sandbox.messages import MultiDict, Request
from ledgerbridge.core.sandbox.multipart import MultipartError, parse_multipart

DEFAULT_MAX_ENTRIES = 100_000
DEFAULT_MAX_BODY = 100_000  # bytes of request body kept as parsed data
DEFAULT_MAX_RESPONSE = 2_000  # characters of response body kept

_XML_SECRET = re.compile(
    r"(<(?:[\w.-]+:)?(?:password|token|client_secret|refresh_token|access_token)\b[^>]*>)"
    r"([^<]*)(</)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class JournalEntry:
    """One request as the emulator received it, and what it answered."""

    seq: int
    timestamp: float
    emulator: str
    method: str
    path: str  # inside the emulator, e.g. /v2/customerinvoice
    full_path: str  # as the client sent it, e.g. /visma_net/v2/customerinvoice
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    # What the emulator answered; None when it never saw the request. With a
    # drop-after or timeout-after fault the client did not get this answer.
    status: int | None
    response_body: Any
    fault: str | None = None
    error: str | None = None

    @property
    def time(self) -> str:
        """When it was received, ISO 8601 UTC with milliseconds (sandbox clock)."""
        moment = datetime.fromtimestamp(self.timestamp, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def to_dict(self) -> dict[str, Any]:
        """As data; `time` is ISO 8601, `timestamp` the same moment in epoch seconds."""
        return {"time": self.time, **asdict(self)}


@dataclass
class JournalFilter:
    emulator: str | None = None
    method: str | None = None
    path: str | None = None
    path_startswith: str | None = None
    path_glob: str | None = None
    status: int | None = None
    fault: str | None = None
    since: int | None = None  # entries with seq greater than this

    def __call__(self, e: JournalEntry) -> bool:
        return (
            (self.emulator is None or e.emulator == self.emulator)
            and (self.method is None or e.method == self.method.upper())
            and (self.path is None or e.path == self.path)
            and (self.path_startswith is None or e.path.startswith(self.path_startswith))
            and (self.path_glob is None or fnmatch.fnmatchcase(e.path, self.path_glob))
            and (self.status is None or e.status == self.status)
            and (self.fault is None or (e.fault is not None and self.fault in e.fault.split()))
            and (self.since is None or e.seq > self.since)
        )


class Journal:
    """A bounded, thread-safe list of entries; the oldest are dropped first."""

    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        redactor: Redactor | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        max_response: int = DEFAULT_MAX_RESPONSE,
    ) -> None:
        self.redactor = redactor or Redactor()
        self.max_body = max_body
        self.max_response = max_response
        self._entries: deque[JournalEntry] = deque(maxlen=max_entries)
        self._lock = threading.Lock()
        self._seq = 0

    # -- writing -------------------------------------------------------------

    def record(
        self,
        *,
        timestamp: float,
        emulator: str,
        request: Request,
        full_path: str,
        status: int | None,
        response_headers: list[tuple[str, str]] | None = None,
        response_body: bytes = b"",
        fault: str | None = None,
        error: str | None = None,
    ) -> JournalEntry:
        """Describe, redact and keep one request."""
        resp_type = _header(response_headers or [], "content-type")
        query = self._query(request.query)
        headers = self._headers(request)
        body = self._request_body(request)
        answer = self._response_body(response_body, resp_type)
        with self._lock:
            self._seq += 1
            entry = JournalEntry(
                seq=self._seq,
                timestamp=timestamp,
                emulator=emulator,
                method=request.method,
                path=request.path,
                full_path=full_path,
                query=query,
                headers=headers,
                body=body,
                status=status,
                response_body=answer,
                fault=fault,
                error=self.redactor.redact(error) if error else None,
            )
            self._entries.append(entry)
        return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    # -- reading ---------------------------------------------------------------

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            return list(self._entries)

    def find(self, **filters: Any) -> list[JournalEntry]:
        """Entries matching every filter given: emulator, method, path,
        path_startswith, path_glob, status, fault, since."""
        keep = JournalFilter(**filters)
        return [e for e in self.entries() if keep(e)]

    def bodies(self, **filters: Any) -> list[Any]:
        """The recorded request bodies of the matching entries."""
        return [e.body for e in self.find(**filters)]

    def last(self, **filters: Any) -> JournalEntry | None:
        found = self.find(**filters)
        return found[-1] if found else None

    def count(self, **filters: Any) -> int:
        return len(self.find(**filters))

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries())

    # -- describing --------------------------------------------------------------

    def _headers(self, request: Request) -> dict[str, str]:
        masked = self.redactor.redact_headers(request.headers.pairs())
        out: dict[str, str] = {}
        for name, value in masked:
            out[name] = f"{out[name]}, {value}" if name in out else value
        return out

    def _query(self, query: MultiDict) -> dict[str, list[str]]:
        return {
            k: [MASK] if k.lower() in FORM_SECRET_KEYS else [self.redactor.redact(v) for v in vs]
            for k, vs in query.to_lists().items()
        }

    def _form(self, form: MultiDict) -> dict[str, Any]:
        """Forms carry OAuth's authorization code, so `code` is masked here too."""
        return {
            k: MASK if k.lower() in FORM_SECRET_KEYS and v else self.redactor.redact_obj(v)
            for k, v in _flat(form).items()
        }

    def _request_body(self, request: Request) -> Any:
        raw = request.body
        if not raw:
            return None
        kind = request.content_type
        if len(raw) > self.max_body:
            return f"<{kind or 'body'}, {len(raw)} bytes, not kept>"
        if kind == "multipart/form-data":
            return self._multipart(raw, request.headers.get("content-type", ""))
        if kind == "application/x-www-form-urlencoded":
            return self._form(request.form())
        return self._payload(raw, kind, limit=None)

    def _multipart(self, raw: bytes, content_type: str) -> Any:
        try:
            parts = parse_multipart(raw, content_type)
        except MultipartError as exc:
            return f"<invalid multipart body: {exc}>"
        fields = MultiDict((p.name, p.text()) for p in parts if not p.is_file)
        files = [
            {"name": p.name, "filename": p.filename, "content_type": p.content_type, "size": p.size}
            for p in parts
            if p.is_file
        ]
        return {"fields": self.redactor.redact_obj(_flat(fields)), "files": files}

    def _response_body(self, raw: bytes, content_type: str | None) -> Any:
        if not raw:
            return None
        kind = (content_type or "").split(";")[0].strip().lower()
        return self._payload(raw, kind, limit=self.max_response)

    def _payload(self, raw: bytes, kind: str, limit: int | None) -> Any:
        """JSON as data (when small enough), text and XML as redacted text."""
        if _is_json(kind) and (limit is None or len(raw) <= limit):
            try:
                return self.redactor.redact_obj(json.loads(raw))
            except (UnicodeDecodeError, json.JSONDecodeError):
                pass
        if not _is_text(kind):
            return f"<{kind or 'body'}, {len(raw)} bytes>"
        text = raw.decode("utf-8", errors="replace")
        if "xml" in kind or text.lstrip().startswith("<"):
            text = _XML_SECRET.sub(lambda m: m.group(1) + MASK + m.group(3), text)
        text = self.redactor.redact(text)
        if _is_json(kind):
            text = _mask_json_text(text)
        if limit is not None and len(text) > limit:
            return f"{text[:limit]}… [{len(text) - limit} more characters]"
        return text


_JSON_SECRET = re.compile(
    r'("(?:' + "|".join(sorted(SECRET_KEYS)) + r')"\s*:\s*")([^"]*)(")', re.IGNORECASE
)


def _mask_json_text(text: str) -> str:
    """Mask secret keys in JSON kept as (truncated) text, where parsing failed."""
    return _JSON_SECRET.sub(lambda m: m.group(1) + MASK + m.group(3), text)


def _flat(values: MultiDict) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in values.to_lists().items()}


def _is_json(kind: str) -> bool:
    return kind == "application/json" or kind.endswith("+json")


def _is_text(kind: str) -> bool:
    return (
        not kind
        or kind.startswith("text/")
        or _is_json(kind)
        or "xml" in kind
        or kind == "application/x-www-form-urlencoded"
    )


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)
