"""Row XSLT: reshapes rows per invoice, with no file or network access."""

from __future__ import annotations

from pathlib import Path

import pytest
from vn_support import SAMPLES, map_invoice, sample_invoice

from ledgerbridge.core.errors import ConfigError, RecordError
from ledgerbridge.plugins.visma_net.xslt import RowTransform, compile_row_xslt

HEAD = '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
IDENTITY = (
    '<xsl:template match="@*|node()"><xsl:copy><xsl:apply-templates select="@*|node()"/>'
    "</xsl:copy></xsl:template>"
)

MERGE_ROWS = f"""<?xml version="1.0"?>
{HEAD}
  <xsl:template match="/Rows">
    <Rows>
      <Row>
        <Description>Transport, faktura <xsl:value-of select="@invoiceNumber"/></Description>
        <Quantity>1</Quantity>
        <UnitPrice><xsl:value-of select="sum(Row/Amount)"/></UnitPrice>
        <Amount><xsl:value-of select="sum(Row/Amount)"/></Amount>
        <VatRate><xsl:value-of select="Row[1]/VatRate"/></VatRate>
        <AccountNumber>3011</AccountNumber>
      </Row>
    </Rows>
  </xsl:template>
</xsl:stylesheet>"""


def test_rows_are_reshaped_before_mapping() -> None:
    payload = map_invoice(sample_invoice("10023"), rowXslt=MERGE_ROWS)
    [line] = payload.body["invoiceLines"]
    assert line["description"] == {"value": "Transport, faktura 10023"}
    assert line["unitPriceInCurrency"] == {"value": 1997.5}
    assert line["accountNumber"] == {"value": "3011"}
    assert line["vatCodeId"] == {"value": "01"}
    assert payload.references.accounts == {"3011": ("invoiceLines[1].accountNumber",)}


def test_sample_stylesheet_from_a_file() -> None:
    payload = map_invoice(sample_invoice("10023"), rowXslt=str(SAMPLES / "row-xslt-example.xsl"))
    descriptions = [ln["description"]["value"] for ln in payload.body["invoiceLines"]]
    assert descriptions[0] == "FRAKT: Frakt Göteborg–Oslo"
    assert descriptions[2] == "VÄNT: Väntetid"


def test_relative_path_is_taken_from_base(tmp_path: Path) -> None:
    (tmp_path / "rows.xsl").write_text(MERGE_ROWS, encoding="utf-8")
    assert compile_row_xslt("rows.xsl", base=tmp_path).origin == str(tmp_path / "rows.xsl")
    with pytest.raises(ConfigError, match="cannot be read"):
        compile_row_xslt("missing.xsl", base=tmp_path)


def test_document_function_is_refused_at_config_time(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_text("<x>secret</x>")
    sheet = (
        f"{HEAD}\n<xsl:template match='/'>\n"
        f"<Rows><xsl:copy-of select=\"document('{secret.as_uri()}')\"/></Rows>\n"
        "</xsl:template></xsl:stylesheet>"
    )
    with pytest.raises(ConfigError) as caught:
        compile_row_xslt(sheet)
    assert "line 3: document()" in caught.value.problems[0]
    assert "may not read or write files" in caught.value.problems[0]


@pytest.mark.parametrize("tag", ["import", "include"])
def test_import_and_include_are_refused(tag: str) -> None:
    sheet = f'{HEAD}\n<xsl:{tag} href="/etc/other.xsl"/>\n{IDENTITY}</xsl:stylesheet>'
    with pytest.raises(ConfigError, match=f"line 2: xsl:{tag}"):
        compile_row_xslt(sheet)


def test_file_access_is_denied_at_run_time_too(tmp_path: Path) -> None:
    """Behind the config check, the access control itself refuses file reads:
    a stylesheet compiled without the check still cannot read a file, and the
    failure fails that invoice only."""
    secret = tmp_path / "secret.xml"
    secret.write_text("<Rows><Row/></Rows>")
    sheet = (
        f"{HEAD}<xsl:template match='/'>"
        f"<xsl:copy-of select=\"document('{secret.as_uri()}')\"/>"
        "</xsl:template></xsl:stylesheet>"
    )
    # built without compile_row_xslt's check; the worker compiles it with DENY_ALL
    compiled = sheet.encode()
    row = {
        "description": "x",
        "quantity": "1",
        "unitPrice": "1",
        "amount": "1",
        "vatRate": "25%",
        "accountNumber": "3010",
    }
    with pytest.raises(RecordError) as caught:
        RowTransform(compiled, "test").apply([row], {})
    assert "read rights" in caught.value.message and "denied" in caught.value.message
    assert caught.value.field == "rowXslt"


def test_syntax_error_names_the_line() -> None:
    sheet = f"{HEAD}\n<xsl:template match='/'>\n<Rows>\n</xsl:template></xsl:stylesheet>"
    with pytest.raises(ConfigError) as caught:
        compile_row_xslt(sheet)
    assert caught.value.problems[0].startswith("line 4:")


def test_invalid_xslt_is_a_config_error() -> None:
    sheet = f"{HEAD}<xsl:template><xsl:bogus/></xsl:template></xsl:stylesheet>"
    with pytest.raises(ConfigError, match="not a valid XSLT"):
        compile_row_xslt(sheet)


def test_bad_output_fails_that_invoice_only() -> None:
    sheet = (
        f"{HEAD}<xsl:template match='/'><Rows><Row><Quantity>x</Quantity></Row></Rows>"
        "</xsl:template></xsl:stylesheet>"
    )
    with pytest.raises(RecordError) as caught:
        map_invoice(sample_invoice("10023"), rowXslt=sheet)
    assert caught.value.field == "rowXslt"
    assert "not <Rows> with valid <Row>" in caught.value.message


def test_terminating_message_fails_that_invoice_only() -> None:
    sheet = (
        f"{HEAD}<xsl:template match='/'><xsl:message terminate='yes'>no rows</xsl:message>"
        "</xsl:template></xsl:stylesheet>"
    )
    with pytest.raises(RecordError, match="row XSLT failed"):
        map_invoice(sample_invoice("10023"), rowXslt=sheet)
