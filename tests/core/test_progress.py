"""Progress: a bar per flow with that flow's own counts (and its total when
known) on a terminal; plain lines, once a minute, elsewhere."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from ledgerbridge.core.cli import runs
from ledgerbridge.core.cli.progress import Progress
from tests.core.cli_support import operator
from tests.core.memplugin import Scenario


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_each_flow_gets_its_own_bar_and_counts_with_the_total_when_known() -> None:
    screen = Terminal()
    progress = Progress("acme/visma_net", screen, totals={"invoices": 4})
    for status in ("succeeded", "succeeded", "skipped"):
        progress.record_done("customers", status, "customer C")
    progress.record_done("invoices", "failed", "invoice 1")
    progress.record_done("invoices", "succeeded", "invoice 2")
    progress.close()
    text = screen.getvalue()
    customers, invoices = text.split("acme/visma_net invoices", 1)
    assert "acme/visma_net customers" in customers
    assert "3 records" in customers and "2 succeeded, 1 skipped" in customers
    # the invoices bar counts its own records, against its known total
    assert "2/4" in invoices and "50%" in invoices
    assert "1 succeeded, 1 failed" in invoices
    assert "2 succeeded" not in invoices.replace("1 succeeded", "")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_terminal_that_reports_no_size_still_shows_the_bar() -> None:
    """Some ptys report 0 columns and rows; tqdm would then hide the bar."""
    master, slave = os.openpty()  # a fresh pty: its window size is 0x0
    try:
        with open(slave, "w", encoding="utf-8", closefd=False) as screen:
            progress = Progress("acme/visma_net", screen)
            assert progress.live
            for _ in range(3):
                progress.record_done("invoices", "succeeded", "invoice 1")
            progress.close()
            screen.flush()
        shown = _read_all(master).decode("utf-8", "replace")
    finally:
        os.close(master)
        os.close(slave)
    assert "acme/visma_net invoices: 3 records" in shown
    assert "3 succeeded" in shown


def _read_all(fd: int) -> bytes:
    """Everything written to the pty so far: one read may return only part
    of it (the terminal driver hands it over in pieces on a busy machine)."""
    import select

    chunks = []
    while select.select([fd], [], [], 0.5)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_off_a_terminal_plain_lines_once_a_minute_and_nothing_for_a_short_run() -> None:
    log = io.StringIO()
    now = [0.0]
    progress = Progress("acme/mem", log, clock=lambda: now[0])
    for _ in range(50):
        progress.record_done("items", "succeeded", "item k")
    assert log.getvalue() == ""  # a short run: the summary says it all
    now[0] = 61.0
    progress.record_done("items", "failed", "item x")
    now[0] = 90.0
    progress.record_done("items", "succeeded", "item y")
    progress.close()
    assert log.getvalue() == "acme/mem items: 51 records (50 succeeded, 1 failed)\n"
    assert "\r" not in log.getvalue() and "\x1b" not in log.getvalue()


def test_a_replay_knows_how_many_records_it_will_read(
    mem: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    op = operator(tmp_path)
    for i in range(3):
        mem.put(f"k{i}", f"n{i}", f"2026-01-01T00:00:0{i}Z")
        mem.reject.add(f"k{i}")
    op("run", "acme")
    seen: list[dict[str, int]] = []

    class Spy(Progress):
        def close(self) -> None:
            seen.append(self.totals)
            super().close()

    monkeypatch.setattr(runs, "Progress", Spy)
    mem.reject.clear()
    assert op("replay", "1", "--failed").exit_code == 0
    assert seen == [{"items": 3}]
