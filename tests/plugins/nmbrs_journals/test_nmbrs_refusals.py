"""Refusals with the seeds' reasons: each journal fails alone, naming why and
the fix, and the other companies' journals go on to Visma.net."""

from __future__ import annotations

from typing import Any

from nmbrs_support import company, line, run

from ledgerbridge.core.redact import MASK
from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator import DEMO_USER
from ledgerbridge.plugins.visma_net.emulator.seed_data import period_record


def explicit(rid: int, period: int, *lines: dict[str, Any]) -> dict[str, Any]:
    date = f"2024{period:02d}28"
    return run(rid, period, transactions=[{"date": date, "lines": list(lines)}])


def debit(account: str, value: str) -> dict[str, Any]:
    return line(account, "debit", value)


def credit(account: str, value: str) -> dict[str, Any]:
    return line(account, "credit", value)


def errors_by_record(summary: Any) -> dict[str, dict[str, Any]]:
    return {e["record"]: e for e in summary.errors}


def test_each_refusal_fails_alone_and_the_rest_goes_on(env_for: Any) -> None:
    closed = {**period_record("202401"), "closedInGeneralLedger": True}
    periods = [closed] + [period_record(f"2024{m:02d}") for m in range(2, 13)]
    companies = [
        company(21, run(2101, 2)),  # test company
        company(22, run(2201, 2)),  # blocked debtor
        company(23, run(2301, 1)),  # January is closed in Visma.net
        company(
            24, explicit(2401, 2, line("7210", "debit", "100.00"), line("2890", "credit", "99.00"))
        ),
        company(
            25, explicit(2501, 2, line("7999", "debit", "50.00"), line("2890", "credit", "50.00"))
        ),
        company(26, run(2601, 2)),  # fine
    ]
    admins = [{"nmbrsCompanyId": c["id"], "branch": "1"} for c in companies]
    admins[0]["testCompany"] = True
    admins[1]["debtorBlocked"] = True
    env = env_for(
        companies,
        visma={"master_data": {"financial_periods": periods}},
        administrations=admins,
    )
    summary = env.run()
    assert (summary.succeeded, summary.failed) == (1, 5)
    errors = errors_by_record(summary)
    test = errors["journal 21/2101/202402"]
    assert "Journals can't be sent when the company is marked as 'Test company'" in test["message"]
    assert "testCompany" in test["fix"]
    blocked = errors["journal 22/2201/202402"]
    assert "Journals can't be sent when the debtor is blocked" in blocked["message"]
    closed_err = errors["journal 23/2301/202401"]
    assert "financial period 01-2024" in closed_err["message"]
    assert "closed in Visma.net's general ledger" in closed_err["message"]
    assert "reopen period 01-2024" in closed_err["fix"]
    unbalanced = errors["journal 24/2401/202402"]
    assert "debit 100.00, credit 99.00" in unbalanced["message"]
    missing = errors["journal 25/2501/202402"]
    assert "account 7999" in missing["message"] and missing["value"] == "7999"
    [sent] = env.received()
    assert sent["description"].startswith("Nmbrs 16 run 2/2024")  # company 26 (number 16)
    assert env.posts() == 1  # nothing refused was sent


def test_a_refused_journal_is_sent_once_its_cause_is_fixed(env_for: Any) -> None:
    env = env_for(
        [company(21, run(2101, 1), run(2102, 2))],
        administrations=[{"nmbrsCompanyId": 21, "testCompany": True}],
    )
    assert env.run().failed == 2
    env.configure(administrations=[{"nmbrsCompanyId": 21}])
    assert env.run().succeeded == 2  # the failure held the cursor back: nothing skipped


def test_a_company_the_user_may_not_see_fails_alone(env_for: Any) -> None:
    companies = [company(31, run(3101, 1), unauthorized=True), company(32, run(3201, 1))]
    env = env_for(companies)
    summary = env.run()
    assert (summary.succeeded, summary.failed) == (1, 1)
    err = errors_by_record(summary)["company 31"]
    assert "cannot see" in err["message"]


def test_an_nmbrs_fault_on_a_companys_runs_fails_that_company_alone(
    env_for: Any, monkeypatch: Any
) -> None:
    """Nmbrs lists the company but refuses its runs (2004 UnauthorizedCompany):
    each of its years fails, naming the code; the other company is sent."""
    from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator import app as nmbrs_app

    def list_all(state: Any, _: Any) -> Any:
        return {"Company": [c.info() for c in state.companies.values()]}

    monkeypatch.setitem(nmbrs_app.HANDLERS, ("CompanyService", "List_GetAll"), list_all)
    env = env_for([company(31, run(3101, 1)), company(32, run(3201, 1))])
    env.nmbrs.companies[31].unauthorized = True
    summary = env.run()
    years = 2026 - 2024 + 1  # fromYear 2024 up to the clock's year
    assert (summary.succeeded, summary.failed) == (1, years)
    for err in summary.errors:
        assert "2004 UnauthorizedCompany" in err["message"]
        assert err["record"].startswith("journal 31/")
    assert len(env.received()) == 1


def test_refused_credentials_end_the_run_and_the_token_is_never_shown(
    env_for: Any, lb_workspace: Any
) -> None:
    env = env_for([company(12, run(9001, 1))])
    env.lb_tenant("acme", secrets={"nmbrs_token": "wrong-token-123"})
    summary = env.run()
    assert summary.status == "aborted"
    assert "Nmbrs did not accept user" in (summary.message or "")
    assert "ledgerbridge secret set acme nmbrs_token" in (summary.message or "")
    assert "wrong-token-123" not in str(summary.to_json())
    for entry in env.sandbox.journal.entries():
        assert "wrong-token-123" not in str(entry.body)
        assert DEMO_USER["token"] not in str(entry.body)
    soap = env.sandbox.journal.find(path_startswith="/soap/")
    assert soap and MASK in str(soap[0].body)
    assert "wrong-token-123" not in lb_workspace.db_path.read_bytes().decode("latin-1")
