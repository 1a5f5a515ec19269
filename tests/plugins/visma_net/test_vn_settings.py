"""Config -> settings: what JSON Schema cannot check, reported all at once."""

from __future__ import annotations

import pytest
from vn_support import config

from ledgerbridge.core.errors import ConfigError
from ledgerbridge.plugins.visma_net.settings import OfficeCode, load_settings, parse_office_code


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12345", OfficeCode("12345", None)), ("12345-1", OfficeCode("12345", "1"))],
)
def test_office_code(text: str, expected: OfficeCode) -> None:
    assert parse_office_code(text) == expected


def test_every_problem_at_once() -> None:
    bad = config(
        officeCode="ACME-1",
        startText="dontEmail=yes\nperiodDateSource=Today",
        rowXslt="<xsl:stylesheet",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(bad)
    problems = caught.value.problems
    assert len(problems) == 4
    assert "officeCode" in problems[0] and "'ACME-1'" in problems[0]
    assert "line 1: dontEmail=yes" in problems[1]
    assert "line 2: periodDateSource=Today" in problems[2]
    assert "rowXslt" in problems[3] and "line 1" in problems[3]


def test_vat_codes_keep_leading_zeros() -> None:
    settings = load_settings(config(vatCodes={"25%": "01", " EU ": " 15 "}))
    assert dict(settings.vat_codes) == {"25%": "01", "EU": "15"}
