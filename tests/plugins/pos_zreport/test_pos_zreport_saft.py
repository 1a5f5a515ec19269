"""The SAF-T Cash Register reader and generator against Skatteetaten's XSD
and example file."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from lxml import etree
from pos_support import SHOPS, a_day

from ledgerbridge.plugins.pos_zreport.saft.codes import describe
from ledgerbridge.plugins.pos_zreport.saft.extension import ExtensionError, read_extension
from ledgerbridge.plugins.pos_zreport.saft.generator import Customer, Shop, write_saft
from ledgerbridge.plugins.pos_zreport.saft.reader import SaftFileError, read_saft
from ledgerbridge.plugins.pos_zreport.saft.sample import random_days
from ledgerbridge.plugins.pos_zreport.saft.schema import xml_schema

EXAMPLE = Path(__file__).with_name("ExampleFile_SAF-T_Cash_Register_999999999_20210330104000.xml")


def test_skatteetatens_example_file_reads_as_one_z_report() -> None:
    content = read_saft(EXAMPLE)
    (z,) = content.zreports
    assert (z["reportID"], z["registerID"], z["reportDate"]) == (
        "1",
        "11.222-33.44.567",
        "2020-01-01",
    )
    assert [p["predefined"] for p in z["payments"]] == ["12001", "12002"]
    assert z["rounding"] == "-0.40"  # 295.40 paid with 295 kroner in cash
    assert {i["artID"]: i["qnt"] for i in z["items"]}["1001"] == "3"  # 2 + 2 - 1 returned
    assert z["grandTotalNet"] == "514.20"


@pytest.mark.parametrize("encoding", ["UTF-8", "ISO-8859-1", "windows-1252", "UTF-16"])
def test_generated_files_are_valid_in_every_encoding_and_read_back(
    tmp_path: Path, encoding: str
) -> None:
    customers = [Customer("K1", "Bjørnstad Rør AS", "912345678", "+47 22 33 44 55")]
    shop = Shop(location="Bøkeskogen", customers=customers)
    days = random_days(
        random.Random(3), ["2024-03-30", "2024-03-31"], customers=customers, credit_share=0.3
    )
    path = write_saft(tmp_path / "z.xml", shop, days, encoding=encoding)
    assert xml_schema().validate(etree.parse(str(path))), xml_schema().error_log
    content = read_saft(path, "UTF-8")
    assert [z["reportID"] for z in content.zreports] == ["1", "2"]
    assert content.credit_sales and content.credit_sales[0]["customer"]["name"] == (
        "Bjørnstad Rør AS"
    )


def test_a_doctype_is_refused(tmp_path: Path) -> None:
    path = write_saft(tmp_path / "z.xml", SHOPS["sentrum"], [a_day("2024-03-12", "1")])
    text = path.read_text(encoding="utf-8")
    evil = text.replace(
        "?>\n", '?>\n<!DOCTYPE auditfile [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n', 1
    )
    path.write_text(evil, encoding="utf-8")
    with pytest.raises(SaftFileError, match="DOCTYPE"):
        read_saft(path)


def test_bytes_that_are_not_the_declared_encoding_are_refused_naming_the_line(
    tmp_path: Path,
) -> None:
    path = write_saft(tmp_path / "z.xml", SHOPS["sentrum"], [a_day("2024-03-12", "1")])
    data = path.read_bytes().replace(b"Butikk Sentrum", "Bøkeskogen".encode("latin-1"))
    path.write_bytes(data)
    with pytest.raises(SaftFileError, match="line"):
        read_saft(path)


def test_a_bad_side_file_is_named(tmp_path: Path) -> None:
    saft = tmp_path / "z.xml"
    (tmp_path / "z.settlement.json").write_text('{"format": "other", "settlements": []}')
    with pytest.raises(
        ExtensionError, match=r"z\.settlement\.json is not a pos_zreport\.settlement/1"
    ):
        read_extension(saft)


def test_code_lists_name_the_predefined_codes() -> None:
    assert describe("12011") == "Mobile phone apps"
    assert describe("11002") == "Credit sale"
    assert describe("13009") == "Z report"
