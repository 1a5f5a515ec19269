"""The row XSLT cannot hold a run hostage: each invoice's transform runs in a
worker process under a time and a memory limit (tiny ones here), fails that
invoice alone when over them, and every instruction or function that reads
or writes another document is refused when the config is checked."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from e2e_support import MakeEnv, errors_by_record
from vn_builders import Invoice, Row

from ledgerbridge.core.errors import ConfigError, RecordError
from ledgerbridge.plugins.visma_net import xslt, xsltworker
from ledgerbridge.plugins.visma_net.xslt import RowTransform, compile_row_xslt
from ledgerbridge.plugins.visma_net.xsltsandbox import MIB, XsltLimits

HEAD = '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
IDENTITY = (
    '<xsl:template match="@*|node()"><xsl:copy><xsl:apply-templates select="@*|node()"/>'
    "</xsl:copy></xsl:template>"
)
EXPONENTIAL_IN_ROWS = f"""{HEAD}
<xsl:template match="/Rows">
  <xsl:call-template name="twice"><xsl:with-param name="n" select="count(Row)"/></xsl:call-template>
  <Rows><xsl:copy-of select="Row"/></Rows>
</xsl:template>
<xsl:template name="twice">
  <xsl:param name="n"/>
  <xsl:if test="$n &gt; 1">
    <xsl:call-template name="twice"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template>
    <xsl:call-template name="twice"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template>
  </xsl:if>
</xsl:template>
</xsl:stylesheet>"""
"""Copies the rows, after 2^rows calls: instant for one row, endless for 60."""
DOUBLING = f"""{HEAD}
<xsl:template match="/">
  <Rows><xsl:call-template name="double"><xsl:with-param name="s" select="'abcdefgh'"/>
    <xsl:with-param name="n" select="40"/></xsl:call-template></Rows>
</xsl:template>
<xsl:template name="double">
  <xsl:param name="s"/><xsl:param name="n"/>
  <xsl:choose>
    <xsl:when test="$n = 0"><xsl:value-of select="string-length($s)"/></xsl:when>
    <xsl:otherwise><xsl:call-template name="double">
      <xsl:with-param name="s" select="concat($s, $s)"/>
      <xsl:with-param name="n" select="$n - 1"/></xsl:call-template></xsl:otherwise>
  </xsl:choose>
</xsl:template>
</xsl:stylesheet>"""
"""A string doubled 40 times: 8 TB."""
TINY = XsltLimits(seconds=0.2, memory_bytes=128 * MIB, strikes=2)
ROW = {
    "description": "Frakt",
    "quantity": "1",
    "unitPrice": "100.00",
    "amount": "100.00",
    "vatRate": "25%",
    "accountNumber": "3010",
}


@pytest.fixture
def transform() -> Iterator[Callable[..., RowTransform]]:
    made: list[RowTransform] = []

    def make(sheet: str, limits: XsltLimits = TINY) -> RowTransform:
        made.append(compile_row_xslt(sheet, limits=limits))
        return made[-1]

    yield make
    for t in made:
        t.close()


def rows(count: int) -> list[dict[str, Any]]:
    return [dict(ROW, description=f"Frakt {i}") for i in range(count)]


def apply(t: RowTransform, count: int, number: str = "10023") -> list[dict[str, Any]]:
    return t.apply(rows(count), {"invoiceNumber": number})


# -- time --------------------------------------------------------------------------------


def test_an_exponential_stylesheet_fails_its_invoice_and_the_next_one_is_transformed(
    transform: Callable[..., RowTransform],
) -> None:
    t = transform(EXPONENTIAL_IN_ROWS)
    assert len(apply(t, 1)) == 1
    with pytest.raises(RecordError) as caught:
        apply(t, 60)
    error = caught.value
    assert error.message == (
        "the row XSLT took more than 0.2 s on this invoice's rows; the invoice was not sent"
    )
    assert error.field == "rowXslt" and error.value == "inline stylesheet"
    assert error.rule == "a row XSLT may run at most 0.2 s and use at most 128 MB per invoice"
    assert "--dry-run --invoice" in (error.fix or "")
    assert len(apply(t, 2)) == 2  # a new worker took over


def test_after_strikes_in_a_row_the_stylesheet_is_not_run_again(
    transform: Callable[..., RowTransform],
) -> None:
    t = transform(EXPONENTIAL_IN_ROWS)
    for number in ("1", "2"):
        with pytest.raises(RecordError, match="took more than"):
            apply(t, 60, number)
    with pytest.raises(RecordError) as caught:
        apply(t, 1, "3")
    assert caught.value.message.startswith(
        "not transformed: the row XSLT was stopped on the 2 invoices before this one (1, 2)"
    )


def test_a_transform_that_succeeds_resets_the_strikes(
    transform: Callable[..., RowTransform],
) -> None:
    t = transform(EXPONENTIAL_IN_ROWS)  # strikes=2: without the reset, "2" would be refused
    for number in ("1", "2", "3"):
        with pytest.raises(RecordError, match="took more than"):
            apply(t, 60, number)
        assert len(apply(t, 1, f"ok-{number}")) == 1


def test_the_worker_ends_itself_when_nobody_stops_it() -> None:
    """Its own CPU limit ends an endless transform even if the process that
    should kill it is gone (here: nobody reads or kills it)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", xsltworker.__name__, str(256 * MIB), "0.2"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert proc.stdin is not None
    document = b"<Rows>" + b"<Row/>" * 60 + b"</Rows>"
    proc.stdin.write(xsltworker.frame(EXPONENTIAL_IN_ROWS.encode()) + xsltworker.frame(document))
    proc.stdin.flush()
    try:
        assert proc.wait(timeout=30) == -signal.SIGXCPU
    finally:
        proc.stdin.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- memory and output ---------------------------------------------------------------------


