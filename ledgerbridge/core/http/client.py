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
from ledgerbridge.core.http.bodies import raw_body_headers
from ledgerbridge.core.http.classify import (
    Classifier,
    Failure,
    Outcome,
    Verdict,
    default_verdict,
)
from ledgerbridge.core.http.errors import (
    ApiAuthError,
    ApiError,
    ErrorParser,
    TransientApiError,
    VendorError,
    build_api_error,
)
from ledgerbridge.core.http.failures import FailureErrors
from ledgerbridge.core.http.log import log_failure, log_request, log_response
from ledgerbridge.core.http.parsers import parse_any_error
from ledgerbridge.core.http.ratelimit import RateBudget
from ledgerbridge.core.http.reach import UrlSetting, WrongUrl, unreachable_cause
from ledgerbridge.core.http.redaction import redact_url
from ledgerbridge.core.http.retry import (
    IDEMPOTENT_METHODS,
    RetryPolicy,
)
from ledgerbridge.core.http.waits import Waits
from ledgerbridge.core.redact import Redactor

BudgetSelector = Callable[[str], RateBudget]
"""Picks the budget for a request from its URL path (per-endpoint limits)."""

ErrorDetector = Callable[[httpx.Response], VendorError | None]
"""Finds an error in a 2xx answer (a SOAP fault sent with 200); None if none."""


class ApiClient:
    """A vendor API client built on `httpx.Client`.

    name:          how the API is named in messages and logs ("visma_net").
    auth:          an `Auth` (OAuth2 flow, HeaderAuth) or None.
    transport:     an httpx transport instead of the network (tests, sandbox).
    rate_budget:   a shared `RateBudget`, or a selector returning the budget
                   for a URL path when the vendor counts per endpoint.
    error_parser:  turns the vendor's error bodies into `ApiError` parts.
    classifier:    decides, before any retry, whether a failure is transient,
                   throttled, a refusal or an auth fault (see classify.py);
                   None for the default rules.
    url_setting:   the config key `base_url` comes from: when the first
                   request cannot reach any server, the error is `WrongUrl`
                   naming it (the run's problem), not a transient failure.
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
        classifier: Classifier | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        headers: Mapping[str, str] | None = None,
        url_setting: UrlSetting | None = None,
    ) -> None:
        self.name = name
        self.url_setting = url_setting
        self.answered = False  # any HTTP answer came back: the host is reachable
        self.succeeded = False  # a 2xx came back: the base URL is an API
        self._clock = clock
        self._redactor = redactor
        self._auth = auth
        self._retry = retry or RetryPolicy()
        self._budget = rate_budget
        self._parser = error_parser
        self._classifier = classifier
        self._errors = FailureErrors(name, redactor)
        self._waits = Waits(name, self._retry, self._clock, self._errors, redactor)
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
        content: bytes | str | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        detect_error: ErrorDetector | None = None,
    ) -> httpx.Response:
        """Send a request; return the 2xx response or raise.

        The body is `json`, a form (`data`, with `files` for multipart) or a
        raw `content` (bytes, or str sent as UTF-8) with its `content_type`
        (`text/xml`, `text/csv`...); raw bodies are retried, budgeted, logged
        and redacted like the others.

        idempotent: whether the request may be sent again after it may have
        reached the server (read timeout, dropped connection, 5xx). Defaults
        to True for GET/PUT/DELETE/HEAD and False for POST; pass True where an
        outbox or a lookup makes a resend safe. 429 and connect errors are
        retried whatever this says: the request was not processed.

        detect_error: called on a 2xx answer; an error it returns makes the
        answer a failure, classified and retried like an error status.

        Every failure goes through the classifier first. Raises ApiError
        (refusal), TransientApiError (429/5xx/network after the retries) or
        AuthError (credentials refused).
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        body_headers = raw_body_headers(content, content_type, json, data, files, headers)
        raw = content.encode("utf-8") if isinstance(content, str) else content
        given = {
            k: v
            for k, v in (headers or {}).items()
            if k.lower() not in {b.lower() for b in body_headers}
        }

        def build() -> httpx.Request:
            merged = {**(self._auth.auth_headers() if self._auth else {}), **given, **body_headers}
            return self._http.build_request(
                method,
                path,
                params=params,
                json=json,
                data=data,
                files=files,
                content=raw,
                headers=merged,
            )

        return self._send_with_retries(build, idempotent, detect_error)

    def get_json(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        return self.parse_json(self.request("GET", path, params=params, headers=headers))

    def get_json_or_none(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """`get_json`, but None when the API answers 404: looking up by id
        something that is not there (deleted, never made) is an answer."""
        try:
            return self.get_json(path, params=params, headers=headers)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

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
        self,
        build: Callable[[], httpx.Request],
        idempotent: bool,
        detect_error: ErrorDetector | None = None,
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
                failure = Failure(request, attempt, exception=exc)
            else:
                if response.is_success:
                    found = detect_error(response) if detect_error is not None else None
                    if found is None:
                        return response
                else:
                    found = self._parser(response)
                failure = Failure(request, attempt, response=response, error=found)
            verdict = self.classify(failure)
            if verdict.outcome is Outcome.AUTH:
                if self._may_renew(failure, reauthorized):
                    reauthorized = True
                    attempt -= 1  # a renewed token is not a retry of a failure
                    continue
                cause = self._errors.for_failure(failure, ApiAuthError)
                if self._auth is None:
                    raise cause  # an ApiAuthError: both ApiError and AuthError
                raise self._auth.rejected() from cause
            if verdict.outcome is Outcome.THROTTLED and budget is not None:
                self._waits.throttled(failure, verdict, budget)
                continue
            self._clock.sleep(self._delay_or_raise(failure, verdict, idempotent))

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

    def _delay_or_raise(self, failure: Failure, verdict: Verdict, idempotent: bool) -> float:
        """`Waits.retry_delay`, except that a request that never reached a server,
        before this API ever answered, is its URL setting being wrong (or its
        host down): WrongUrl naming the setting, not a transient failure."""
        try:
            return self._waits.retry_delay(failure, verdict, idempotent)
        except TransientApiError as exc:
            cause = unreachable_cause(failure.exception)
            if cause is None or self.answered or self.url_setting is None:
                raise
            url = redact_url(failure.request.url.copy_with(query=None), self._redactor)
            raise WrongUrl(self.url_setting, url, cause=self._redactor.redact(cause)) from exc

    def classify(self, failure: Failure) -> Verdict:
        """The verdict on one failure: the plugin's classifier, then the default."""
        chosen = self._classifier(failure) if self._classifier is not None else None
        return chosen or default_verdict(failure, self._retry.retry_statuses)

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
                self._errors.describe_exc(exc),
                self._clock.monotonic() - started,
            )
            raise
        except httpx.HTTPError as exc:  # decoding and other non-network errors
            raise self._errors.for_exception(exc, request, 1, transient=False) from None
        log_response(self.name, response, self._clock.monotonic() - started, self._redactor)
        self.answered = True
        if response.is_success:
            self.succeeded = True
        return response

    def _may_renew(self, failure: Failure, reauthorized: bool) -> bool:
        """Whether the auth renews its credentials for one more try (OAuth)."""
        if self._auth is None or reauthorized:
            return False
        return self._auth.on_unauthorized(failure.request.headers)
