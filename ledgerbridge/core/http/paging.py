"""Lazy pagination for the vendors' paging styles.

Each helper is a generator: it fetches a page only when the caller has used
up the previous one, so a source can stream a 100,000-row ledger without ever
holding more than one page. Every helper stops on an empty page and refuses to
loop on a page that does not advance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from ledgerbridge.core.errors import LedgerbridgeError
from ledgerbridge.core.http.client import ApiClient

Items = str | Callable[[Any], list[Any]] | None
"""Where a page's items are: None (the body is the list), a dotted key
("Data", "result.items") or a function of the body."""


class PaginationError(LedgerbridgeError):
    """The API's paging did not behave as its contract says."""


def _dig(body: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(body, Mapping):
            return None
        body = body.get(part)
    return body


def _items(body: Any, items: Items) -> list[Any]:
    found = body if items is None else items(body) if callable(items) else _dig(body, items)
    if found is None:
        return []
    if not isinstance(found, list):
        raise PaginationError(f"Expected a list of items, got {type(found).__name__}.")
    return found


def iter_page_number(
    client: ApiClient,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    page_size: int = 100,
    max_page_size: int = 1000,
    page_param: str = "pageNumber",
    size_param: str = "pageSize",
    first_page: int = 1,
    items: Items = None,
) -> Iterator[Any]:
    """Visma.net style: `pageNumber`/`pageSize`, the body a list of items.

    Stops at the first page shorter than the page size. Visma.net silently
    caps the page size and reports its cap (and the total) in each item's
    `metadata`; both are honoured, so a capped page is not taken for the last.
    """
    size = min(page_size, max_page_size)
    page = first_page
    seen = 0
    while True:
        query = {**(params or {}), page_param: page, size_param: size}
        found = _items(client.get_json(path, params=query), items)
        meta = _metadata(found)
        cap = meta.get("maxPageSize")
        if isinstance(cap, int) and 0 < cap < size:
            size = cap
        yield from found
        seen += len(found)
        total = meta.get("totalCount")
        if len(found) < size or (isinstance(total, int) and seen >= total):
            return
        page += 1


def _metadata(found: list[Any]) -> Mapping[str, Any]:
    first = found[0] if found else None
    meta = first.get("metadata") if isinstance(first, Mapping) else None
    return meta if isinstance(meta, Mapping) else {}


def iter_meta_pages(
    client: ApiClient,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    page_size: int = 100,
    page_param: str = "$page",
    size_param: str = "$pagesize",
    data_key: str = "Data",
    meta_key: str = "Meta",
) -> Iterator[Any]:
    """eAccounting style: `$page`/`$pagesize`, body `{Meta: {CurrentPage,
    PageSize, TotalNumberOfPages, ...}, Data: [...]}`."""
    page = 1
    while True:
        query = {**(params or {}), page_param: page, size_param: page_size}
        body = client.get_json(path, params=query)
        found = _items(body, data_key)
        yield from found
        meta = _dig(body, meta_key)
        meta = meta if isinstance(meta, Mapping) else {}
        current = meta.get("CurrentPage", page)
        pages = meta.get("TotalNumberOfPages")
        if not found or not isinstance(pages, int) or current >= pages:
            return
        page = current + 1


def iter_next_link(
    client: ApiClient,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    items: Items = "items",
    next_key: str | None = "next",
    use_link_header: bool = True,
) -> Iterator[Any]:
    """Next-link style: the next page's URL in the body (`next_key`, dotted)
    or in a `Link: <...>; rel="next"` header. Links to another host are
    refused: following them would send our credentials there."""
    url: str | None = path
    query: Mapping[str, Any] | None = params
    visited: set[str] = set()
    while url is not None:
        response = client.request("GET", url, params=query)
        body = client.parse_json(response)
        found = _items(body, items)
        yield from found
        url = _next_link(response, body, next_key, use_link_header)
        query = None  # the link carries its own query
        if url is None or not found:
            return
        if not client.same_origin(url):
            raise PaginationError(f"{client.name}: refusing to follow a next link to another host.")
        if url in visited:
            raise PaginationError(f"{client.name}: the next link repeats a page already read.")
        visited.add(url)


def _next_link(
    response: httpx.Response, body: Any, next_key: str | None, use_link_header: bool
) -> str | None:
    link: Any = _dig(body, next_key) if next_key is not None else None
    if not (isinstance(link, str) and link) and use_link_header:
        link = response.links.get("next", {}).get("url")
    if not (isinstance(link, str) and link):
        return None
    # Relative links are relative to the page they came from (RFC 3986), not
    # to the client's base URL.
    return str(response.request.url.join(link))


def iter_continuation(
    client: ApiClient,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    items: Items = "items",
    token_key: str | None = "continuationToken",
    token_header: str | None = None,
    token_param: str = "continuationToken",
    send_as_header: str | None = None,
) -> Iterator[Any]:
    """Continuation-token style: each answer names a token (body `token_key`
    or response header `token_header`) to send with the next request (query
    `token_param`, or header `send_as_header`). No token means the end."""
    token: str | None = None
    seen: set[str] = set()
    while True:
        query = dict(params or {})
        headers: dict[str, str] = {}
        if token is not None:
            if send_as_header:
                headers[send_as_header] = token
            else:
                query[token_param] = token
        response = client.request("GET", path, params=query, headers=headers)
        body = client.parse_json(response)
        found = _items(body, items)
        yield from found
        token = _token(response, body, token_key, token_header)
        if token is None or not found:
            return
        if token in seen:
            raise PaginationError(f"{client.name}: the continuation token repeats.")
        seen.add(token)


def _token(
    response: httpx.Response, body: Any, token_key: str | None, token_header: str | None
) -> str | None:
    value = _dig(body, token_key) if token_key else None
    if value in (None, "") and token_header:
        value = response.headers.get(token_header)
    return str(value) if value not in (None, "") else None
