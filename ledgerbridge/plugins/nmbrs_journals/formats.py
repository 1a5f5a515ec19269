"""Format BAS and Format PNL: which accounts carry cost center / cost unit.

Nmbrs' Swedish help page (seed 002, "Format BAS och Format PNL") defines both
as one bracket per character of the account number: `[0-3][0-9][0-9][0-9]`
for the balance-sheet accounts, which are NOT booked on cost center/cost
unit, and `[4-9][0-9][0-9][0-9]` for the profit-and-loss accounts, which are.
A pattern is a sequence of character classes (`[0-3]`, `[09]`, `[A-Z0-9]`)
and literal characters (`7[0-9][0-9]0`); it matches an account of exactly
its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledgerbridge.core.errors import RecordError

EXAMPLE_BAS = "[0-3][0-9][0-9][0-9]"
EXAMPLE_PNL = "[4-9][0-9][0-9][0-9]"
_LITERAL = re.compile(r"[A-Za-z0-9._-]")


class PatternError(ValueError):
    """A format that is not a sequence of [classes] and literal characters."""


@dataclass(frozen=True)
class AccountFormat:
    """One compiled format: its text and the anchored regex it means."""

    text: str
    regex: re.Pattern[str]

    def matches(self, account: str) -> bool:
        return self.regex.fullmatch(account) is not None


def compile_format(text: str) -> AccountFormat:
    """`[0-3][0-9][0-9][0-9]` -> an anchored regex; PatternError naming the
    position and what is wrong otherwise."""
    if not text:
        raise PatternError("is empty")
    parts: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "[":
            end = text.find("]", i + 1)
            if end < 0:
                raise PatternError(f"the '[' at position {i + 1} is never closed with ']'")
            parts.append(_char_class(text[i + 1 : end], i + 1))
            i = end + 1
        elif char == "]":
            raise PatternError(f"the ']' at position {i + 1} has no '[' before it")
        elif _LITERAL.fullmatch(char):
            parts.append(re.escape(char))
            i += 1
        else:
            raise PatternError(
                f"{char!r} at position {i + 1} is neither a [class] nor a letter or digit"
            )
    return AccountFormat(text, re.compile("".join(parts)))


def _char_class(body: str, at: int) -> str:
    """The inside of one [...]: characters and ranges a-b."""
    if not body:
        raise PatternError(f"the class at position {at} is empty ([])")
    out: list[str] = []
    i = 0
    while i < len(body):
        low = body[i]
        if not _LITERAL.fullmatch(low) or low == "-":
            raise PatternError(f"{low!r} in the class at position {at} is not a letter or digit")
        if i + 2 < len(body) and body[i + 1] == "-":
            high = body[i + 2]
            if not _LITERAL.fullmatch(high) or high == "-":
                raise PatternError(f"the range {low}-{high} at position {at} is not valid")
            if high < low:
                raise PatternError(f"the range {low}-{high} at position {at} runs backwards")
            out.append(f"{re.escape(low)}-{re.escape(high)}")
            i += 3
        else:
            out.append(re.escape(low))
            i += 1
    return "[" + "".join(out) + "]"


@dataclass(frozen=True)
class AccountFormats:
    """Format BAS and Format PNL of one administration (None: not set, then
    every account carries the dimensions that are switched on)."""

    bas: AccountFormat | None = None
    pnl: AccountFormat | None = None

    def carries_dimensions(self, account: str, where: str) -> bool:
        """True for a PNL account, False for a BAS account; a RecordError
        naming the account when it matches neither or both."""
        if self.bas is None or self.pnl is None:
            return True
        bas, pnl = self.bas.matches(account), self.pnl.matches(account)
        if bas != pnl:
            return pnl
        which = "both" if bas else "neither"
        raise RecordError(
            f"account {account} on {where} matches {which} of Format BAS "
            f"{self.bas.text} and Format PNL {self.pnl.text}",
            field="formatBas/formatPnl",
            value=account,
            rule="every account of a journal must match exactly one of Format BAS (booked "
            "without cost center/cost unit) and Format PNL (booked on them)",
            fix=f"change formatBas or formatPnl in the config so account {account} matches "
            "exactly one, or correct the account in Nmbrs' general ledger settings",
        )
