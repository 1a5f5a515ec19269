"""includeExchangeRate on a credit note: Visma.net's credit-note API carries no
rate (CustomerCreditNoteUpdateDto has no exchangeRate), so the run says so,
per credit note, instead of silently sending it without."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from e2e_support import served_workspace
from vn_builders import Invoice, Row, export_xml, write_export
from vn_support import map_invoice, sample_invoice

from ledgerbridge.core.clock import SystemClock
from ledgerbridge.plugins.visma_net.emulator.testing import make_sandbox

CLI = "from ledgerbridge.core.cli import main; main()"
RATE = "includeExchangeRate=true"


def test_the_credit_note_dto_has_no_exchange_rate() -> None:
    """The fact the warning rests on, from the OpenAPI the emulator validates with."""
    folder = resources.files("ledgerbridge.plugins.visma_net").joinpath("openapi")
    names = [p.name for p in folder.iterdir() if p.name.endswith(".json")]
    schemas: dict[str, dict[str, object]] = {}
    for name in names:
        data = json.loads(folder.joinpath(name).read_text(encoding="utf-8"))
        schemas.update(data.get("components", {}).get("schemas", data.get("definitions", {})))
    credit = schemas["CustomerCreditNoteUpdateDto"]["properties"]
    invoice = schemas["CustomerInvoiceUpdateDto"]["properties"]
    assert "exchangeRate" in invoice  # type: ignore[operator]
    assert "exchangeRate" not in credit  # type: ignore[operator]


def test_a_credit_note_with_include_exchange_rate_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="ledgerbridge.visma_net"):
        payload = map_invoice(sample_invoice("10026"), startText=RATE)
    assert "exchangeRate" not in payload.body
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert message.startswith("includeExchangeRate is not applied to credit note 10026:")
    assert "credit-note API (POST /v2/customerCreditNote) carries no exchange rate" in message


@pytest.mark.parametrize(("number", "start_text"), [("10025", RATE), ("10026", "")])
def test_no_warning_where_the_rate_is_sent_or_not_asked_for(
    caplog: pytest.LogCaptureFixture, number: str, start_text: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="ledgerbridge.visma_net"):
        map_invoice(sample_invoice(number), startText=start_text)
    assert caplog.records == []


def test_the_run_output_names_the_credit_note(tmp_path: Path) -> None:
    """A real `ledgerbridge run`, as cron runs it: the warning is on stderr."""
    sandbox, _ = make_sandbox(clock=SystemClock())
    sandbox.serve()
    try:
        folder = tmp_path / "export"
        folder.mkdir()
        credit = Invoice(
            "10024",
            kind="Credit",
            credits="10023",
            currency="EUR",
            rate="11.452",
            rows=[Row(quantity="-1", amount="-1000.00")],
        )
        write_export(folder, "p.xml", export_xml([Invoice("10023"), credit]))
        ws = served_workspace(
            tmp_path / "ws", sandbox, folder, startText=RATE, vatCodes={"25%": "01"}
        )
        done = subprocess.run(
            [sys.executable, "-c", CLI, "--workspace", str(ws.path), "run", "acme", "visma_net"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        sandbox.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "includeExchangeRate is not applied to credit note 10024" in done.stderr
    assert "uses its own EUR rate" in done.stderr
    assert "10023" not in done.stderr  # the invoice carries its rate: no warning
