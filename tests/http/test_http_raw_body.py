"""Raw request bodies (XML, CSV, PDF) get what JSON gets: retries, the rate
budget, redacted logging and errors."""

from __future__ import annotations

import logging

import httpx
import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.http import ApiError, TransientApiError
from ledgerbridge.core.redact import MASK, Redactor

XML = b'<?xml version="1.0"?><order><password>hunter2-long</password><n>1</n></order>'


def test_bytes_are_sent_as_given_with_their_content_type(make_client) -> None:
    client, script = make_client(httpx.Response(201))
    client.request("POST", "orders", content=XML, content_type="application/xml")
    sent = script.requests[0]
    assert sent.content == XML
    assert sent.headers["Content-Type"] == "application/xml"
    assert sent.headers["Content-Length"] == str(len(XML))


def test_text_is_sent_as_utf8_and_says_so(make_client) -> None:
    client, script = make_client(httpx.Response(200))
    client.request("PUT", "notes/1", content="Smörgås;1\n", content_type="text/csv")
    sent = script.requests[0]
    assert sent.content == "Smörgås;1\n".encode()
    assert sent.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_a_content_type_in_headers_is_used(make_client) -> None:
    client, script = make_client(httpx.Response(200))
    client.request("PUT", "x", content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"})
    assert script.requests[0].headers["Content-Type"] == "application/pdf"


class CountingBudget:
    """A rate budget that only counts the slots taken and handed back."""

    def __init__(self) -> None:
        self.taken = 0
        self.released = 0

    def acquire(self) -> int:
        self.taken += 1
        return self.taken

    def release(self, ticket: object, headers: object = None) -> None:
        self.released += 1

    def pause(self, seconds: float) -> None:
        pass


def test_a_raw_body_is_resent_whole_on_retry(make_client, clock: FakeClock) -> None:
    budget = CountingBudget()
    client, script = make_client(
        httpx.Response(503), httpx.ConnectError, httpx.Response(200), rate_budget=budget
    )
    client.request("PUT", "orders/1", content=XML, content_type="text/xml")
    assert [r.content for r in script.requests] == [XML, XML, XML]
    assert clock.sleeps == [0.5, 1.0]
    assert (budget.taken, budget.released) == (3, 3)  # every attempt counted


def test_a_raw_post_is_not_resent_after_a_5xx(make_client) -> None:
    client, script = make_client(httpx.Response(502))
    with pytest.raises(TransientApiError) as info:
        client.request("POST", "orders", content=XML, content_type="text/xml")
    assert info.value.may_have_reached_server and len(script.requests) == 1


def test_ambiguous_bodies_are_refused() -> None:
    from ledgerbridge.core.clock import FakeClock as Clock
    from ledgerbridge.core.http import ApiClient

    client = ApiClient(
        "https://x.test/",
        name="x",
        clock=Clock(),
        redactor=Redactor(),
        transport=httpx.MockTransport(lambda r: httpx.Response(200)),
    )
    with pytest.raises(ValueError, match="either content= or json="):
        client.request("POST", "x", content=b"a", content_type="text/plain", json={"a": 1})
    with pytest.raises(ValueError, match="needs its content_type"):
        client.request("POST", "x", content=b"a")
    with pytest.raises(ValueError, match="pass content= as well"):
        client.request("POST", "x", json={}, content_type="text/plain")
    client.close()


def test_raw_bodies_are_logged_redacted(make_client, redactor: Redactor, caplog) -> None:
    redactor.add("order-secret-99")
    client, _ = make_client(httpx.Response(400, text="bad order order-secret-99"))
    caplog.set_level(logging.DEBUG, logger="ledgerbridge.http")
    body = XML.replace(b"<n>1</n>", b"<n>order-secret-99</n>")
    with pytest.raises(ApiError) as info:
        client.request("POST", "orders", content=body, content_type="text/xml")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    everything = logged + str(info.value) + (info.value.body or "")
    assert "order-secret-99" not in everything and "hunter2-long" not in everything
    assert f"<password>{MASK}</password>" in logged
    assert f"<n>{MASK}</n>" in logged


def test_binary_bodies_are_summarised_in_logs(make_client, caplog) -> None:
    client, _ = make_client(httpx.Response(200))
    caplog.set_level(logging.DEBUG, logger="ledgerbridge.http")
    client.request("PUT", "file", content=b"%PDF\x00\x01" * 100, content_type="application/pdf")
    assert "<600 bytes application/pdf>" in caplog.text
    assert "%PDF" not in caplog.text


def test_the_content_type_argument_wins_over_a_header(make_client) -> None:
    client, script = make_client(httpx.Response(200))
    client.request(
        "PUT",
        "x",
        content=b"<a/>",
        content_type="application/xml",
        headers={"content-type": "text/plain", "X-Trace": "1"},
    )
    sent = script.requests[0]
    assert sent.headers.get_list("Content-Type") == ["application/xml"]
    assert sent.headers["X-Trace"] == "1"
