"""The in-memory store and both vendor paging styles."""

from __future__ import annotations

import threading

import httpx
import pytest

from ledgerbridge.core.sandbox import HTTPError, Store, page_params, paginate
from ledgerbridge.core.sandbox.messages import MultiDict

from .conftest import new_note


def test_collection_ids_crud_and_copies() -> None:
    store = Store()
    invoices = store.collection("invoices", key="number", start=7, id_format="{:06d}")
    first = invoices.insert({"amount": 10, "lines": [1]})
    assert first["number"] == "000007"
    assert invoices.insert({"amount": 20})["number"] == "000008"
    first["lines"].append(2)  # a returned copy: stored state is unaffected
    assert invoices.get("000007") == {"amount": 10, "lines": [1], "number": "000007"}
    assert invoices.update("000007", {"amount": 11, "number": "bogus"})["number"] == "000007"
    assert invoices.find(amount=11)[0]["number"] == "000007"
    assert invoices.find(lambda d: d["amount"] > 15) == [{"amount": 20, "number": "000008"}]
    assert invoices.update("nope", {}) is None
    assert invoices.delete("000008") and not invoices.delete("000008")
    with pytest.raises(HTTPError) as exc:
        invoices.insert({"number": "000007"})
    assert exc.value.status == 409
    with pytest.raises(HTTPError) as missing:
        invoices.require("x")
    assert missing.value.status == 404
    assert store["invoices"] is invoices and store.names() == ["invoices"]


def test_counters_are_per_collection_and_thread_safe() -> None:
    store = Store()
    a, b = store.collection("a"), store.collection("b", start=100)

    def insert_many() -> None:
        for _ in range(200):
            a.insert({})

    threads = [threading.Thread(target=insert_many) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(a) == 800 and sorted(d["id"] for d in a) == list(range(1, 801))
    assert b.insert({})["id"] == 100


def test_paginate_and_params() -> None:
    page = paginate([{"i": i} for i in range(7)], 3, 3)
    assert page.items == [{"i": 6}] and page.total == 7 and page.pages == 3
    assert page_params(MultiDict([("pagenumber", "2"), ("PAGESIZE", "5000")])) == (2, 1000)
    for bad in ("0", "x"):
        with pytest.raises(HTTPError):
            page_params(MultiDict([("pageNumber", bad)]))
    with pytest.raises(HTTPError, match="required"):
        page_params(MultiDict(), required=True)


def test_page_number_paging_over_http(api: httpx.Client) -> None:
    for i in range(5):
        api.post("/v1/notes", json=new_note(f"n{i}"))
    page = api.get("/v1/notes", params={"pageNumber": 2, "pageSize": 2}).json()
    assert [n["title"] for n in page] == ["n2", "n3"]
    assert api.get("/v1/notes", params={"pageNumber": 4, "pageSize": 2}).json() == []
    assert api.get("/v1/notes", params={"pageNumber": "zero"}).status_code == 400


def test_meta_data_paging_over_http(api: httpx.Client) -> None:
    for i in range(3):
        api.post("/v1/notes", json=new_note(f"n{i}"))
    body = api.get("/v2/notes", params={"$page": 2, "$pagesize": 2}).json()
    assert body["Meta"] == {
        "CurrentPage": 2,
        "PageSize": 2,
        "TotalNumberOfPages": 2,
        "TotalNumberOfResults": 3,
        "ServerTimeUtc": "2026-01-01T00:00:00Z",
    }
    assert [n["title"] for n in body["Data"]] == ["n2"]
