"""How long the client waits before trying a failed request again, or that
it must not: the retry policy applied to a classified failure."""

from __future__ import annotations

import httpx

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.http.budget import SharedBudget
from ledgerbridge.core.http.classify import Failure, Outcome, Verdict
from ledgerbridge.core.http.errors import TransientApiError
from ledgerbridge.core.http.failures import FailureErrors
from ledgerbridge.core.http.log import log_retry
from ledgerbridge.core.http.ratelimit import RateBudget
from ledgerbridge.core.http.retry import RetryPolicy, parse_retry_after
from ledgerbridge.core.redact import Redactor


class Waits:
    def __init__(
        self,
        name: str,
        retry: RetryPolicy,
        clock: Clock,
        errors: FailureErrors,
        redactor: Redactor,
    ) -> None:
        self.name = name
        self._retry = retry
        self._clock = clock
        self._errors = errors
        self._redactor = redactor

    def throttled(self, failure: Failure, verdict: Verdict, budget: RateBudget) -> None:
        """Throttled (a 429, or the classifier says so): every user of the
        budget holds back as long as the vendor asks. A shared budget does the
        waiting itself on the next acquire, whatever the retry cap: it waits
        for the window or stops the run between documents (its setting), so a
        document is never left half sent for want of a retry. Another budget
        records the pause, and the client waits up to the cap."""
        if failure.attempt >= self._retry.max_attempts:
            raise self._errors.for_failure(failure, TransientApiError)
        headers = failure.response.headers if failure.response is not None else httpx.Headers()
        asked = verdict.retry_after
        if asked is None:
            asked = self._retry.delay(failure.attempt, headers, self._clock)
        if asked is None:
            asked = parse_retry_after(headers.get("Retry-After"), self._clock.now()) or 0.0
        asked = max(0.0, asked)
        budget.pause(asked)
        if isinstance(budget, SharedBudget):
            log_retry(
                self.name,
                self.describe(failure),
                failure.attempt,
                self._retry.max_attempts,
                asked,
            )
            return
        if asked > self._retry.max_retry_after:
            note = f" (asked to wait longer than {self._retry.max_retry_after:.0f} s)"
            raise self._errors.for_failure(failure, TransientApiError, note=note)
        log_retry(
            self.name,
            self.describe(failure),
            failure.attempt,
            self._retry.max_attempts,
            asked,
        )
        self._clock.sleep(asked)

    def retry_delay(self, failure: Failure, verdict: Verdict, idempotent: bool) -> float:
        """Seconds to wait before retrying this failure, or raise."""
        policy = self._retry
        attempt = failure.attempt
        if verdict.outcome is Outcome.REFUSAL:
            raise self._errors.for_failure(failure, definite=verdict.definite)
        if (
            verdict.outcome is Outcome.TRANSIENT
            and verdict.may_have_reached_server
            and not idempotent
        ):
            raise self._errors.for_failure(failure, TransientApiError, may_have_reached_server=True)
        if attempt >= policy.max_attempts:
            raise self._errors.for_failure(failure, TransientApiError)
        if failure.response is not None:
            delay = policy.delay(attempt, failure.response.headers, self._clock)
        else:
            delay = policy.backoff(attempt)
        if verdict.retry_after is not None:
            asked = max(0.0, verdict.retry_after)
            delay = asked if asked <= policy.max_retry_after else None
        if delay is None:
            note = f" (asked to wait longer than {policy.max_retry_after:.0f} s)"
            raise self._errors.for_failure(failure, TransientApiError, note=note)
        log_retry(self.name, self.describe(failure), attempt, policy.max_attempts, delay)
        return delay

    def describe(self, failure: Failure) -> str:
        if failure.exception is not None:
            return self._errors.describe_exc(failure.exception)
        code = failure.vendor_code
        shown = f" [{self._redactor.redact(code)}]" if code else ""
        return f"answered {failure.status}{shown}"
