"""The Nmbrs SOAP emulator on its own: the header it checks, the operations
and faults it answers, its seed data and what `sandbox serve` prints."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http import ApiError, SoapClient, SoapHeaderAuth
from ledgerbridge.core.redact import Redactor
from ledgerbridge.core.sandbox import Sandbox, SeedError
from ledgerbridge.plugins.nmbrs_journals.nmbrs import errors
from ledgerbridge.plugins.nmbrs_journals.nmbrs.api import NmbrsApi
from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator import DEMO_USER, EMULATOR
from ledgerbridge.plugins.nmbrs_journals.nmbrs.journalxml import parse_journal

COMPANIES = [
    {
        "id": 12,
        "number": 2,
        "name": "Bolag AB",
        "debtor": 1,
        "costCenters": [{"code": "100", "description": "Fjärrtrafik"}],
        "runs": [{"id": 9001, "number": 1, "year": 2024, "period": 1, "employees": 3}],
    }
]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    settings = {"companies": COMPANIES, "debtors": [{"id": 1, "name": "Grupp"}]}
    sb = Sandbox([EMULATOR], clock=FakeClock(), settings={"nmbrs": settings})
    yield sb
    sb.stop()


def api(sandbox: Sandbox, token: str = DEMO_USER["token"]) -> NmbrsApi:
    base = sandbox.base_url("nmbrs") + "/soap/v3/"
    auth = SoapHeaderAuth(
        "AuthHeaderWithDomain",
        {"Username": DEMO_USER["username"], "Token": token, "Domain": DEMO_USER["domain"]},
        rejected_message="refused",
    )
    client = SoapClient(
        base,
        name="nmbrs",
        clock=FakeClock(),
        redactor=Redactor(),
        auth=auth,
        transport=sandbox.transport(),
        classifier=errors.classify,
    )
    return NmbrsApi(client, base)


def test_companies_runs_and_journals(sandbox: Sandbox) -> None:
    nmbrs = api(sandbox)
    [company] = nmbrs.companies()
    assert company == {
        "ID": 12,
        "Number": 2,
        "Name": "Bolag AB",
        "LoonaangifteTijdvak": "Month",
    }
    [run] = nmbrs.runs(12, 2024)
    assert (run["ID"], run["Number"], run["IsLocked"]) == (9001, 1, True)
    assert nmbrs.runs(12, 2023) == []
    xml = nmbrs.journal(12, 9001, 2024, dimensions=True)
    assert xml.startswith('<?xml version="1.0" encoding="utf-16"?>')
    [tx] = parse_journal(xml)
    assert tx.booked.isoformat() == "2024-01-31"
    assert {ln.cost_center for ln in tx.lines} == {"100"}
    debit = sum(ln.value for ln in tx.lines if ln.side == "debit")
    assert debit == sum(ln.value for ln in tx.lines if ln.side == "credit")
    [plain] = parse_journal(nmbrs.journal(12, 9001, 2024, dimensions=False))
    assert {ln.cost_center for ln in plain.lines} == {None}
    assert nmbrs.cost_centers(12) == {"100": "Fjärrtrafik"}


def test_the_auth_header_is_checked_and_refusal_ends_the_call(sandbox: Sandbox) -> None:
    with pytest.raises(AuthError):
        api(sandbox, token="not-the-token").companies()
    for entry in sandbox.journal.entries():
        assert DEMO_USER["token"] not in str(entry.body)


def test_faults_carry_nmbrs_error_codes(sandbox: Sandbox) -> None:
    nmbrs = api(sandbox)
    with pytest.raises(ApiError) as unknown_company:
        nmbrs.runs(77, 2024)
    assert errors.describe(unknown_company.value).startswith("2004 UnauthorizedCompany")
    with pytest.raises(ApiError) as wrong_year:
        nmbrs.journal(12, 9001, 2023, dimensions=False)
    assert errors.describe(wrong_year.value).startswith("2006 InvalidPeriod")
    debtor = nmbrs.debtor.call("Debtor_Get", {"DebtorId": 1}, idempotent=True)
    assert debtor.to_python()["Name"] == "Grupp"
    with pytest.raises(ApiError) as no_debtor:
        nmbrs.debtor.call("Debtor_Get", {"DebtorId": 5}, idempotent=True)
    assert errors.describe(no_debtor.value).startswith("2009 UnauthorizedDebtor")


def test_the_soap_action_and_parameters_are_checked(sandbox: Sandbox) -> None:
    nmbrs = api(sandbox)
    with pytest.raises(ApiError) as wrong_action:
        nmbrs.company.call("Run_GetList", {"CompanyId": 12, "Year": 2024}, action="x/Run_GetList")
    assert "SOAPAction" in str(wrong_action.value)
    with pytest.raises(ApiError) as missing:
        nmbrs.company.call("Run_GetList", {"CompanyId": 12}, idempotent=True)
    assert "<Year> is missing" in str(missing.value)


def test_seed_data_is_checked_and_the_connection_printed() -> None:
    assert EMULATOR.seed is not None and EMULATOR.connection is not None
    with pytest.raises(SeedError) as bad:
        EMULATOR.seed({"companies": [{"id": "twelve"}]})
    assert "companies[0].id" in str(bad.value)
    settings = EMULATOR.seed({"generate": {"companies": 2, "runs": 3, "employees": 10}})
    [conn] = EMULATOR.connection("http://127.0.0.1:8765/nmbrs", settings)
    assert conn["soapBaseUrl"] == "http://127.0.0.1:8765/nmbrs/soap/v3/"
    assert conn["username"] == DEMO_USER["username"]


def test_generated_companies_for_benchmarks() -> None:
    settings = {"generate": {"companies": 3, "runs": 2, "employees": 5}}
    sb = Sandbox([EMULATOR], clock=FakeClock(), settings={"nmbrs": settings})
    try:
        nmbrs = api(sb)
        assert [c["ID"] for c in nmbrs.companies()] == [1001, 1002, 1003]
        assert [r["Number"] for r in nmbrs.runs(1002, 2024)] == [1, 2]
    finally:
        sb.stop()


def test_a_sandbox_without_seed_data_holds_the_demo_company() -> None:
    sb = Sandbox([EMULATOR], clock=FakeClock())
    try:
        nmbrs = api(sb)
        assert [c["ID"] for c in nmbrs.companies()] == [12]
        march = nmbrs.journal(12, 90003, 2024, dimensions=False)
        assert [t.booked.month for t in parse_journal(march)] == [1, 2, 3]
    finally:
        sb.stop()
