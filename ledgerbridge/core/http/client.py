"""ApiClient: one place for auth, retries, rate budgets, errors and logging.

Plugins describe their endpoints and call `request`/`get_json`/`post_json`;
everything that makes talking to a vendor reliable and safe lives here, so
every connector behaves the same when the vendor throttles, fails or refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import Any, cast

import httpx

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.http.auth import Auth
from ledgerbridge.core.http.budget import SharedBudget
from ledgerbridge.core.http.errors import (
    ApiError,
    ErrorParser,
    TransientApiError,
    build_api_error,
    parse_any_error,
)
from ledgerbridge.core.http.log import log_failure, log_request, log_response, log_retry
from ledgerbridge.core.http.ratelimit import RateBudget
from ledgerbridge.core.http.redaction import redact_url
from ledgerbridge.core.http.retry import (
    IDEMPOTENT_METHODS,
    RetryPolicy,
    classify_transport_error,
    parse_retry_after,
)
from ledgerbridge.core.redact import Redactor

BudgetSelector = Callable[[str], RateBudget]
"""Picks the budget for a request from its URL path (per-endpoint limits)."""


class ApiClient:
    """A vendor API client built on `httpx.Client`.

    name:          how the API is named in messages and logs ("visma_net").
    auth:          an `Auth` (OAuth2 flow, HeaderAuth) or None.
    transport:     an httpx transport instead of the network (tests, sandbox).
    rate_budget:   a shared `RateBudget`, or a selector returning the budget
                   for a URL path when the vendor counts per endpoint.
    error_parser:  turns the vendor's error bodies into `ApiError` parts.
    """

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        clock: Clock,
        redactor: Redactor,
        auth: Auth | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        rate_budget: RateBudget | BudgetSelector | None = None,
        error_parser: ErrorParser = parse_any_error,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self._clock = clock
        self._redactor = redactor
        self._auth = auth
        self._retry = retry or RetryPolicy()
        self._budget = rate_budget
        self._parser = error_parser
        self._http = httpx.Client(
            base_url=base_url,
            transport=transport,
            headers=dict(headers or {}),
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout, pool=connect_timeout),
            follow_redirects=False,
        )
        if auth is not None:
            auth.bind(transport=transport, clock=clock, redactor=redactor, retry=self._retry)

    # ------------------------------------------------------------ public API

    @property
    def base_url(self) -> httpx.URL:
        return self._http.base_url

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send a request; return the 2xx response or raise.

        idempotent: whether the request may be sent again after it may have
        reached the server (read timeout, dropped connection, 5xx). Defaults
        to True for GET/PUT/DELETE/HEAD and False for POST; pass True where an
        outbox or a lookup makes a resend safe. 429 and connect errors are
        retried whatever this says: the request was not processed.

        Raises ApiError (4xx), TransientApiError (429/5xx/network after the
        retries) or AuthError (credentials refused).
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS

        def build() -> httpx.Request:
            merged = {**(self._auth.auth_headers() if self._auth else {}), **(headers or {})}
            return self._http.build_request(
                method, path, params=params, json=json, data=data, files=files, headers=merged
            )

        return self._send_with_retries(build, idempotent)

    def get_json(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        return self.parse_json(self.request("GET", path, params=params, headers=headers))

    def post_json(
        self,
        path: str,
        json: Any,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        response = self.request(
            "POST", path, json=json, params=params, headers=headers, idempotent=idempotent
        )
        return self.parse_json(response)

    def put_json(
        self,
        path: str,
        json: Any,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        return self.parse_json(self.request("PUT", path, json=json, params=params, headers=headers))

    def parse_json(self, response: httpx.Response) -> Any:
        """The body as JSON; None for an empty body (201/204 without content)."""
        if not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            raise build_api_error(
                api=self.name,
                response=response,
                redactor=self._redactor,
                parser=lambda r: None,
                note=" (expected a JSON body)",
            ) from None

    def reserve(self, calls: int, path: str = "") -> AbstractContextManager[None]:
        """Reserve the rate budget for the `calls` requests of one document
        (an invoice and its attachment) before the first is sent:

            with client.reserve(2, "v2/customerinvoice"):
                number = create(...)
                attach(number, ...)

        Inside, those requests never wait for a new window nor stop the run,
        so a document is sent whole; a spent budget makes the reservation
        itself wait, or stop the run before anything of it was sent. `path`
        picks the budget when the vendor counts per endpoint.
        """
        full = httpx.URL(str(self._http.base_url).rstrip("/") + "/" + path.lstrip("/"))
        budget = self._budget_for_path(full.path)
        reserve = getattr(budget, "reserve", None)
        return (
            nullcontext() if reserve is None else cast(AbstractContextManager[None], reserve(calls))
        )

    def same_origin(self, url: str | httpx.URL) -> bool:
        """Whether `url` points at this API (a relative URL always does).

        Pagination refuses to follow links elsewhere: the request would carry
        our credentials to another host.
        """
        target = httpx.URL(str(url))
        if not target.is_absolute_url:
            return True
        base = self._http.base_url
        return (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ApiClient(name={self.name!r}, base_url={str(self._http.base_url)!r})"

    # ------------------------------------------------------------ the loop

    def _send_with_retries(
        self, build: Callable[[], httpx.Request], idempotent: bool
    ) -> httpx.Response:
        attempt = 0
        reauthorized = False
        while True:
            attempt += 1
            request = build()
            budget = self._budget_for(request)
            try:
                response = self._send_counted(request, budget)
            except httpx.TransportError as exc:
                self._clock.sleep(self._transport_delay(exc, request, attempt, idempotent))
                continue
            if response.is_success:
                return response
            if response.status_code == 401 and self._auth is not None:
                if not reauthorized and self._auth.on_unauthorized(request.headers):
                    reauthorized = True
                    attempt -= 1  # a renewed token is not a retry of a failure
                    continue
                raise self._auth.rejected() from self._error(response)
            if response.status_code == 429 and budget is not None:
                self._throttled(response, attempt, budget)
                continue
            self._clock.sleep(self._status_delay(response, attempt, idempotent))

    def _send_counted(self, request: httpx.Request, budget: RateBudget | None) -> httpx.Response:
        """Send under the budget: the request holds its slot until its answer
        (or its failure) is handed back, so requests in flight are counted."""
        if budget is None:
            return self._send(request)
        ticket = budget.acquire()
        response: httpx.Response | None = None
        try:
            response = self._send(request)
            return response
        finally:
            budget.release(ticket, None if response is None else response.headers)

    def _throttled(self, response: httpx.Response, attempt: int, budget: RateBudget) -> None:
        """A 429: every user of the budget holds back as long as the vendor asks.
        A shared budget does the waiting itself on the next acquire, whatever
        the retry cap: it waits for the window or stops the run between
        documents (its setting), so a document is never left half sent for
        want of a retry. Another budget only records the pause; the client
        waits up to the cap."""
        if attempt >= self._retry.max_attempts:
            raise self._error(response, TransientApiError, attempts=attempt)
        asked = self._retry.delay(attempt, response.headers, self._clock)
        if asked is None:
            asked = parse_retry_after(response.headers.get("Retry-After"), self._clock.now()) or 0.0
        budget.pause(asked)
        log_retry(self.name, "answered 429", attempt, self._retry.max_attempts, asked)
        if not isinstance(budget, SharedBudget) and asked <= self._retry.max_retry_after:
            self._clock.sleep(asked)

    def _budget_for(self, request: httpx.Request) -> RateBudget | None:
        return self._budget_for_path(request.url.path)

    def _budget_for_path(self, path: str) -> RateBudget | None:
        if self._budget is None or isinstance(self._budget, RateBudget):
            return self._budget
        return self._budget(path)

    def _send(self, request: httpx.Request) -> httpx.Response:
        log_request(self.name, request, self._redactor)
        started = self._clock.monotonic()
        try:
            response = self._http.send(request)
        except httpx.TransportError as exc:
            log_failure(
                self.name,
                request.method,
                redact_url(request.url, self._redactor),
                self._describe_exc(exc),
                self._clock.monotonic() - started,
            )
            raise
        except httpx.HTTPError as exc:  # decoding and other non-network errors
            raise self._exc_error(exc, request, attempt=1, transient=False) from None
        log_response(self.name, response, self._clock.monotonic() - started, self._redactor)
        return response

    def _status_delay(self, response: httpx.Response, attempt: int, idempotent: bool) -> float:
        """Seconds to wait before retrying this response, or raise."""
        status = response.status_code
        policy = self._retry
        if not policy.should_retry_status(status):
            raise self._error(response)
        if status != 429 and not idempotent:
            raise self._error(
                response, TransientApiError, attempts=attempt, may_have_reached_server=True
            )
        if attempt >= policy.max_attempts:
            raise self._error(response, TransientApiError, attempts=attempt)
        delay = policy.delay(attempt, response.headers, self._clock)
        if delay is None:
            note = f" (asked to wait longer than {policy.max_retry_after:.0f} s)"
            raise self._error(response, TransientApiError, attempts=attempt, note=note)
        log_retry(self.name, f"answered {status}", attempt, policy.max_attempts, delay)
        return delay

    def _transport_delay(
        self, exc: httpx.TransportError, request: httpx.Request, attempt: int, idempotent: bool
    ) -> float:
        """Seconds to wait before retrying after a network failure, or raise."""
        failure = classify_transport_error(exc)
        if not failure.retryable:
            raise self._exc_error(exc, request, attempt, transient=False) from None
        if failure.may_have_reached_server and not idempotent:
            raise self._exc_error(exc, request, attempt, may_have_reached_server=True) from None
        if attempt >= self._retry.max_attempts:
            raise self._exc_error(exc, request, attempt) from None
        delay = self._retry.backoff(attempt)
        log_retry(self.name, self._describe_exc(exc), attempt, self._retry.max_attempts, delay)
        return delay

    # ------------------------------------------------------------ errors

    def _describe_exc(self, exc: Exception) -> str:
        detail = self._redactor.redact(str(exc)) or "no detail"
        return f"{type(exc).__name__}: {detail}"

    def _error(
        self,
        response: httpx.Response,
        error_type: type[ApiError] = ApiError,
        note: str = "",
        **extra: Any,
    ) -> ApiError:
        return build_api_error(
            api=self.name,
            response=response,
            redactor=self._redactor,
            parser=self._parser,
            error_type=error_type,
            note=note,
            **extra,
        )

    def _exc_error(
        self,
        exc: Exception,
        request: httpx.Request,
        attempt: int,
        *,
        transient: bool = True,
        may_have_reached_server: bool = False,
    ) -> ApiError:
        kwargs: dict[str, Any] = {
            "api": self.name,
            "method": request.method,
            "url": redact_url(request.url, self._redactor),
            "status": None,
            "message": self._describe_exc(exc),
            "attempts": attempt,
        }
        if not transient:
            return ApiError(**kwargs)
        return TransientApiError(may_have_reached_server=may_have_reached_server, **kwargs)
