"""VAT rates in Opter -> VAT codes in Visma.net, matched exactly as text."""

from __future__ import annotations

import pytest

from ledgerbridge.core.errors import RecordError
from ledgerbridge.plugins.visma_net.vat import check_codes, check_table, translate

TABLE = {"25%": "01", "EU": "15", "0%": "05"}


def test_rate_translates_exactly() -> None:
    assert translate("25%", TABLE, "rows[1].vatRate") == "01"
    assert translate(" EU ", TABLE, "rows[1].vatRate") == "15"


@pytest.mark.parametrize("rate", ["25", "eu", "25 %", "12%"])
def test_rate_that_is_not_exactly_in_the_table_fails(rate: str) -> None:
    with pytest.raises(RecordError) as caught:
        translate(rate, TABLE, "rows[3].vatRate")
    err = caught.value
    assert err.field == "rows[3].vatRate"
    assert err.value == rate
    assert "exactly" in (err.rule or "")
    assert "e.g. 01" in (err.fix or "") and f'"{rate.strip()}"' in (err.fix or "")


def test_near_miss_is_named() -> None:
    with pytest.raises(RecordError, match="vatCodes has '25%'"):
        translate("25", TABLE, "rows[1].vatRate")


def test_code_1_is_not_code_01() -> None:
    errors = check_codes({"1": ("invoiceLines[1].vatCodeId",)}, ["01", "02", "15"])
    assert len(errors) == 1
    err = errors[0]
    assert err.value == "1"
    assert "Visma.net has '01'" in err.message
    assert err.field == "invoiceLines[1].vatCodeId"
    assert err.fix and "exactly as it appears in Visma.net, e.g. 01" in err.fix


def test_known_codes_pass_and_every_unknown_is_listed() -> None:
    assert check_codes({"01": ("a",), "15": ("b",)}, ["01", "15"]) == []
    errors = check_codes({"01": ("a",), "7": ("b",), "99": ("c", "d")}, ["01", "07"])
    assert [e.value for e in errors] == ["7", "99"]
    assert errors[1].field == "c, d"


def test_table_check_names_the_config_keys() -> None:
    problems = check_table({"25%": "1", "12%": "1", "EU": "15"}, ["01", "15"])
    assert len(problems) == 1
    assert "vatCodes.12%, vatCodes.25%" in problems[0]