def test_a_stylesheet_that_takes_too_much_memory_fails_its_invoice(
    transform: Callable[..., RowTransform],
) -> None:
    t = transform(DOUBLING, XsltLimits(seconds=20, memory_bytes=128 * MIB))
    with pytest.raises(RecordError) as caught:
        apply(t, 1)
    assert caught.value.message == (
        "the row XSLT needed more than 128 MB of memory; the invoice was not sent"
    )


def test_a_stylesheet_writing_too_much_fails_its_invoice(
    transform: Callable[..., RowTransform],
) -> None:
    many = f"""{HEAD}<xsl:template match="/Rows"><Rows>
      <xsl:for-each select="Row"><xsl:variable name="r" select="."/>
        <xsl:for-each select="../Row"><xsl:for-each select="../Row">
          <xsl:copy-of select="$r"/></xsl:for-each></xsl:for-each></xsl:for-each>
    </Rows></xsl:template></xsl:stylesheet>"""
    t = transform(many, XsltLimits(seconds=20, output_bytes=1 * MIB))
    with pytest.raises(RecordError, match="the row XSLT produced more than 1 MB"):
        apply(t, 40)  # 64,000 rows out


def test_a_worker_that_died_is_replaced(transform: Callable[..., RowTransform]) -> None:
    t = transform(f"{HEAD}{IDENTITY}</xsl:stylesheet>")
    assert len(apply(t, 1)) == 1
    worker = t._worker._proc
    assert worker is not None
    worker.kill()
    worker.wait()
    assert len(apply(t, 2)) == 2


# -- refused when the config is checked ----------------------------------------------------


@pytest.mark.parametrize(
    ("namespace", "markup", "named"),
    [
        ("saxon='http://icl.com/saxon'", "<saxon:output href='/tmp/x'/>", "saxon:output"),
        (
            "redirect='http://xml.apache.org/xalan/redirect'",
            "<redirect:write file='/tmp/x'/>",
            "redirect:write",
        ),
        (
            "redirect='org.apache.xalan.xslt.extensions.Redirect'",
            "<redirect:write file='/tmp/x'/>",
            "redirect:write",
        ),
        ("xt='http://www.jclark.com/xt'", "<xt:document href='/tmp/x'/>", "xt:document"),
        ("exsl='http://exslt.org/common'", "<exsl:document href='/tmp/x'/>", "exsl:document"),
        ("x='urn:x'", "<xsl:document href='/tmp/x'/>", "xsl:document (XSLT 1.1)"),
        (
            "dyn='http://exslt.org/dynamic'",
            "<xsl:value-of select=\"dyn:evaluate('1 + 1')\"/>",
            "dyn:evaluate()",
        ),
        (
            "s='http://icl.com/saxon'",
            "<xsl:value-of select=\"s:evaluate('1')\"/>",
            "s:evaluate()",
        ),
        ("x='urn:x'", "<xsl:copy-of select=\"doc('/etc/passwd')\"/>", "doc()"),
        ("x='urn:x'", "<xsl:copy-of select=\"collection('/etc')\"/>", "collection()"),
        ("x='urn:x'", "<Rows note=\"{document('/etc/passwd')}\"/>", "document()"),
    ],
)
def test_reading_or_writing_other_documents_is_refused_at_config_time(
    namespace: str, markup: str, named: str
) -> None:
    prefix, uri = namespace.split("=")
    sheet = (
        f'<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" '
        f"xmlns:{prefix}={uri} extension-element-prefixes='{prefix}'>\n"
        f"<xsl:template match='/'>\n{markup}\n</xsl:template></xsl:stylesheet>"
    )
    with pytest.raises(ConfigError) as caught:
        compile_row_xslt(sheet)
    [problem] = caught.value.problems
    assert problem.startswith(f"line 3: {named}")
    assert "may not read or write files" in problem


def test_harmless_exslt_functions_are_allowed(transform: Callable[..., RowTransform]) -> None:
    sheet = """<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
        xmlns:str="http://exslt.org/strings" xmlns:exsl="http://exslt.org/common">
      <xsl:template match="/Rows"><Rows><xsl:for-each select="Row"><Row>
        <Description><xsl:value-of select="str:padding(2, '-')"/>
          <xsl:value-of select="Description"/></Description>
        <xsl:copy-of select="exsl:node-set(.)/*[not(self::Description)]"/>
      </Row></xsl:for-each></Rows></xsl:template></xsl:stylesheet>"""
    [row] = apply(transform(sheet), 1)
    assert row["description"] == "--Frakt 0"


# -- a run goes on -------------------------------------------------------------------------


def test_an_exponential_stylesheet_fails_one_invoice_and_the_run_goes_on(
    make_env: MakeEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xslt, "XsltLimits", lambda: TINY)  # what the run's settings get
    env = make_env(rowXslt=EXPONENTIAL_IN_ROWS)
    big = [Row(description=f"Frakt {i}", amount="10.00", unit_price="10.00") for i in range(60)]
    env.export([Invoice("93001"), Invoice("93002", rows=big), Invoice("93003")])
    summary = env.run()
    assert [f.stopped for f in summary.flows] == [None, None]
    sent = sorted(d["received"]["externalReference"] for d in env.docs("invoices"))
    assert sent == ["93001", "93003"]
    error = errors_by_record(summary)["invoice 93002"]
    assert error["message"].startswith("the row XSLT took more than 0.2 s")
    assert error["field"] == "rowXslt"
