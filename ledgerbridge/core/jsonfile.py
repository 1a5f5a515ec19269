"""Reading a JSON file an operator wrote or hands us: a config file given
with --config, a seed file, a tenant file edited by hand.

Such files come from every kind of editor. Whatever is wrong with one (not
UTF-8, UTF-16 from a Windows tool, not JSON, not an object) is a ConfigError
naming the file, where it is wrong and how to fix it, never a traceback.

A UTF-8 byte-order mark is accepted and ignored (RFC 8259 allows it, and
Notepad and PowerShell 5 write one); the file means the same with or without
it. Every other encoding is refused: JSON exchanged between systems is UTF-8.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

import click

from ledgerbridge.core.errors import ConfigError

SAVE_AS_UTF8 = "save it as UTF-8 (a UTF-8 byte-order mark is accepted and ignored)"

_FOREIGN_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def read_json_file(path: str | Path, what: str = "config file") -> Any:
    """The JSON value in `path` ('-': standard input); ConfigError otherwise.

    `what` names the file in messages ("config file", "tenant file").
    """
    label = "standard input" if str(path) == "-" else str(path)
    try:
        if str(path) == "-":
            raw = click.get_binary_stream("stdin").read()
        else:
            raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read the {what} {label}: {exc.strerror or exc}") from None
    return parse_json_bytes(raw, f"The {what} {label}")


def read_json_object(path: str | Path, what: str = "config file") -> dict[str, Any]:
    """As read_json_file, for files that must hold an object of settings."""
    data = read_json_file(path, what)
    if not isinstance(data, dict):
        label = "standard input" if str(path) == "-" else str(path)
        raise ConfigError(
            f"The {what} {label} holds a JSON {_json_type(data)}; "
            'fix: it must hold a JSON object of settings, {"key": value, ...}'
        )
    return data


def parse_json_bytes(raw: bytes, subject: str) -> Any:
    """Decode and parse; `subject` begins each message ("The config file x.json")."""
    text = decode_utf8(raw, subject)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{subject} is not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}; "
            "fix: correct the JSON there (a validator or `python -m json.tool FILE` shows it)"
        ) from None


def decode_utf8(raw: bytes, subject: str) -> str:
    """The text of `raw` as UTF-8, without a leading UTF-8 byte-order mark."""
    for bom, encoding in _FOREIGN_BOMS:
        if raw.startswith(bom):
            raise ConfigError(
                f"{subject} is not UTF-8: it starts with a {encoding} byte-order mark; "
                f"fix: {SAVE_AS_UTF8}"
            )
    if b"\x00" in raw:  # UTF-16/32 without a mark decodes as UTF-8 full of NULs
        raise ConfigError(
            f"{subject} is not UTF-8: it holds NUL bytes, as UTF-16 or UTF-32 text does; "
            f"fix: {SAVE_AS_UTF8}"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(raw, exc.start)
        raise ConfigError(
            f"{subject} is not UTF-8: byte 0x{raw[exc.start]:02X} at line {line} column "
            f"{column} is not UTF-8 (Latin-1 or Windows-1252 text, perhaps); fix: {SAVE_AS_UTF8}"
        ) from None
    return text.removeprefix("\ufeff")


def _position(raw: bytes, offset: int) -> tuple[int, int]:
    """Line and column (1-based, in characters of the valid part) of a byte offset."""
    before = raw[:offset].decode("utf-8", errors="replace")
    return before.count("\n") + 1, len(before) - before.rfind("\n")


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"
