"""A small router so a vendor emulator is a list of decorated handlers.

    app = App("notes", error_body=lambda status, message: {"Message": message})

    @app.route("GET", "/v1/notes/{noteId}")
    def get_note(request: Request, noteId: str) -> Response: ...

Path parameters are `{name}` (one segment) or `{name:path}` (the rest of the
path); they arrive as keyword arguments and in `request.path_params`. Literal
segments match case-insensitively, like the ASP.NET routing of the emulated
vendors. Routes match the path as the client sent it, escapes intact, and
each parameter is unescaped after: `/v1/customer/A%2FB` is customer `A/B`,
as at the vendors (a decoded path would make it two segments). Unknown
paths answer 404 and known paths with another method 405, in the shape the
emulator's `error_body(status, message)` gives, so a client's error
handling is exercised against what the vendor really sends.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote
from wsgiref.types import StartResponse, WSGIEnvironment

from ledgerbridge.core.sandbox.messages import (
    HTTPError,
    MultiDict,
    Request,
    Response,
    abort,
    created,
    empty,
    json_response,
    text_response,
)

__all__ = [
    "App",
    "ErrorBody",
    "HTTPError",
    "Handler",
    "Middleware",
    "MultiDict",
    "Request",
    "Response",
    "abort",
    "created",
    "default_error_body",
    "empty",
    "json_response",
    "text_response",
]

Handler = Callable[..., Response]
ErrorBody = Callable[[int, str], Any]
Middleware = Callable[[Request, Callable[[Request], Response]], Response]
H = TypeVar("H", bound=Handler)
M = TypeVar("M", bound=Middleware)

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::(path))?\}")


def default_error_body(status: int, message: str) -> Any:
    """The shape used when an emulator does not give its vendor's."""
    return {"message": message}


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    regex: re.Pattern[str]
    handler: Handler


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """`/v1/customer/{customerCd}` -> a regex with named groups."""
    if not pattern.startswith("/"):
        raise ValueError(f"route pattern must start with '/': {pattern!r}")
    out, pos = [], 0
    for match in _PARAM.finditer(pattern):
        out.append(re.escape(pattern[pos : match.start()]))
        body = ".+" if match.group(2) else "[^/]+"
        out.append(f"(?P<{match.group(1)}>{body})")
        pos = match.end()
    out.append(re.escape(pattern[pos:]))
    return re.compile("".join(out) + "/?", re.IGNORECASE)


class App:
    """A WSGI application made of routes and middleware."""

    def __init__(self, name: str = "emulator", *, error_body: ErrorBody | None = None) -> None:
        self.name = name
        self.error_body: ErrorBody = error_body or default_error_body
        self.routes: list[Route] = []
        self._middleware: list[Middleware] = []

    # -- declaring ---------------------------------------------------------

    def route(self, method: str | Iterable[str], pattern: str) -> Callable[[H], H]:
        """Decorator: handle `method` (or several) on a path pattern."""
        methods = [method] if isinstance(method, str) else list(method)
        regex = compile_pattern(pattern)

        def decorate(handler: H) -> H:
            for m in methods:
                self.routes.append(Route(m.upper(), pattern, regex, handler))
            return handler

        return decorate

    def get(self, pattern: str) -> Callable[[H], H]:
        return self.route("GET", pattern)

    def post(self, pattern: str) -> Callable[[H], H]:
        return self.route("POST", pattern)

    def put(self, pattern: str) -> Callable[[H], H]:
        return self.route("PUT", pattern)

    def patch(self, pattern: str) -> Callable[[H], H]:
        return self.route("PATCH", pattern)

    def delete(self, pattern: str) -> Callable[[H], H]:
        return self.route("DELETE", pattern)

    def use(self, middleware: M) -> M:
        """Wrap every request: `middleware(request, call_next) -> Response`.

        The first one added is the outermost. Use it for what the vendor does
        on every call: authentication, rate limits, common headers.
        """
        self._middleware.append(middleware)
        return middleware

    # -- answering ---------------------------------------------------------

    def error_response(
        self, status: int, message: str, headers: Iterable[tuple[str, str]] = ()
    ) -> Response:
        """An error in this vendor's shape (also used by sandbox faults)."""
        return json_response(self.error_body(status, message), status, list(headers))

    def handle(self, request: Request) -> Response:
        """Run middleware and the matching handler; never raises HTTPError."""
        call: Callable[[Request], Response] = self._guarded(self._dispatch)
        for middleware in reversed(self._middleware):
            call = self._guarded(_bind(middleware, call))
        return call(request)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        body = b"" if request.method == "HEAD" else response.body
        headers = list(response.headers)
        if not any(k.lower() == "content-length" for k, _ in headers):
            headers.append(("Content-Length", str(len(response.body))))
        start_response(response.status_line, headers)
        return [body]

    def _guarded(self, call: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def guarded(request: Request) -> Response:
            try:
                return call(request)
            except HTTPError as exc:
                if exc.body is not None:
                    return json_response(exc.body, exc.status, exc.headers)
                return self.error_response(exc.status, exc.message, exc.headers)

        return guarded

    def _dispatch(self, request: Request) -> Response:
        allowed: list[str] = []
        escaped = request.raw_path is not None
        path = request.raw_path if request.raw_path is not None else request.path
        for method in _candidates(request.method):
            for route in self.routes:
                match = route.regex.fullmatch(path)
                if match is None:
                    continue
                if route.method != method:
                    allowed.append(route.method)
                    continue
                params = match.groupdict()
                request.path_params = (
                    {k: unquote(v) for k, v in params.items()} if escaped else params
                )
                return _call_handler(route, request)
        if allowed:
            methods = ", ".join(sorted(set(allowed)))
            abort(
                405,
                f"The requested resource does not support http method '{request.method}'.",
                headers=[("Allow", methods)],
            )
        abort(404, f"No HTTP resource was found that matches the request URI '{request.path}'.")


def _candidates(method: str) -> list[str]:
    return [method, "GET"] if method == "HEAD" else [method]


def _bind(
    middleware: Middleware, call_next: Callable[[Request], Response]
) -> Callable[[Request], Response]:
    return lambda request: middleware(request, call_next)


def _call_handler(route: Route, request: Request) -> Response:
    response = route.handler(request, **request.path_params)
    if not isinstance(response, Response):
        raise TypeError(
            f"handler for {route.method} {route.pattern} returned "
            f"{type(response).__name__}, not a Response (use json_response())"
        )
    return response
