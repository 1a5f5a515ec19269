"""Runs through the engine: each new or changed export file is parsed once a
run for both flows, with the same outcomes as when each flow parsed it, the
customers still first, every fault reported once per flow, settled files
still skipped per flow, and the spool gone when the run ends, however it ends.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import MakeEnv, VismaEnv, errors_by_record, sent, served_workspace
from test_vn_kill import (
    age_state,
    assert_exactly_once,
    kill,
    run_to_end,
    start_run,
    wait_for_posts,
)
from vn_builders import Invoice, Row, export_xml, make_pdf, write_export

from ledgerbridge.core.clock import SystemClock
from ledgerbridge.core.parsecache import ParseCache
from ledgerbridge.core.records import Rejected
from ledgerbridge.plugins.visma_net import plugin
from ledgerbridge.plugins.visma_net.emulator.testing import make_sandbox
from ledgerbridge.plugins.visma_net.samplegen import PeriodSpec, write_period
from ledgerbridge.plugins.visma_net.source import OpterExportSource
from tests.parse_support import keep_caches


@pytest.fixture
def caches(monkeypatch: pytest.MonkeyPatch) -> list[ParseCache]:
    """The parse cache of every run, kept to look at after the run."""
    return keep_caches(monkeypatch, plugin)


def with_pdfs(env: VismaEnv, name: str, numbers: range) -> None:
    env.export([Invoice(str(n), pdf=make_pdf()) for n in numbers], name=name)


def test_each_new_or_changed_file_is_parsed_once_a_run(
    make_env: MakeEnv, parsed: Counter[str], caches: list[ParseCache]
) -> None:
    env = make_env(includePdfCopy=True)
    with_pdfs(env, "a.xml", range(10001, 10004))
    with_pdfs(env, "b.xml", range(10004, 10006))
    first = env.run()
    assert first.failed == 0 and sent(env) == [str(n) for n in range(10001, 10006)]
    assert parsed == {"a.xml": 3, "b.xml": 2}  # not 6 and 4: once for both flows
    pdfs = [env.state.attachments_of(f"invoice:{d['referenceNumber']}") for d in env.state.invoices]
    assert [len(p) for p in pdfs] == [1] * 5
    (cache,) = caches
    assert (cache.stats.spooled, cache.stats.replayed) == (2, 2)
    assert cache.size == 0  # released at the run's end: the spool is gone
    parsed.clear()

    with_pdfs(env, "b.xml", range(10004, 10007))  # changed: one invoice more
    with_pdfs(env, "c.xml", range(10007, 10008))  # new
    second = env.run()
    assert parsed == {"b.xml": 3, "c.xml": 1}  # a.xml is settled for both flows
    assert second.failed == 0 and sent(env)[-3:] == ["10005", "10006", "10007"]


def test_without_the_cache_each_flow_parses_each_file(
    make_env: MakeEnv, parsed: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The switch the benchmark compares with (RunOptions.parse_cache): as before."""
    monkeypatch.setattr(plugin, "parse_cache", lambda ctx: None)
    env = make_env(includePdfCopy=True)
    with_pdfs(env, "a.xml", range(10001, 10004))
    assert env.run().failed == 0
    assert parsed == {"a.xml": 6}


def test_faults_are_reported_once_per_flow_with_the_messages_of_a_parse_per_flow(
    make_env: MakeEnv, parsed: Counter[str]
) -> None:
    env = make_env()
    body = Invoice("10001").xml() + "<Note/>\n" + Invoice("10002", due_date="30/06").xml()
    write_export(env.folder, "a.xml", export_xml(body=body, created="2024-06-01T08:00:00"))
    cut = export_xml([Invoice("10003"), Invoice("10004")], created="2024-06-01T09:00:00")
    write_export(env.folder, "b.xml", cut[: cut.index("10004") + 40])
    summary = env.run()
    assert parsed == {"a.xml": 2, "b.xml": 1}

    reported = Counter((e["flow"], e["record"]) for e in summary.errors)
    assert reported == {
        ("customers", "customer b.xml"): 1,
        ("invoices", "invoice a.xml:10"): 1,
        ("invoices", "invoice 10002"): 1,
        ("invoices", "invoice b.xml"): 1,
    }
    # the messages a source parsing for itself alone gives
    for entity, flow in (("customer", "customers"), ("invoice", "invoices")):
        alone = OpterExportSource(env.folder, entity=entity).read(None)
        expected = {f"{entity} {r.key}": r.error.message for r in alone if isinstance(r, Rejected)}
        got = {e["record"]: e["message"] for e in summary.errors if e["flow"] == flow}
        assert got == expected
    assert sent(env) == ["10001", "10003"]
    customers = next(f for f in summary.flows if f.name == "customers")
    assert customers.succeeded == 1 and env.state.customers.get("ACME") is not None


