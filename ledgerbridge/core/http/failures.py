"""The exception raised for a failed request, built from what the client
already knows about the failure (its parsed body, the attempt count), with
every part redacted."""

from __future__ import annotations

from typing import Any

import httpx

from ledgerbridge.core.http.classify import Failure
from ledgerbridge.core.http.errors import ApiError, TransientApiError, build_api_error
from ledgerbridge.core.http.redaction import redact_url
from ledgerbridge.core.redact import Redactor


class FailureErrors:
    """Builds `ApiError`s for one client (its name and redactor)."""

    def __init__(self, api: str, redactor: Redactor) -> None:
        self._api = api
        self._redactor = redactor

    def describe_exc(self, exc: Exception) -> str:
        detail = self._redactor.redact(str(exc)) or "no detail"
        return f"{type(exc).__name__}: {detail}"

    def for_failure(
        self,
        failure: Failure,
        error_type: type[ApiError] = ApiError,
        note: str = "",
        **extra: Any,
    ) -> ApiError:
        """The error to raise for a failure; the body is not parsed again."""
        if failure.exception is not None:
            return self.for_exception(
                failure.exception,
                failure.request,
                failure.attempt,
                transient=issubclass(error_type, TransientApiError),
                error_type=error_type,
                **extra,
            )
        assert failure.response is not None, "a Failure has a response or an exception"
        found = failure.error
        return build_api_error(
            api=self._api,
            response=failure.response,
            redactor=self._redactor,
            parser=lambda _: found,
            error_type=error_type,
            note=note,
            attempts=failure.attempt,
            **extra,
        )

    def for_exception(
        self,
        exc: Exception,
        request: httpx.Request,
        attempt: int,
        *,
        transient: bool = True,
        may_have_reached_server: bool = False,
        error_type: type[ApiError] = ApiError,
        definite: bool = False,
    ) -> ApiError:
        """A network-level failure (no status)."""
        kwargs: dict[str, Any] = {
            "api": self._api,
            "method": request.method,
            "url": redact_url(request.url, self._redactor),
            "status": None,
            "message": self.describe_exc(exc),
            "attempts": attempt,
        }
        if not transient:
            return error_type(definite=definite, **kwargs)
        return TransientApiError(may_have_reached_server=may_have_reached_server, **kwargs)
