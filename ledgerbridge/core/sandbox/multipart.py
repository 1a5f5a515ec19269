"""multipart/form-data parsing without the removed `cgi` module.

Vendor APIs take attachments as file uploads (Visma.net's invoice attachment
endpoint, for one), so emulators must read them byte-exact. The body is split
on the CRLF-prefixed delimiter ourselves (binary safe); only each part's small
header block goes through `email.parser`, which knows the quoting rules of
Content-Disposition parameters.
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass, field
from email.message import Message


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data."""


@dataclass(frozen=True)
class Part:
    """One part of a multipart body: a form field or an uploaded file."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def is_file(self) -> bool:
        return self.filename is not None

    @property
    def size(self) -> int:
        return len(self.data)

    def text(self, encoding: str = "utf-8") -> str:
        return self.data.decode(encoding, errors="replace")


def boundary_of(content_type: str) -> bytes:
    """The boundary parameter of a multipart Content-Type header."""
    msg = Message()
    msg["content-type"] = content_type
    boundary = msg.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise MultipartError("multipart body without a boundary in Content-Type")
    return boundary.encode("latin-1")


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    """Split a multipart body into parts, keeping file bytes exactly as sent."""
    delimiter = b"\r\n--" + boundary_of(content_type)
    sections = (b"\r\n" + body).split(delimiter)
    if len(sections) < 2:
        raise MultipartError("multipart body contains no boundary delimiter")
    parts: list[Part] = []
    for section in sections[1:]:
        if section.startswith(b"--"):
            return parts  # the close delimiter; anything after it is epilogue
        parts.append(_parse_part(section))
    raise MultipartError("multipart body is not terminated by a close delimiter")


def _parse_part(section: bytes) -> Part:
    line_end = section.find(b"\r\n")
    if line_end < 0 or section[:line_end].strip(b" \t"):
        raise MultipartError("malformed multipart delimiter line")
    section = section[line_end + 2 :]
    if section.startswith(b"\r\n"):
        head, data = b"", section[2:]
    else:
        head, sep, data = section.partition(b"\r\n\r\n")
        if not sep:
            raise MultipartError("multipart part without a blank line after its headers")
    headers = _parse_headers(head)
    name = headers.get_param("name", header="content-disposition")
    if not isinstance(name, str):
        raise MultipartError("multipart part without a Content-Disposition name")
    filename = headers.get_filename()
    declared = headers.get("content-type")
    default = "application/octet-stream" if filename is not None else "text/plain"
    return Part(
        name=name,
        data=data,
        filename=filename,
        content_type=headers.get_content_type() if declared else default,
        headers={k.lower(): str(v) for k, v in headers.items()},
    )


def _parse_headers(head: bytes) -> Message:
    parser = email.parser.HeaderParser(policy=email.policy.compat32)
    return parser.parsestr(head.decode("utf-8", errors="replace"))
