"""Where each value of a JSON text ends, as Json.NET reports it.

eAccounting's body binder (Json.NET) names the place of a conversion error
as "Path 'CodingId', line 8, position 18": the 1-based line and the number
of characters of that line read up to the end of the value. The seed's error
table shows such messages, so the emulator computes the same numbers from
the raw body it received.
"""

from __future__ import annotations

import bisect
import json

Positions = dict[str, tuple[int, int]]
_WS = " \t\r\n"


def value_positions(text: str) -> Positions:
    """`{"Rows[0].ArticleId": (line, position), ...}`; {} if `text` is not JSON."""
    try:
        ends: dict[str, int] = {}
        _Scanner(text, ends).value(0, "")
    except (IndexError, ValueError):
        return {}
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    out: Positions = {}
    for path, end in ends.items():
        line = bisect.bisect_right(starts, end - 1)
        out[path] = (line, end - starts[line - 1])
    return out


def describe(path: str, positions: Positions) -> str:
    """ "Path 'X', line L, position P." (line 1, position 1 when unknown)."""
    line, position = positions.get(path, (1, 1))
    return f"Path '{path}', line {line}, position {position}."


class _Scanner:
    def __init__(self, text: str, ends: dict[str, int]) -> None:
        self.text = text
        self.ends = ends

    def skip(self, i: int) -> int:
        while i < len(self.text) and self.text[i] in _WS:
            i += 1
        return i

    def value(self, i: int, path: str) -> int:
        i = self.skip(i)
        char = self.text[i]
        if char == "{":
            end = self.members(i + 1, path)
        elif char == "[":
            end = self.items(i + 1, path)
        elif char == '"':
            end = self.string_end(i)
        else:
            end = i
            while end < len(self.text) and self.text[end] not in _WS + ",]}":
                end += 1
        if path:
            self.ends[path] = end
        return end

    def members(self, i: int, path: str) -> int:
        i = self.skip(i)
        if self.text[i] == "}":
            return i + 1
        while True:
            key_end = self.string_end(i)
            key = json.loads(self.text[i:key_end])
            i = self.skip(key_end)
            if self.text[i] != ":":
                raise ValueError("expected ':'")
            i = self.skip(self.value(i + 1, f"{path}.{key}" if path else key))
            if self.text[i] == "}":
                return i + 1
            i = self.skip(i + 1)  # the comma

    def items(self, i: int, path: str) -> int:
        i = self.skip(i)
        if self.text[i] == "]":
            return i + 1
        index = 0
        while True:
            i = self.skip(self.value(i, f"{path}[{index}]"))
            if self.text[i] == "]":
                return i + 1
            i, index = i + 1, index + 1

    def string_end(self, i: int) -> int:
        if self.text[i] != '"':
            raise ValueError("expected a string")
        i += 1
        while self.text[i] != '"':
            i += 2 if self.text[i] == "\\" else 1
        return i + 1
