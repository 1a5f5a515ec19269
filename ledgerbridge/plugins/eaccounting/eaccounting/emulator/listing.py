"""List answers the way eAccounting pages them.

`PaginatedResponseOf<X>`: `{Meta: {CurrentPage, PageSize, TotalNumberOfPages,
TotalNumberOfResults, ServerTimeUtc}, Data: [...]}` [S26]. Paging is `$page`
(1-based) and `$pagesize` (default 50 [FACTS, 3rd-party]; the maximum is
UNVERIFIED, the emulator caps at `max_page_size`, 1000 by default), filters
are OData `$filter`/`$orderby` (odata.py). A page past the end is empty.
`ServerTimeUtc` (with milliseconds) is the emulator clock's time, or the
last change stamp when a FakeClock stood still: the watermark for the next
delta read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ledgerbridge.core.sandbox import (
    HTTPError,
    Request,
    Response,
    dollar_page_params,
    json_response,
    paginate,
)
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.documents import Doc
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.errors import VALIDATION
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.odata import (
    FilterError,
    comparable,
    compile_filter,
    sort_key,
)
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.state import EAccountingState
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.validation import components

DEFAULT_PAGE_SIZE = 50


def list_response(
    request: Request,
    state: EAccountingState,
    schema: str,
    docs: Iterable[Doc],
    where: Callable[[Doc], bool] | None = None,
) -> Response:
    """One page of `docs` (filtered by `where` and `$filter`, sorted by `$orderby`)."""
    # Taken before reading, and never before a stamp already given out: a delta
    # read "ChangedUtc gt ServerTimeUtc" then sees every later write, and only those.
    server_time = state.stamps.now()
    properties = set(components()[schema].get("properties", {}))
    selected = [d for d in docs if where is None or where(d)]
    try:
        text = request.query.get("$filter", "").strip()
        if text:
            predicate = compile_filter(text, properties)
            selected = [d for d in selected if predicate(d)]
        order = request.query.get("$orderby", "").strip()
        if order:
            name, descending = sort_key(order, properties)
            selected.sort(key=lambda d: _order_value(d.get(name)), reverse=descending)
    except FilterError as exc:
        state.errors.fail(400, VALIDATION, f"ODataException - {exc}")
    try:
        page, size = dollar_page_params(
            request.query, default_size=DEFAULT_PAGE_SIZE, max_size=state.max_page_size
        )
    except HTTPError as exc:
        state.errors.fail(400, VALIDATION, exc.message)
    found = paginate(selected, page, size)
    meta = {
        "CurrentPage": found.number,
        "PageSize": found.size,
        "TotalNumberOfPages": found.pages,
        "TotalNumberOfResults": found.total,
        "ServerTimeUtc": server_time,
    }
    return json_response({"Meta": meta, "Data": found.items})


def _order_value(value: Any) -> tuple[int, Any]:
    """Nulls first, then by value (date-times as dates, strings folded)."""
    if value is None:
        return (0, "")
    value = comparable(value)
    return (1, value) if not isinstance(value, bool) else (1, int(value))


def flag(request: Request, name: str, default: bool = False) -> bool:
    """A boolean query parameter (`keepOriginalDraftDate=true`)."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in ("true", "1")
