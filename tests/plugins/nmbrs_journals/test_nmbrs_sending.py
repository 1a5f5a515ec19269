"""Sending payroll journals: what the emulated Visma.net received for normal
runs, corrections, dimensions, re-runs, crashes, late runs and 4-weekly runs."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from nmbrs_support import company, run

from ledgerbridge.core.state.db import StateDB
from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator.state import Run

DIMENSIONS = {"costCenter": "Avdelning", "costUnit": "Projekt"}
FORMATS = {"formatBas": "[0-3][0-9][0-9][0-9]", "formatPnl": "[4-9][0-9][0-9][0-9]"}


def totals(body: dict[str, Any]) -> tuple[Decimal, Decimal]:
    lines = body["journalTransactionLines"]
    debit = sum((Decimal(str(ln["debitAmountInCurrency"])) for ln in lines), Decimal(0))
    credit = sum((Decimal(str(ln["creditAmountInCurrency"])) for ln in lines), Decimal(0))
    return debit.quantize(Decimal("0.01")), credit.quantize(Decimal("0.01"))


def test_a_run_becomes_one_balanced_open_transaction(env_for: Any) -> None:
    env = env_for([company(12, run(9001, 1, employees=7))])
    summary = env.run()
    assert (summary.succeeded, summary.failed) == (1, 0)
    [body] = env.received()
    debit, credit = totals(body)
    assert debit == credit > 0
    assert body["hold"] is False and body["financialPeriod"] == "202401"
    assert body["transactionDate"] == "2024-01-31T00:00:00"
    assert body["branch"] == "1"
    [doc] = env.visma.journal_transactions
    assert doc["status"] == "Balanced"  # saved, not released
    assert not env.sandbox.journal.find(path_startswith="/v2/journaltransaction/")  # no release
    # every body passed the emulator's JournalTransactionUpdateDto schema (strict)
    posts = env.sandbox.journal.find(method="POST", path="/v2/journaltransaction")
    assert [e.status for e in posts] == [201]


def test_corrections_go_to_their_own_periods_with_the_runs_reference(env_for: Any) -> None:
    march = run(9003, 3, corrections=[{"period": 1}, {"period": 2}])
    env = env_for([company(12, march)])
    assert env.run().succeeded == 3
    received = sorted(env.received(), key=lambda b: b["financialPeriod"])
    assert [b["financialPeriod"] for b in received] == ["202401", "202402", "202403"]
    assert [b["transactionDate"][:10] for b in received] == [
        "2024-01-31",
        "2024-02-29",
        "2024-03-31",
    ]
    refs = {ln["referenceNumber"] for b in received for ln in b["journalTransactionLines"]}
    assert refs == {"NMBRS-9003"}  # "equal to the normal run"
    assert len({b["description"] for b in received}) == 3
    assert "correction 2024-01" in received[0]["description"]
    assert all(totals(b)[0] == totals(b)[1] for b in received)


def test_pnl_accounts_carry_the_dimensions_and_bas_accounts_never(env_for: Any) -> None:
    env = env_for(
        [company(12, run(9001, 1, employees=6))],
        administrations=[{"nmbrsCompanyId": 12, "branch": "1", "dimensions": DIMENSIONS}],
        **FORMATS,
    )
    assert env.run().succeeded == 1
    [body] = env.received()
    lines = body["journalTransactionLines"]
    pnl = [ln for ln in lines if ln["accountNumber"][0] in "456789"]
    bas = [ln for ln in lines if ln["accountNumber"][0] in "0123"]
    assert pnl and bas
    assert all("subaccount" not in ln for ln in bas)
    # segment 1 is "Avdelning" (cost center), 2 "Projekt" (cost unit) in the emulator
    assert {tuple(sorted(s["segmentId"] for s in ln["subaccount"])) for ln in pnl} == {(1, 2)}
    centers = {s["segmentValue"] for ln in pnl for s in ln["subaccount"] if s["segmentId"] == 1}
    assert centers == {"100", "200"}
    ops = env.nmbrs.calls
    assert "CompanyService.Journals_GetByRunCostCenterCostUnitPerYear" in ops
    assert "CompanyService.Journals_GetByRunCompany_v2" not in ops


def test_without_dimensions_the_company_journal_is_read(env_for: Any) -> None:
    env = env_for([company(12, run(9001, 1))])
    env.run()
    assert "CompanyService.Journals_GetByRunCompany_v2" in env.nmbrs.calls
    [body] = env.received()
    assert all("subaccount" not in ln for ln in body["journalTransactionLines"])


def test_each_run_is_sent_once_across_re_runs(env_for: Any) -> None:
    env = env_for([company(12, run(9001, 1), run(9002, 2, corrections=[{"period": 1}]))])
    assert env.run().succeeded == 3
    before = len(env.nmbrs.calls)
    again = env.run()
    assert (again.succeeded, again.failed) == (0, 0)
    assert env.posts() == 3
    # nothing new: one Run_GetList per company and year, no journal is read again
    new_calls = env.nmbrs.calls[before:]
    assert not [c for c in new_calls if "Journals_" in c]
    full = env.run(full=True)
    assert (full.succeeded, full.failed) == (0, 0)
    assert env.posts() == 3


def test_a_lost_answer_is_found_by_its_reference_not_sent_again(env_for: Any) -> None:
    env = env_for([company(12, run(9001, 1, corrections=[]))])
    env.sandbox.faults.add("POST /v2/journaltransaction: drop-after x1")
    first = env.run()
    assert first.failed == 1  # the answer never came: transient, the intent is kept
    assert first.errors[0]["retryable"] is True
    assert len(env.received()) == 1  # but Visma.net has it
    second = env.run()
    assert (second.succeeded, second.failed) == (1, 0)
    assert [o.action for o in env.outcomes(second)] == ["found"]
    assert env.posts() == 1  # looked up by its description, never sent again
    assert len(env.received()) == 1


def test_a_late_run_of_last_year_is_not_skipped(env_for: Any) -> None:
    runs = [run(9101, 1, year=2024), run(9102, 2, year=2024)]
    env = env_for([company(12, *runs)], fromYear=2023)
    assert env.run().succeeded == 2
    late = Run(8013, 13, 2023, 12, 12, employees=3)  # made after 2024's runs
    env.nmbrs.companies[12].runs.append(late)
    later = env.run()
    assert later.succeeded == 1
    assert sorted(b["financialPeriod"] for b in env.received()) == ["202312", "202401", "202402"]


def test_a_run_after_the_cursor_of_its_company_and_year_is_read(env_for: Any) -> None:
    env = env_for([company(12, run(9101, 1)), company(14, run(9201, 1))])
    assert env.run().succeeded == 2
    env.nmbrs.companies[14].runs.append(Run(9202, 2, 2024, 2, 2, employees=2))
    env.nmbrs.companies[12].runs.append(Run(9102, 2, 2024, 2, 2, employees=2))
    assert env.run().succeeded == 2
    assert env.posts() == 4


def test_an_unlocked_run_waits_and_holds_back_the_later_ones(env_for: Any) -> None:
    env = env_for([company(12, run(9101, 1), run(9102, 2, locked=False), run(9103, 3))])
    assert env.run().succeeded == 1
    env.nmbrs.companies[12].runs[1].locked = True
    assert env.run().succeeded == 2
    assert sorted(b["financialPeriod"] for b in env.received()) == ["202401", "202402", "202403"]


def test_four_weekly_runs_go_to_the_period_of_their_end_date(env_for: Any) -> None:
    # 4-weekly period 5 of 2024 runs 22 April - 19 May: it is booked in May;
    # period 4 (25 March - 21 April) in April
    env = env_for([company(12, run(9001, 4), run(9002, 5), period="Week4")])
    assert env.run().succeeded == 2
    got = sorted((b["financialPeriod"], b["transactionDate"][:10]) for b in env.received())
    assert got == [("202404", "2024-04-21"), ("202405", "2024-05-19")]


def test_status_shows_the_sent_runs(env_for: Any, lb_cli: Any) -> None:
    env = env_for([company(12, run(9001, 1), run(9002, 2))])
    env.run()
    result = lb_cli("status", "acme", "--json")
    assert result.exit_code == 0, result.output
    [item] = json.loads(result.output)["status"]
    assert item["cursors"]["journals[12/2024]"] == "000002:1/1"
    assert item["notes"] == ["company 12: 2 runs sent to Visma.net: 9001 (202401), 9002 (202402)"]
    shown = lb_cli("status", "acme")
    assert "acme/nmbrs_journals: company 12: 2 runs sent to Visma.net" in shown.output
    listed = lb_cli("links", "list", "acme", "nmbrs_journals")
    assert "12/9001/202401" in listed.output and "000001" in listed.output


def test_an_administration_on_its_own_visma_net_connection_is_booked_and_linked_there(
    env_for: Any, lb_cli: Any
) -> None:
    """Each Nmbrs company -> a Visma.net company: company 14 names the
    connection of its own company; its batch is kept as `oslo/NUMBER`, so
    equal batch numbers of two companies never share a link."""
    from ledgerbridge.core.connections import StoredConnection
    from ledgerbridge.plugins.visma_net.emulator.testing import connection as visma_connection

    env = env_for([company(12, run(9001, 1)), company(14, run(9101, 1))])
    env.configure(
        administrations=[
            {"nmbrsCompanyId": 12, "branch": "1"},
            {"nmbrsCompanyId": 14, "branch": "1", "connection": "oslo"},
        ]
    )
    record = env.workspace.tenant("acme")
    settings = {
        **visma_connection(env.sandbox),
        "clientSecret": {"secret": "visma_client_secret"},
        "tenantId": {"secret": "visma_tenant_id"},
    }
    record.connections["oslo"] = StoredConnection("oslo", "visma_net", settings).to_json()
    env.workspace.save_tenant(record)

    first = env.run()
    assert first.succeeded == 2, first.errors
    sides = {
        s.key: link.side("visma_net", "journal").key  # type: ignore[union-attr]
        for link in StateDB(env.workspace.db_path).links("acme", "nmbrs_journals").list()
        for s in link.sides
        if s.system == "nmbrs"
    }
    assert sides["12/9001/202401"].isdigit()
    assert sides["14/9101/202401"].startswith("oslo/")
    again = env.run()
    assert again.succeeded == 0 and env.posts() == 2  # each sent once

    env.configure(administrations=[{"nmbrsCompanyId": 12, "branch": "1", "connection": "nowhere"}])
    refused = env.run()
    assert refused.status == "aborted" and "nowhere" in (refused.message or "")
