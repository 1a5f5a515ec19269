"""Pagination helpers: each paging style, laziness and loop guards."""

from __future__ import annotations

import httpx
import pytest

from ledgerbridge.core.http import (
    PaginationError,
    iter_continuation,
    iter_meta_pages,
    iter_next_link,
    iter_page_number,
)


def rows(start: int, count: int, **extra: object) -> list[dict[str, object]]:
    return [{"number": str(n), **extra} for n in range(start, start + count)]


def params_of(script) -> list[dict[str, str]]:
    return [dict(r.url.params) for r in script.requests]


def test_page_number_stops_on_a_short_page(make_client) -> None:
    client, script = make_client(
        httpx.Response(200, json=rows(1, 2)),
        httpx.Response(200, json=rows(3, 2)),
        httpx.Response(200, json=rows(5, 1)),
    )
    found = list(iter_page_number(client, "customer", params={"status": "Active"}, page_size=2))
    assert [r["number"] for r in found] == ["1", "2", "3", "4", "5"]
    assert params_of(script) == [
        {"status": "Active", "pageNumber": "1", "pageSize": "2"},
        {"status": "Active", "pageNumber": "2", "pageSize": "2"},
        {"status": "Active", "pageNumber": "3", "pageSize": "2"},
    ]


def test_page_number_stops_on_an_empty_page(make_client) -> None:
    client, script = make_client(httpx.Response(200, json=rows(1, 2)), httpx.Response(200, json=[]))
    assert len(list(iter_page_number(client, "customer", page_size=2))) == 2
    assert len(script.requests) == 2


def test_page_number_caps_the_page_size(make_client) -> None:
    client, script = make_client(httpx.Response(200, json=[]))
    list(iter_page_number(client, "customer", page_size=5000, max_page_size=1000))
    assert params_of(script)[0]["pageSize"] == "1000"


def test_page_number_honours_the_servers_cap_from_metadata(make_client) -> None:
    """Visma.net silently serves fewer items than asked when over its cap; a
    capped page must not be taken for the last one."""
    meta = {"metadata": {"totalCount": 5, "maxPageSize": 2}}
    client, script = make_client(
        httpx.Response(200, json=rows(1, 2, **meta)),
        httpx.Response(200, json=rows(3, 2, **meta)),
        httpx.Response(200, json=rows(5, 1, **meta)),
    )
    found = list(iter_page_number(client, "customer", page_size=100))
    assert len(found) == 5
    assert [p["pageSize"] for p in params_of(script)] == ["100", "2", "2"]


def test_page_number_stops_at_total_count(make_client) -> None:
    meta = {"metadata": {"totalCount": 4, "maxPageSize": 100}}
    client, script = make_client(
        httpx.Response(200, json=rows(1, 2, **meta)), httpx.Response(200, json=rows(3, 2, **meta))
    )
    assert len(list(iter_page_number(client, "customer", page_size=2))) == 4
    assert len(script.requests) == 2  # no third request for an empty page


def test_page_number_is_lazy(make_client) -> None:
    client, script = make_client(
        httpx.Response(200, json=rows(1, 2)), httpx.Response(200, json=rows(3, 1))
    )
    pages = iter_page_number(client, "customer", page_size=2)
    assert script.requests == []  # nothing fetched before iteration
    assert next(pages)["number"] == "1"
    assert next(pages)["number"] == "2"
    assert len(script.requests) == 1  # page 2 not fetched while page 1 lasts
    assert next(pages)["number"] == "3"
    assert len(script.requests) == 2


def meta_page(current: int, pages: int, data: list[object]) -> httpx.Response:
    meta = {"CurrentPage": current, "PageSize": 2, "TotalNumberOfPages": pages}
    return httpx.Response(200, json={"Meta": meta, "Data": data})


