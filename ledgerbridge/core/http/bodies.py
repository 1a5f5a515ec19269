"""Request bodies and paths: what the client sends, checked before it is sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

__all__ = ["path_segment", "raw_body_headers"]


def path_segment(value: object) -> str:
    """`value` quoted as one URL path segment (`/` too): an id from a record
    can never reach another path (`customers/{path_segment(id)}`)."""
    return quote(str(value), safe="")


def raw_body_headers(
    content: bytes | str | None,
    content_type: str | None,
    json: Any,
    data: Any,
    files: Any,
    headers: Mapping[str, str] | None,
) -> dict[str, str]:
    """The Content-Type a raw body is sent with; refuses ambiguous bodies."""
    if content is None:
        if content_type is not None:
            raise ValueError("content_type is for a raw body: pass content= as well")
        return {}
    if json is not None or data is not None or files is not None:
        raise ValueError("send either content= or json=/data=/files=, not both")
    given = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), None)
    ctype = content_type or given
    if not ctype:
        raise ValueError("a raw body needs its content_type (e.g. 'text/xml; charset=utf-8')")
    if isinstance(content, str) and "charset=" not in ctype.lower():
        ctype += "; charset=utf-8"
    return {"Content-Type": ctype}