def test_a_file_changed_between_the_flows_is_parsed_again_not_replayed(
    make_env: MakeEnv, parsed: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make_env()
    env.export([Invoice("10001")], name="a.xml")
    real = OpterExportSource._read_customers

    def then_opter_writes_again(self: OpterExportSource) -> Iterator[Any]:
        yield from real(self)
        env.export([Invoice("10001"), Invoice("10002")], name="a.xml")

    monkeypatch.setattr(OpterExportSource, "_read_customers", then_opter_writes_again)
    summary = env.run()
    assert summary.failed == 0 and sent(env) == ["10001", "10002"]
    assert parsed == {"a.xml": 3}  # 1 by the customers flow, 2 by the invoices flow


def test_settled_files_are_still_skipped_per_flow(
    make_env: MakeEnv, parsed: Counter[str], caches: list[ParseCache]
) -> None:
    env = make_env(vatCodes={"12%": "02"})  # 25% has no Visma.net code yet
    env.export([Invoice("10001", rows=[Row(vat_rate="12%")]), Invoice("10002")], name="a.xml")
    first = env.run()
    assert [e["record"] for e in first.errors] == ["invoice 10002"]  # the customer settled
    assert parsed == {"a.xml": 2}
    parsed.clear()

    env.configure(vatCodes={"12%": "02", "25%": "01"})
    fixed = env.run()
    assert fixed.failed == 0 and sent(env) == ["10001", "10002"]
    assert parsed == {"a.xml": 2}  # by the invoices flow alone: settled for the customers
    assert caches[-1].stats.spooled == 0 and caches[-1].stats.replayed == 0
    parsed.clear()
    env.run()
    assert parsed == {}


def test_a_file_too_large_for_the_spool_is_parsed_by_each_flow(
    make_env: MakeEnv, parsed: Counter[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    small = ParseCache(tmp_path, max_bytes=5_000)
    monkeypatch.setattr(plugin, "parse_cache", lambda ctx: small)
    env = make_env(includePdfCopy=True)
    with_pdfs(env, "big.xml", range(10001, 10004))
    env.export([Invoice("10004")], name="small.xml")
    try:
        summary = env.run()
    finally:
        small.close()
    assert summary.failed == 0 and sent(env) == ["10001", "10002", "10003", "10004"]
    assert parsed == {"big.xml": 6, "small.xml": 1}
    assert len(errors_by_record(summary)) == 0


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc")
@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_a_run_killed_with_its_spool_open_leaves_nothing_behind(tmp_path: Path) -> None:
    sandbox, state = make_sandbox(clock=SystemClock())
    sandbox.faults.add("*: latency=3ms")
    sandbox.serve()
    try:
        folder = tmp_path / "export"
        write_period(folder / "p.xml", PeriodSpec(invoices=40, rows=3, pdf=True))
        ws = served_workspace(
            tmp_path / "ws",
            sandbox,
            folder,
            includePdfCopy=True,
            startText="overrideNumberSeries=true",
            vatCodes={"25%": "01", "12%": "02", "0%": "05", "EU": "08"},
        )
        before = sorted(p.name for p in ws.path.iterdir())
        proc = start_run(ws.path)
        wait_for_posts(sandbox, 5, proc)  # the invoices flow is replaying the spool
        # the spool: a file in the workspace, open, and with no name (O_TMPFILE or unlinked)
        spools = [link for link in _open_files(proc.pid) if link.startswith(str(ws.path))]
        spools = [link for link in spools if link.endswith("(deleted)")]
        kill(proc, ws.path)
        assert spools, "the run had no spool open"
        left = {p.name for p in ws.path.iterdir()} - set(before)
        assert left <= {"state.db", "state.db-wal", "state.db-shm"}
        assert sandbox.app.wait_idle(30)
        age_state(ws.path / "state.db", minutes=10)  # past the killed run's in-flight window
        final = run_to_end(ws.path)
        assert final.returncode == 0, final.stdout + final.stderr
    finally:
        sandbox.stop()
    assert_exactly_once(state, sandbox, ws.path, 40)


def _open_files(pid: int) -> list[str]:
    links = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            continue
    return links
