"""List answers the way Visma.net pages them.

Lists take `pageNumber` (1-based) and `pageSize`; a page size above the
endpoint's maximum is silently capped, and DTOs that declare `metadata`
(customers, invoices, accounts, ...) carry `{totalCount, maxPageSize}` on
every item so a client can tell a capped page from the last one. Without
paging parameters the first page of the maximum size is returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ledgerbridge.core.sandbox import MultiDict, Response, abort, json_response, page_params

Doc = dict[str, Any]


def page_bounds(query: MultiDict, max_page_size: int) -> tuple[int, int]:
    """(pageNumber, pageSize) after capping; bad values are a 400."""
    return page_params(query, default_size=max_page_size, max_size=max_page_size)


def page_slice(items: Sequence[Any], query: MultiDict, max_page_size: int) -> list[Any]:
    number, size = page_bounds(query, max_page_size)
    start = (number - 1) * size
    return list(items[start : start + size])


def with_metadata(items: Iterable[Doc], total: int, max_page_size: int) -> list[Doc]:
    meta = {"totalCount": total, "maxPageSize": max_page_size}
    return [{**item, "metadata": dict(meta)} for item in items]


def list_response(
    items: Sequence[Doc],
    query: MultiDict,
    max_page_size: int,
    *,
    metadata: bool = False,
) -> Response:
    """One page of `items` as a JSON list."""
    page = page_slice(items, query, max_page_size)
    if metadata:
        page = with_metadata(page, len(items), max_page_size)
    return json_response(page)


def keyed_page(
    keys: Sequence[str],
    fetch: Callable[[list[str]], list[Doc]],
    query: MultiDict,
    max_page_size: int,
    render: Callable[[Doc], Doc],
) -> Response:
    """A page of stored documents: only the page's documents are read."""
    page_keys = page_slice(keys, query, max_page_size)
    docs = [render(d) for d in fetch(page_keys)]
    return json_response(with_metadata(docs, len(keys), max_page_size))


def pagination_dto(items: Sequence[Doc], query: MultiDict, max_page_size: int) -> Response:
    """BasePaginationDto: `{pageNumber, pageSize, totalCount, records}` (credit terms)."""
    number, size = page_bounds(query, max_page_size)
    start = (number - 1) * size
    body = {
        "pageNumber": number,
        "pageSize": size,
        "totalCount": len(items),
        "records": list(items[start : start + size]),
    }
    return json_response(body)


def flag(query: MultiDict, name: str) -> bool:
    """A boolean query parameter (`expandAttachments=true`)."""
    return query.get(name, "").strip().lower() in ("true", "1", "yes")


def modified_filter(query: MultiDict) -> Callable[[Doc], bool] | None:
    """`lastModifiedDateTime` + `lastModifiedDateTimeCondition` (>, >=, <, <=)."""
    since = query.get("lastModifiedDateTime")
    if not since:
        return None
    condition = query.get("lastModifiedDateTimeCondition", ">=").strip() or ">="
    compare = _COMPARE.get(condition)
    if compare is None:
        abort(400, f"lastModifiedDateTimeCondition must be one of {', '.join(_COMPARE)}")
    prefix = since[:19]
    return lambda doc: compare(str(doc.get("lastModifiedDateTime") or "")[:19], prefix)


_COMPARE: dict[str, Callable[[str, str], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}
