"""Routing, request parsing and response helpers, through the in-process transport."""

from __future__ import annotations

import httpx
import pytest

from ledgerbridge.core.sandbox import App, Request, Response, json_response
from ledgerbridge.core.sandbox.messages import MultiDict
from ledgerbridge.core.sandbox.multipart import MultipartError, parse_multipart
from ledgerbridge.core.sandbox.routing import compile_pattern

from .conftest import new_note


def test_create_answers_201_with_location_and_get_uses_path_param(api: httpx.Client) -> None:
    response = api.post("/v1/notes", json=new_note())
    assert response.status_code == 201
    assert response.headers["Location"] == "http://sandbox.ledgerbridge/notes/v1/notes/1001"
    assert response.content == b""
    assert api.get("/v1/notes/1001").json()["title"] == "Call Anna"


def test_literal_segments_match_case_insensitively(api: httpx.Client) -> None:
    api.post("/v1/notes", json=new_note())
    assert api.get("/V1/Notes/1001").status_code == 200
    assert api.get("/v1/notes/1001/").status_code == 200


def test_unknown_path_is_404_in_vendor_shape(api: httpx.Client) -> None:
    response = api.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {
        "ErrorCode": 3000,
        "DeveloperErrorMessage": (
            "No HTTP resource was found that matches the request URI '/v1/nothing-here'."
        ),
    }


def test_missing_record_is_404_with_handler_message(api: httpx.Client) -> None:
    response = api.get("/v1/notes/42")
    assert response.status_code == 404
    assert response.json()["DeveloperErrorMessage"] == "Note 42 was not found"


def test_wrong_method_is_405_with_allow_header(api: httpx.Client) -> None:
    response = api.patch("/v1/notes/1", json={})
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, GET, PUT"
    assert "does not support http method 'PATCH'" in response.json()["DeveloperErrorMessage"]


def test_unmounted_prefix_lists_emulators(client: httpx.Client) -> None:
    response = client.get("http://sandbox.ledgerbridge/other/v1")
    assert response.status_code == 404
    assert response.json()["emulators"] == {"notes": "/notes"}


def test_invalid_json_is_400(api: httpx.Client) -> None:
    response = api.post(
        "/v1/notes", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["DeveloperErrorMessage"]


def test_query_is_multi_valued_and_case_insensitive(api: httpx.Client) -> None:
    response = api.get("/v1/echo/query", params=[("pageNumber", "3"), ("tag", "a"), ("tag", "b")])
    assert response.json() == {"page": "3", "tags": ["a", "b"]}


def test_form_body_is_parsed(api: httpx.Client) -> None:
    response = api.post("/v1/echo/form", data={"name": "Åsa", "tags": ["x", "y"]})
    assert response.json() == {"name": ["Åsa"], "tags": ["x", "y"]}


def test_multipart_upload_keeps_bytes_and_fields(api: httpx.Client) -> None:
    api.post("/v1/notes", json=new_note())
    pdf = b"%PDF-1.4\r\n\x00\xff--not-a-boundary\r\n" * 100
    response = api.post(
        "/v1/notes/1001/attachment",
        files={"file": ("faktura 1.pdf", pdf, "application/pdf")},
        data={"description": "Invoice copy"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["fields"] == {"description": ["Invoice copy"]}
    assert body["files"] == [
        {
            "name": "file",
            "filename": "faktura 1.pdf",
            "type": "application/pdf",
            "size": len(pdf),
            "head": pdf[:4].hex(),
        }
    ]


def test_multipart_parser_exact_bytes_and_errors() -> None:
    ctype = 'multipart/form-data; boundary="XyZ"'
    body = (
        b"preamble\r\n--XyZ\r\n"
        b'Content-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\n'
        b"\x00\r\n x--XyZ\r\n\r\n"
        b'--XyZ\r\nContent-Disposition: form-data; name="t"\r\n\r\nhello\r\n--XyZ--\r\n'
    )
    parts = parse_multipart(body, ctype)
    assert [(p.name, p.filename, p.data) for p in parts] == [
        ("f", "a.bin", b"\x00\r\n x--XyZ\r\n"),
        ("t", None, b"hello"),
    ]
    assert parts[0].content_type == "application/octet-stream"
    with pytest.raises(MultipartError, match="boundary"):
        parse_multipart(body, "multipart/form-data")
    with pytest.raises(MultipartError, match="close delimiter"):
        parse_multipart(body.replace(b"\r\n--XyZ--\r\n", b""), ctype)


def test_head_uses_get_route_without_body(api: httpx.Client) -> None:
    api.post("/v1/notes", json=new_note())
    response = api.head("/v1/notes/1001")
    assert response.status_code == 200
    assert response.content == b""


def test_handler_must_return_a_response() -> None:
    app = App()

    @app.get("/bad")
    def bad(request: Request) -> Response:
        return {"oops": 1}  # type: ignore[return-value]

    with pytest.raises(TypeError, match="not a Response"):
        app.handle(Request({"REQUEST_METHOD": "GET", "PATH_INFO": "/bad"}))


def test_middleware_wraps_in_order_and_sees_errors() -> None:
    app = App()
    seen: list[str] = []

    @app.use
    def outer(request: Request, call_next: object) -> Response:
        seen.append("outer")
        response = call_next(request)  # type: ignore[operator]
        response.set_header("X-Outer", "1")
        return response  # type: ignore[no-any-return]

    @app.get("/x/{rest:path}")
    def rest(request: Request, rest: str) -> Response:
        return json_response({"rest": rest})

    ok = app.handle(Request({"REQUEST_METHOD": "GET", "PATH_INFO": "/x/a/b"}))
    missing = app.handle(Request({"REQUEST_METHOD": "GET", "PATH_INFO": "/y"}))
    assert ok.json() == {"rest": "a/b"}
    assert ok.header("x-outer") == "1"
    assert missing.status == 404 and missing.header("X-Outer") == "1"
    assert seen == ["outer", "outer"]


def test_route_patterns() -> None:
    regex = compile_pattern("/v1/customer/{customerCd}")
    match = regex.fullmatch("/v1/customer/10001")
    assert match is not None and match.group("customerCd") == "10001"
    assert regex.fullmatch("/v1/customer/1/x") is None
    with pytest.raises(ValueError, match="start with"):
        compile_pattern("v1/x")


def test_multidict_and_headers() -> None:
    d = MultiDict([("A", "1"), ("a", "2"), ("b", "3")])
    assert d["a"] == "1" and d.getall("A") == ["1", "2"] and len(d) == 2
    assert list(d) == ["A", "b"] and "B" in d and d.get("c") is None
    request = Request({"REQUEST_METHOD": "GET", "HTTP_X_API_KEY": "k", "CONTENT_TYPE": "text/xml"})
    assert request.headers["x-api-key"] == "k"
    assert request.content_type == "text/xml"
