"""The sandbox's own endpoints under /_sandbox, for the CLI and for tests
that talk to a served sandbox from another process.

    GET    /_sandbox            the mounted emulators
    GET    /_sandbox/journal    entries, filtered by emulator, method, path,
                                path_startswith, path_glob, status, fault, since, limit
    DELETE /_sandbox/journal    clear it
    GET    /_sandbox/faults     the rules with their match counters
    POST   /_sandbox/faults     add a rule (the spec as text, or {"spec": ...})
    DELETE /_sandbox/faults     remove every rule

They are neither journaled nor subject to faults. The server only binds
loopback addresses, which is what keeps them private.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ledgerbridge.core.sandbox.faults import FaultPlan, FaultSpecError
from ledgerbridge.core.sandbox.journal import Journal
from ledgerbridge.core.sandbox.messages import (
    HTTPError,
    MultiDict,
    Request,
    Response,
    empty,
    json_response,
)
from ledgerbridge.core.sandbox.routing import App

_TEXT_FILTERS = ("emulator", "method", "path", "path_startswith", "path_glob", "fault")
_INT_FILTERS = ("status", "since")


def internal_app(
    *, journal: Journal, faults: FaultPlan, emulators: Iterable[tuple[str, str, str]]
) -> App:
    """Build the /_sandbox app; `emulators` is (name, prefix, description)."""
    app = App("sandbox")
    listing = [{"name": n, "prefix": p, "description": d} for n, p, d in emulators]

    @app.get("/_sandbox")
    def index(request: Request) -> Response:
        return json_response({"emulators": listing, "journal_entries": len(journal)})

    @app.get("/_sandbox/journal")
    def read_journal(request: Request) -> Response:
        filters = journal_filters(request.query)
        limit = _int(request.query, "limit")
        entries = journal.find(**filters)
        total = len(entries)
        if limit is not None:
            entries = entries[-limit:] if limit > 0 else []
        return json_response({"total": total, "entries": [e.to_dict() for e in entries]})

    @app.delete("/_sandbox/journal")
    def clear_journal(request: Request) -> Response:
        journal.clear()
        return empty(204)

    @app.get("/_sandbox/faults")
    def read_faults(request: Request) -> Response:
        return json_response(faults.to_dict())

    @app.post("/_sandbox/faults")
    def add_fault(request: Request) -> Response:
        spec = _spec(request)
        try:
            rule = faults.add(spec)
        except FaultSpecError as exc:
            raise HTTPError(400, str(exc)) from None
        return json_response(rule.to_dict(), 201)

    @app.delete("/_sandbox/faults")
    def clear_faults(request: Request) -> Response:
        faults.clear()
        return empty(204)

    return app


def journal_filters(query: MultiDict) -> dict[str, Any]:
    filters: dict[str, Any] = {k: query[k] for k in _TEXT_FILTERS if query.get(k)}
    for key in _INT_FILTERS:
        value = _int(query, key)
        if value is not None:
            filters[key] = value
    return filters


def _int(query: MultiDict, name: str) -> int | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise HTTPError(400, f"{name} must be an integer, not {raw!r}") from None


def _spec(request: Request) -> str:
    if request.content_type == "application/json":
        body = request.json()
        spec = body.get("spec") if isinstance(body, dict) else None
        if not isinstance(spec, str):
            raise HTTPError(400, 'expected {"spec": "<fault spec>"}')
        return spec
    return request.text()
