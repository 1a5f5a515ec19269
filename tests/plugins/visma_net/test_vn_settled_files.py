"""Export files whose every record is settled are not read again.

A no-op re-run then costs one read of each file's bytes (its digest), not a
parse; a new or changed file, a file with anything failed, a changed reading
setting and `--full` are read.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from e2e_support import MakeEnv, VismaEnv, sent
from vn_builders import Customer, Invoice, Row

from ledgerbridge.plugins.visma_net.source import OpterExportSource, _File


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each export file was opened for parsing (header scan)."""
    seen: Counter[str] = Counter()
    scan = OpterExportSource._scan

    def counting(self: OpterExportSource, path: Path, origin: str | None = None) -> _File:
        seen[path.name] += 1
        return scan(self, path, origin)

    monkeypatch.setattr(OpterExportSource, "_scan", counting)
    return seen


def two_files(env: VismaEnv) -> None:
    env.export([Invoice("10001"), Invoice("10002")], name="a.xml")
    env.export([Invoice("10003")], name="b.xml")


def test_a_rerun_with_nothing_new_parses_no_file(make_env: MakeEnv, parsed: Counter[str]) -> None:
    env = make_env()
    two_files(env)
    first = env.run()
    assert first.failed == 0 and sent(env) == ["10001", "10002", "10003"]
    assert parsed == {"a.xml": 2, "b.xml": 2}  # the customers and the invoices flow
    parsed.clear()

    again = env.run()
    assert (again.succeeded, again.failed, again.skipped) == (0, 0, 0)
    assert parsed == {}


def test_a_new_file_and_a_changed_file_are_read_the_others_not(
    make_env: MakeEnv, parsed: Counter[str]
) -> None:
    env = make_env()
    two_files(env)
    env.run()
    parsed.clear()
    env.export([Invoice("10004")], name="c.xml")
    env.export([Invoice("10003", rows=[Row(quantity="2")])], name="b.xml")  # edited in place

    second = env.run()
    assert parsed == {"b.xml": 2, "c.xml": 2}
    assert sent(env) == ["10001", "10002", "10003", "10004"]
    (error,) = second.errors  # the edited invoice: an invoice is sent once
    assert error["record"] == "invoice 10003"


def test_a_file_with_a_failure_is_read_until_it_settles(
    make_env: MakeEnv, parsed: Counter[str]
) -> None:
    env = make_env(vatCodes={"12%": "02"})  # 25% has no Visma.net code yet
    env.export([Invoice("10001", rows=[Row(vat_rate="12%")]), Invoice("10002")], name="a.xml")
    env.export([Invoice("10003", rows=[Row(vat_rate="12%")])], name="b.xml")
    first = env.run()
    assert [e["record"] for e in first.errors if e["flow"] == "invoices"] == ["invoice 10002"]
    parsed.clear()

    env.run()
    assert parsed["a.xml"] >= 1 and "b.xml" not in parsed  # a.xml failed: read again
    env.configure(vatCodes={"12%": "02", "25%": "01"})
    fixed = env.run()
    assert fixed.failed == 0 and sent(env) == ["10001", "10002", "10003"]
    parsed.clear()
    env.run()
    assert parsed == {}


def test_full_and_a_changed_reading_setting_read_every_file(
    make_env: MakeEnv, parsed: Counter[str]
) -> None:
    env = make_env()
    two_files(env)
    env.run()
    parsed.clear()
    full = env.run(full=True)
    assert parsed == {"a.xml": 2, "b.xml": 2} and full.succeeded == 0
    env.run()
    parsed.clear()
    env.configure(useCustomerNumber=True)  # what the files yield changes
    env.run()
    assert parsed == {"a.xml": 2, "b.xml": 2}


def test_an_older_customer_version_in_a_new_file_does_not_overwrite_a_newer_one(
    make_env: MakeEnv,
) -> None:
    """The settled file with the newer version is not read again, so the
    engine, not the source's de-duplication, keeps the older one out."""
    env = make_env()
    newer = Customer(city="Malmö", changed="2024-06-10T10:00:00")
    env.export([Invoice("10001", customer=newer)], name="a.xml")
    env.run()
    older = Customer(city="Lund", changed="2024-05-01T10:00:00")
    env.export([Invoice("10002", customer=older)], name="b.xml")
    second = env.run()
    assert second.failed == 0
    customers = next(f for f in second.flows if f.name == "customers")
    assert customers.skipped == 1 and customers.updated == 0
    assert env.state.customers.get("ACME")["mainAddress"]["city"] == "Malmö"
