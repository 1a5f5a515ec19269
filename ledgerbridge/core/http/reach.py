"""A wrong URL setting, told apart from a record that fails.

A connection error before an API ever answered (the run's first request),
or a 404 where the API's own endpoints or its token endpoint must be, says
the setting holding the URL is wrong, or its host is down: every record
would fail the same way. So the run stops at once with one error naming the
setting (a ConfigError, which the engine treats as the run's, exit code 3),
instead of failing record after record, with an exit code that depends on
how many records there were.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ledgerbridge.core.errors import ConfigError

# Transport failures that mean the request never reached a server: the host
# is unknown or refuses connections, or the URL cannot be used at all.
UNREACHABLE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True)
class UrlSetting:
    """The config key a URL comes from, so an error can name it.

    key:      the config key ("apiBaseUrl").
    owner:    where it is set ("the config of acme/visma_net").
    usual:    its usual value, when there is one ("https://api.finance.visma.net").
    fix:      how to change it (the command that saves a corrected config).
    """

    key: str
    owner: str = "the connector's config"
    usual: str | None = None
    fix: str | None = None

    def fix_text(self) -> str:
        usual = f" (usually {self.usual})" if self.usual else ""
        then = f"; {self.fix}" if self.fix else ""
        return f"check {self.key} in {self.owner}{usual}{then}"


class WrongUrl(ConfigError):
    """The URL in a setting cannot be right: nothing answers there, or what
    answers has no such endpoint. The whole run's problem, not a record's."""

    def __init__(
        self,
        setting: UrlSetting,
        url: str,
        status: int | None = None,
        cause: str | None = None,
        detail: str = "",
    ) -> None:
        self.setting = setting
        self.url = url
        self.status = status
        if status is not None:
            reason = httpx.codes.get_reason_phrase(status)
            what = f"{url} answered {status} {reason}".rstrip() + detail
            why = f"{setting.key} is wrong: {what}"
        else:
            how = f" ({cause})" if cause else ""
            why = f"{setting.key} is wrong, or its host is down: {url} could not be reached{how}"
        super().__init__(f"{why}. Fix: {setting.fix_text()}.")


def wrong_token_url(setting: UrlSetting | None, url: str, exc: Exception) -> WrongUrl | None:
    """No token endpoint at `url`: a 404 or 405, or a refusal without the
    OAuth `error` every token endpoint answers with (RFC 6749 5.2)."""
    status = getattr(exc, "status", None)
    if setting is None or status is None:
        return None
    if status in (404, 405):
        return WrongUrl(setting, url, status)
    if status in (400, 401, 403) and not getattr(exc, "vendor_code", None):
        return WrongUrl(setting, url, status, detail=" without an OAuth error")
    return None


def unreachable_cause(exc: BaseException | None) -> str | None:
    """Why a request never reached a server, or None when it may have."""
    if not isinstance(exc, UNREACHABLE):
        return None
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