def test_meta_pages(make_client) -> None:
    client, script = make_client(
        meta_page(1, 3, rows(1, 2)), meta_page(2, 3, rows(3, 2)), meta_page(3, 3, rows(5, 1))
    )
    found = iter_meta_pages(client, "customers", page_size=2)
    assert next(found)["number"] == "1"
    assert len(script.requests) == 1
    assert [r["number"] for r in found] == ["2", "3", "4", "5"]
    assert params_of(script) == [
        {"$page": "1", "$pagesize": "2"},
        {"$page": "2", "$pagesize": "2"},
        {"$page": "3", "$pagesize": "2"},
    ]


def test_meta_pages_single_page(make_client) -> None:
    client, script = make_client(meta_page(1, 1, rows(1, 1)))
    assert len(list(iter_meta_pages(client, "customers"))) == 1
    assert len(script.requests) == 1


def test_next_link_in_body(make_client) -> None:
    client, script = make_client(
        httpx.Response(200, json={"items": [1, 2], "next": "/v1/things?cursor=b"}),
        httpx.Response(200, json={"items": [3], "next": None}),
    )
    found = iter_next_link(client, "things", params={"limit": 2})
    assert next(found) == 1
    assert len(script.requests) == 1
    assert list(found) == [2, 3]
    assert [str(r.url) for r in script.requests] == [
        "https://api.example.test/v1/things?limit=2",
        "https://api.example.test/v1/things?cursor=b",
    ]


def test_next_link_in_link_header(make_client) -> None:
    link = '<https://api.example.test/v1/things?page=2>; rel="next"'
    client, script = make_client(
        httpx.Response(200, json={"items": [1]}, headers={"Link": link}),
        httpx.Response(200, json={"items": [2]}),
    )
    assert list(iter_next_link(client, "things")) == [1, 2]
    assert str(script.requests[1].url) == "https://api.example.test/v1/things?page=2"


def test_next_link_to_another_host_is_refused(make_client) -> None:
    client, script = make_client(
        httpx.Response(200, json={"items": [1], "next": "https://evil.example/steal"})
    )
    with pytest.raises(PaginationError, match="another host"):
        list(iter_next_link(client, "things"))
    assert len(script.requests) == 1


def test_next_link_loop_is_detected(make_client) -> None:
    page = {"items": [1], "next": "/v1/things?p=2"}
    client, _ = make_client(httpx.Response(200, json=page), httpx.Response(200, json=page))
    with pytest.raises(PaginationError, match="repeats"):
        list(iter_next_link(client, "things"))


def test_continuation_token_in_body(make_client) -> None:
    client, script = make_client(
        httpx.Response(200, json={"items": [1, 2], "continuationToken": "t1"}),
        httpx.Response(200, json={"items": [3], "continuationToken": None}),
    )
    found = iter_continuation(client, "journal", params={"year": 2026})
    assert [next(found), next(found)] == [1, 2]
    assert len(script.requests) == 1
    assert list(found) == [3]
    assert params_of(script) == [{"year": "2026"}, {"year": "2026", "continuationToken": "t1"}]


def test_continuation_token_in_headers(make_client) -> None:
    client, script = make_client(
        httpx.Response(200, json={"items": [1]}, headers={"X-Continuation": "abc"}),
        httpx.Response(200, json={"items": [2]}),
    )
    found = iter_continuation(
        client,
        "journal",
        token_key=None,
        token_header="X-Continuation",
        send_as_header="X-Continuation",
    )
    assert list(found) == [1, 2]
    assert script.requests[1].headers["X-Continuation"] == "abc"
    assert "continuationToken" not in script.requests[1].url.params


def test_repeated_continuation_token_is_detected(make_client) -> None:
    page = {"items": [1], "continuationToken": "same"}
    client, _ = make_client(httpx.Response(200, json=page), httpx.Response(200, json=page))
    with pytest.raises(PaginationError, match="repeats"):
        list(iter_continuation(client, "journal"))


def test_items_must_be_a_list(make_client) -> None:
    client, _ = make_client(httpx.Response(200, json={"items": {"a": 1}}))
    with pytest.raises(PaginationError, match="Expected a list"):
        list(iter_next_link(client, "things"))
