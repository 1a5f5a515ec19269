"""Requests and responses as emulator handlers see them.

Handlers get a parsed `Request` and return a `Response` value instead of
speaking WSGI, so a vendor emulator reads like the vendor's documentation.
Query parameters and headers are matched case-insensitively because the
emulated vendors run ASP.NET, which does the same (`pagenumber` works there).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, NoReturn
from urllib.parse import parse_qsl, unquote
from wsgiref.types import WSGIEnvironment

from ledgerbridge.core.sandbox.multipart import MultipartError, Part, parse_multipart

JSON_TYPE = "application/json; charset=utf-8"


class MultiDict(Mapping[str, str]):
    """Ordered (key, value) pairs with case-insensitive lookup.

    `d["k"]` and `d.get("k")` give the first value, `d.getall("k")` every one.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._pairs = list(pairs)
        self._index: dict[str, list[str]] = {}
        self._names: dict[str, str] = {}
        for key, value in self._pairs:
            folded = key.lower()
            self._index.setdefault(folded, []).append(value)
            self._names.setdefault(folded, key)

    def __getitem__(self, key: str) -> str:
        return self._index[key.lower()][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names.values())

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._index

    def getall(self, key: str) -> list[str]:
        return list(self._index.get(key.lower(), []))

    def pairs(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def to_lists(self) -> dict[str, list[str]]:
        """Every value per key (keys as first spelled), for journals and JSON."""
        return {name: list(self._index[folded]) for folded, name in self._names.items()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._pairs!r})"


class HTTPError(Exception):
    """Raised by handlers and helpers; the `App` renders it in the vendor's shape.

    `body`, when given, is sent as JSON instead of the app's `error_body`.
    """

    def __init__(
        self,
        status: int,
        message: str = "",
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: Any = None,
    ) -> None:
        super().__init__(message or reason(status))
        self.status = status
        self.message = message or reason(status)
        self.headers = list(headers)
        self.body = body


def abort(status: int, message: str = "", *, headers: Iterable[tuple[str, str]] = ()) -> NoReturn:
    """Stop handling and answer `status` in the emulator's error shape."""
    raise HTTPError(status, message, headers=headers)


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class Request:
    """A parsed WSGI request. The body is read once, on first use."""

    def __init__(self, environ: WSGIEnvironment) -> None:
        self.environ = environ
        self.method: str = str(environ.get("REQUEST_METHOD", "GET")).upper()
        self.path: str = wsgi_path(environ)
        self.raw_path: str | None = raw_path(environ)
        self.query = MultiDict(parse_qsl(str(environ.get("QUERY_STRING", "")), True))
        self.headers = MultiDict(_environ_headers(environ))
        self.path_params: dict[str, str] = {}
        self.context: dict[str, Any] = {}  # set by middleware, e.g. the verified token
        self._body: bytes | None = None
        self._parts: list[Part] | None = None

    @property
    def body(self) -> bytes:
        if self._body is None:
            self._body = read_body(self.environ)
        return self._body

    @property
    def content_type(self) -> str:
        """The media type alone, lower case: `application/json`."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The JSON body; a malformed one is the client's error (400)."""
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HTTPError(400, f"The request body is not valid JSON: {exc}") from None

    def form(self) -> MultiDict:
        """URL-encoded fields, or the non-file fields of a multipart body."""
        if self.content_type == "multipart/form-data":
            return MultiDict((p.name, p.text()) for p in self._multipart() if not p.is_file)
        return MultiDict(parse_qsl(self.text(), keep_blank_values=True))

    def files(self) -> list[Part]:
        """Uploaded files of a multipart/form-data body, in order."""
        if self.content_type != "multipart/form-data":
            return []
        return [p for p in self._multipart() if p.is_file]

    def file(self, name: str) -> Part | None:
        return next((p for p in self.files() if p.name == name), None)

    def _multipart(self) -> list[Part]:
        if self._parts is None:
            try:
                self._parts = parse_multipart(self.body, self.headers.get("content-type", ""))
            except MultipartError as exc:
                raise HTTPError(400, f"Invalid multipart body: {exc}") from None
        return self._parts

    @property
    def base_url(self) -> str:
        """Scheme, host and mount point: where this emulator is reachable."""
        env = self.environ
        host = self.headers.get("host") or f"{env.get('SERVER_NAME')}:{env.get('SERVER_PORT')}"
        return f"{env.get('wsgi.url_scheme', 'http')}://{host}{env.get('SCRIPT_NAME', '')}"

    def url_for(self, path: str) -> str:
        """An absolute URL inside this emulator, e.g. for a Location header."""
        return self.base_url + path

    @property
    def bearer_token(self) -> str | None:
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return value.strip() or None

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        """(user, password) of a Basic Authorization header, if well-formed."""
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        return (unquote(user), unquote(password)) if sep else None

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path}>"


@dataclass
class Response:
    """What a handler returns; turned into WSGI by the `App`."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        folded = name.lower()
        return next((v for k, v in self.headers if k.lower() == folded), None)

    def set_header(self, name: str, value: str) -> None:
        """Replace every header of that name with one value."""
        folded = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != folded]
        self.headers.append((name, value))

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def status_line(self) -> str:
        return f"{self.status} {reason(self.status)}"


def json_response(
    body: Any, status: int = 200, headers: Iterable[tuple[str, str]] | None = None
) -> Response:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, [("Content-Type", JSON_TYPE), *(headers or ())], data)


def empty(status: int = 204, headers: Iterable[tuple[str, str]] | None = None) -> Response:
    return Response(status, list(headers or ()))


def created(
    location: str, body: Any = None, headers: Iterable[tuple[str, str]] | None = None
) -> Response:
    """201 with a Location header, the way Visma.net acknowledges a create."""
    extra = [("Location", location), *(headers or ())]
    if body is None:
        return Response(201, extra)
    return json_response(body, 201, extra)


def text_response(
    text: str,
    status: int = 200,
    content_type: str = "text/plain; charset=utf-8",
    headers: Iterable[tuple[str, str]] | None = None,
) -> Response:
    return Response(status, [("Content-Type", content_type), *(headers or ())], text.encode())


def wsgi_path(environ: WSGIEnvironment) -> str:
    """PATH_INFO as text: WSGI hands it over as latin-1, clients send UTF-8."""
    raw = str(environ.get("PATH_INFO", "")) or "/"
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


def raw_path(environ: WSGIEnvironment) -> str | None:
    """The path as the client sent it, escapes intact (`/v1/customer/A%2FB`),
    when the front end passed it on (RAW_URI); None otherwise."""
    raw = environ.get("RAW_URI")
    if not isinstance(raw, str) or not raw.startswith("/"):
        return None
    return raw.split("?", 1)[0]


def read_body(environ: WSGIEnvironment) -> bytes:
    """Read exactly CONTENT_LENGTH bytes (a WSGI server may block past it)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if length <= 0 or stream is None:
        return b""
    data: bytes = stream.read(length)
    return data


def _environ_headers(environ: WSGIEnvironment) -> Iterator[tuple[str, str]]:
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            yield key[5:].replace("_", "-").title(), str(value)
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            yield key.replace("_", "-").title(), str(value)
