"""Format BAS / Format PNL patterns (seed 002): one [class] or literal per character."""

from __future__ import annotations

import pytest

from ledgerbridge.core.errors import RecordError
from ledgerbridge.plugins.nmbrs_journals.formats import (
    AccountFormats,
    PatternError,
    compile_format,
)


def test_the_seeds_examples() -> None:
    bas, pnl = compile_format("[0-3][0-9][0-9][0-9]"), compile_format("[4-9][0-9][0-9][0-9]")
    assert bas.matches("1930") and not bas.matches("7210")
    assert pnl.matches("7210") and not pnl.matches("193")
    assert not pnl.matches("72100")  # exactly one character per class


def test_lists_literals_and_letters() -> None:
    fmt = compile_format("7[09]A[0-9]")
    assert fmt.matches("79A1") and fmt.matches("70A9")
    assert not fmt.matches("71A1") and not fmt.matches("79B1")


@pytest.mark.parametrize("bad", ["", "[0-3", "]0", "[]", "[9-0]", "4*", "[0-]"])
def test_bad_patterns(bad: str) -> None:
    with pytest.raises(PatternError):
        compile_format(bad)


def test_an_account_must_match_exactly_one() -> None:
    formats = AccountFormats(compile_format("[0-3]"), compile_format("[2-9]"))
    assert formats.carries_dimensions("5", "line 1") is True
    assert formats.carries_dimensions("1", "line 1") is False
    with pytest.raises(RecordError, match="matches both"):
        formats.carries_dimensions("2", "line 1")
    with pytest.raises(RecordError, match="matches neither"):
        formats.carries_dimensions("A", "line 1")
    assert AccountFormats().carries_dimensions("anything", "line 1") is True
