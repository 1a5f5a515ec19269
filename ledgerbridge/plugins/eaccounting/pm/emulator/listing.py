"""Severa's two paging styles and its list filters [SEV].

Most lists (customers, products, projects, invoices, invoice rows, project
fees) page with `pageToken` + `rowCount` ("Default 20, maximum 100"): the
body is a plain JSON array and the token for the next page comes in the
`NextPageToken` response header [SEV-MCP client.ts]; the last page has
none. Settings lists (work types, travel expense types, invoice statuses,
addresses, contact persons, currencies) take `firstRow` + `rowCount`
instead. `changedSince` selects records added or changed at or after the
time ("greater or equal"). Array filters (`numbers`, `invoiceStatusGuids`,
...) are repeated parameters, with or without `[]`.

Page tokens are opaque to clients; the emulator's carry the offset and a
digest of the query, so a token used with another query is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from ledgerbridge.core.sandbox import Request, Response, json_response
from ledgerbridge.plugins.eaccounting.pm.emulator.errors import invalid
from ledgerbridge.plugins.eaccounting.stamps import parse_time

Doc = dict[str, Any]
DEFAULT_ROWS = 20
MAX_ROWS = 100
_PAGING = frozenset({"pagetoken", "rowcount", "firstrow", "calculaterowcount"})


def token_page(request: Request, docs: Sequence[Doc]) -> Response:
    """A pageToken/rowCount page: the items, and NextPageToken when more remain."""
    rows = _rows(request)
    offset = _offset(request)
    page = list(docs[offset : offset + rows])
    headers = []
    if offset + rows < len(docs):
        headers.append(("NextPageToken", _token(request, offset + rows)))
    return json_response(page, 200, headers)


def row_page(request: Request, docs: Sequence[Doc]) -> Response:
    """A firstRow/rowCount page (settings lists)."""
    first = _int(request, "firstRow", 0)
    if first < 0:
        invalid("firstRow must be 0 or more.", "firstRow", "UriParameter")
    return json_response(list(docs[first : first + _rows(request)]))


def changed_since(request: Request) -> Callable[[Doc], bool] | None:
    text = request.query.get("changedSince", "").strip()
    if not text:
        return None
    since = parse_time(text)
    if since is None:
        invalid(f"The value '{text}' is not a valid date-time.", "changedSince", "UriParameter")

    def changed(doc: Doc) -> bool:
        stamp = parse_time(doc.get("lastUpdatedDateTime") or doc.get("createdDateTime") or "")
        return stamp is not None and stamp >= since

    return changed


def values(request: Request, name: str) -> list[str]:
    """A repeated (array) query parameter: `numbers=1&numbers=2` or `numbers[]=1`."""
    return [v for v in request.query.getall(name) + request.query.getall(name + "[]") if v]


def boolean(request: Request, name: str) -> bool | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() not in ("true", "false"):
        invalid(f"The value '{raw}' is not valid for {name}.", name, "UriParameter")
    return raw.lower() == "true"


def flag(request: Request, name: str, field: str) -> Callable[[Doc], bool] | None:
    """The `name=true|false` filter on the doc's `field`; None when not asked."""
    wanted = boolean(request, name)
    return None if wanted is None else (lambda d: d.get(field) == wanted)


def select(docs: list[Doc], *predicates: Callable[[Doc], bool] | None) -> list[Doc]:
    active = [p for p in predicates if p is not None]
    return [d for d in docs if all(p(d) for p in active)]


def _rows(request: Request) -> int:
    rows = _int(request, "rowCount", DEFAULT_ROWS)
    if rows < 1:
        invalid("rowCount must be 1 or more.", "rowCount", "UriParameter")
    return min(rows, MAX_ROWS)


def _int(request: Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        invalid(f"The value '{raw}' is not valid for {name}.", name, "UriParameter")


def _digest(request: Request) -> str:
    pairs = sorted((k.lower(), v) for k, v in request.query.pairs() if k.lower() not in _PAGING)
    return hashlib.sha256(json.dumps([request.path.lower(), pairs]).encode()).hexdigest()[:16]


def _token(request: Request, offset: int) -> str:
    raw = json.dumps({"o": offset, "q": _digest(request)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _offset(request: Request) -> int:
    token = request.query.get("pageToken", "").strip()
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset, digest = int(data["o"]), str(data["q"])
    except (ValueError, KeyError, TypeError):
        invalid("The page token is not valid.", "pageToken", "UriParameter")
    if digest != _digest(request) or offset < 0:
        invalid("The page token belongs to another query.", "pageToken", "UriParameter")
    return offset
