"""Redaction of URLs, headers and bodies before they are logged or attached to
errors.

The core `Redactor` masks registered secrets inside free text; HTTP traffic
also carries secrets by *position* (an `Authorization` header, a
`client_secret` form field, a `code` query parameter) whose values may never
have been registered, so those are masked by name here as well.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

from ledgerbridge.core.redact import FORM_SECRET_KEYS, MASK, SECRET_KEYS, Redactor

# Names masked in query strings, forms and JSON bodies in addition to the
# core list: common spellings of API keys and OAuth assertions.
HTTP_SECRET_KEYS = SECRET_KEYS | frozenset(
    {"api_key", "apikey", "client_assertion", "assertion", "secret", "subscription-key"}
)
BODY_LIMIT = 2000  # characters of a body kept in logs and errors
_PLACEHOLDER = "LBMASKED"
# XML elements whose text is a credential (SOAP header auth, WS-Security),
# masked by name like the sandbox journal does; `code` is deliberately not
# here: SOAP 1.2 fault codes and journal codes are elements named Code.
XML_SECRET_ELEMENTS = (
    "password",
    "passwd",
    "token",
    "apikey",
    "api_key",
    "client_secret",
    "clientsecret",
    "secret",
    "access_token",
    "refresh_token",
)
_XML_SECRET = re.compile(
    r"(<(?:[\w.-]+:)?(?:" + "|".join(XML_SECRET_ELEMENTS) + r")\b[^>]*(?<!/)>)([^<]+)(</)",
    re.IGNORECASE,
)
_TEXT_TYPES = ("json", "xml", "text", "x-www-form-urlencoded", "html", "javascript")


HTTP_FORM_SECRET_KEYS = HTTP_SECRET_KEYS | FORM_SECRET_KEYS


def _is_secret_key(key: str) -> bool:
    return key.lower() in HTTP_SECRET_KEYS


def _is_secret_form_key(key: str) -> bool:
    """Query strings and forms also hide OAuth's `code` and `code_verifier`."""
    return key.lower() in HTTP_FORM_SECRET_KEYS


def truncate(text: str, limit: int = BODY_LIMIT) -> str:
    """Keep logs and error records readable when a vendor returns a whole page."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def redact_url(url: httpx.URL | str, redactor: Redactor) -> str:
    """The URL with its password and secret query parameters masked."""
    parsed = httpx.URL(str(url))
    if parsed.password:
        parsed = parsed.copy_with(username=parsed.username, password=_PLACEHOLDER)
    if parsed.query:
        pairs = parse_qsl(parsed.query.decode("ascii", "replace"), keep_blank_values=True)
        masked = [(k, _PLACEHOLDER if _is_secret_form_key(k) and v else v) for k, v in pairs]
        parsed = parsed.copy_with(query=urlencode(masked, safe="$").encode("ascii"))
    return redactor.redact(str(parsed).replace(_PLACEHOLDER, MASK))


def redact_headers(headers: httpx.Headers, redactor: Redactor) -> dict[str, str]:
    """Headers as a dict for logging; credentials always masked."""
    return dict(redactor.redact_headers(headers.multi_items()))


def _redact_form(text: str, redactor: Redactor) -> str:
    pairs = parse_qsl(text, keep_blank_values=True)
    masked = [(k, MASK if _is_secret_form_key(k) and v else redactor.redact(v)) for k, v in pairs]
    return "&".join(f"{k}={v}" for k, v in masked)


def _mask_json_keys(obj: Any, redactor: Redactor) -> Any:
    if isinstance(obj, dict):
        return {
            k: (MASK if _is_secret_key(str(k)) and v else _mask_json_keys(v, redactor))
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_mask_json_keys(v, redactor) for v in obj]
    if isinstance(obj, str):
        return redactor.redact(obj)
    return obj


def redact_body(
    content: bytes, content_type: str | None, redactor: Redactor, limit: int = BODY_LIMIT
) -> str:
    """A printable, redacted, truncated rendering of a request or response body.

    Binary bodies (PDF attachments) are summarised, never dumped.
    """
    if not content:
        return ""
    ctype = (content_type or "").lower()
    if ctype and not any(t in ctype for t in _TEXT_TYPES):
        return f"<{len(content)} bytes {ctype.split(';')[0]}>"
    text = content.decode("utf-8", "replace")
    if "x-www-form-urlencoded" in ctype:
        return truncate(_redact_form(text, redactor), limit)
    if "json" in ctype or text.lstrip()[:1] in ("{", "["):
        try:
            parsed = json.loads(text)
        except ValueError:
            pass
        else:
            rendered = json.dumps(_mask_json_keys(parsed, redactor), ensure_ascii=False)
            return truncate(rendered, limit)
    if "xml" in ctype or text.lstrip()[:1] == "<":
        text = _XML_SECRET.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    return truncate(redactor.redact(text), limit)


def request_body(request: httpx.Request, redactor: Redactor) -> str:
    """The request's body for logging; streamed multipart uploads are summarised."""
    ctype = request.headers.get("content-type")
    if ctype and ctype.lower().startswith("multipart/"):
        return "<multipart body>"
    try:
        content = request.content
    except httpx.RequestNotRead:
        return "<streamed body>"
    return redact_body(content, ctype, redactor)


def register_all(redactor: Redactor, values: Iterable[str | None]) -> None:
    """Register several secrets at once (skipping empty ones)."""
    for value in values:
        redactor.add(value)
