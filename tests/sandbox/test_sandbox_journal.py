"""The journal records what each emulator got, and never a secret."""

from __future__ import annotations

import json

import httpx

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.redact import MASK
from ledgerbridge.core.sandbox import Journal, Sandbox
from ledgerbridge.core.sandbox.messages import Request

from .conftest import CLIENT_SECRET, get_token, new_note
from .test_sandbox_soap import envelope, post_soap


def test_entries_describe_requests(api: httpx.Client, sandbox: Sandbox, clock: FakeClock) -> None:
    clock.advance(5)
    api.post("/v1/notes", json=new_note(), params={"lang": "sv"})
    entry = sandbox.journal.last(method="POST", path_startswith="/v1/notes")
    assert entry is not None
    assert entry.emulator == "notes"
    assert entry.path == "/v1/notes" and entry.full_path == "/notes/v1/notes"
    assert entry.query == {"lang": ["sv"]}
    assert entry.body == new_note()
    assert entry.status == 201 and entry.response_body is None
    assert entry.timestamp == clock.now()
    assert entry.fault is None
    assert sandbox.journal.bodies(method="POST", path="/v1/notes") == [new_note()]


def test_secrets_are_masked_everywhere(client: httpx.Client, sandbox: Sandbox) -> None:
    token = get_token(client)
    client.get(
        "/v1/notes",
        params={"access_token": "leaky-query-token"},
        headers={"Authorization": f"Bearer {token}", "Cookie": "sid=abcdef"},
    )
    post_soap(client, envelope())
    dump = json.dumps([e.to_dict() for e in sandbox.journal])
    for secret in (token, CLIENT_SECRET, "leaky-query-token", "abcdef", "soap-token-1234"):
        assert secret not in dump
    token_entry = sandbox.journal.find(path="/connect/token")[0]
    assert token_entry.body["client_secret"] == MASK
    assert token_entry.response_body["access_token"] == MASK
    api_entry = sandbox.journal.find(path="/v1/notes")[0]
    assert api_entry.headers["Authorization"] == MASK
    assert api_entry.query == {"access_token": [MASK]}
    soap_entry = sandbox.journal.find(path_glob="/soap/*")[0]
    assert f"Token>{MASK}</" in soap_entry.body


def test_multipart_recorded_as_metadata(api: httpx.Client, sandbox: Sandbox) -> None:
    api.post("/v1/notes", json=new_note())
    api.post(
        "/v1/notes/1001/attachment",
        files={"file": ("a.pdf", b"%PDF" * 50, "application/pdf")},
        data={"password": "hunter22"},
    )
    entry = sandbox.journal.last(path_startswith="/v1/notes/1001/attachment")
    assert entry is not None
    assert entry.body == {
        "fields": {"password": MASK},
        "files": [
            {"name": "file", "filename": "a.pdf", "content_type": "application/pdf", "size": 200}
        ],
    }


def test_find_filters_and_clear(api: httpx.Client, sandbox: Sandbox) -> None:
    api.get("/v1/notes/1")
    api.post("/v1/notes", json={"title": ""})
    journal = sandbox.journal
    assert journal.count(status=404) == 1
    assert journal.count(method="post", path="/v1/notes") == 1
    first = journal.entries()[0]
    assert journal.count(since=first.seq) == len(journal) - 1
    journal.clear()
    assert len(journal) == 0 and journal.last() is None


def test_journal_is_bounded_and_truncates_responses() -> None:
    journal = Journal(max_entries=3, max_response=10)
    request = Request({"REQUEST_METHOD": "GET", "PATH_INFO": "/x"})
    for i in range(5):
        journal.record(
            timestamp=i,
            emulator="e",
            request=request,
            full_path="/e/x",
            status=200,
            response_headers=[("Content-Type", "text/plain")],
            response_body=b"0123456789abcdef",
        )
    entries = journal.entries()
    assert [e.seq for e in entries] == [3, 4, 5]
    assert entries[0].response_body.startswith("0123456789… [6 more")


def test_large_json_response_is_truncated_and_masked() -> None:
    journal = Journal(max_response=40)
    request = Request({"REQUEST_METHOD": "GET", "PATH_INFO": "/x"})
    body = json.dumps({"refresh_token": "r-123456789", "pad": "x" * 100}).encode()
    entry = journal.record(
        timestamp=0,
        emulator="e",
        request=request,
        full_path="/x",
        status=200,
        response_headers=[("Content-Type", "application/json")],
        response_body=body,
    )
    assert "r-123456789" not in entry.response_body
    assert entry.response_body.startswith('{"refresh_token": "' + MASK)
