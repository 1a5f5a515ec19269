"""The mapping and its checks: unmapped companies listed by a dry run, bad
Format BAS/PNL patterns and dimension descriptions as config errors naming
what exists, and accounts or cost centers a journal cannot be booked on."""

from __future__ import annotations

from typing import Any

import pytest
from nmbrs_support import company, line, run

from ledgerbridge.core.errors import ConfigError
from ledgerbridge.plugins.nmbrs_journals.settings import check_config

DIMENSIONS = {"costCenter": "Avdelning", "costUnit": "Projekt"}


def test_unmapped_companies_are_listed_by_run_dry_run(env_for: Any, lb_cli: Any) -> None:
    companies = [company(12, run(9001, 1)), company(13, run(9101, 1)), company(14)]
    env = env_for(companies, serve=True, ignoreCompanies=[14])
    env.configure(administrations=[{"nmbrsCompanyId": 12, "branch": "1"}])
    result = lb_cli("run", "acme", "nmbrs_journals", "--dry-run")
    out = result.output
    assert "company 13" in out, out
    assert "Nmbrs company 3 'Bolag 13 AB' (ID 13) has no administration mapping" in out
    assert "company 14" not in out  # ignored on purpose
    assert env.posts() == 0  # a dry run sends nothing
    summary = env.run()  # a real run reports it too, and sends the mapped one
    assert [e["record"] for e in summary.errors] == ["company 13"]
    assert "ignoreCompanies" in summary.errors[0]["fix"]
    assert len(env.received()) == 1


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("[0-3][0-9", "never closed"),
        ("[3-0][0-9]", "runs backwards"),
        ("[][0-9]", "is empty"),
        ("4*", "neither a [class]"),
    ],
)
def test_a_bad_format_pattern_is_a_config_error(pattern: str, why: str) -> None:
    config = {"administrations": [], "formatBas": pattern, "formatPnl": "[4-9][0-9][0-9][0-9]"}
    [problem] = check_config(config)
    assert problem.startswith("key 'formatBas'") and why in problem
    assert "[0-3][0-9][0-9][0-9]" in problem  # the fix shows the form


def test_a_bad_pattern_aborts_the_run_naming_it(env_for: Any) -> None:
    env = env_for([company(12, run(9001, 1))], formatBas="[0-3", formatPnl="[4-9]")
    with pytest.raises(ConfigError) as raised:
        env.run()
    assert "key 'formatBas': '[0-3' the '[' at position 1 is never closed" in str(raised.value)
    assert env.posts() == 0


def test_a_dimension_matching_no_segment_is_a_config_error_naming_those_that_exist(
    env_for: Any,
) -> None:
    admin = {"nmbrsCompanyId": 12, "dimensions": {"costCenter": "Kostnadsställe"}}
    env = env_for([company(12, run(9001, 1))], administrations=[admin])
    summary = env.run()
    assert summary.status == "aborted"
    message = summary.message or ""
    assert "'Kostnadsställe' matches no dimension" in message
    assert "'Avdelning', 'Projekt'" in message
    assert env.posts() == 0


def test_descriptions_match_ignoring_case_and_spacing(env_for: Any) -> None:
    admin = {"nmbrsCompanyId": 12, "dimensions": {"costCenter": " avdelning "}}
    env = env_for([company(12, run(9001, 1))], administrations=[admin])
    assert env.run().succeeded == 1


def test_a_branch_visma_net_lacks_is_a_config_error(env_for: Any) -> None:
    env = env_for(
        [company(12, run(9001, 1))], administrations=[{"nmbrsCompanyId": 12, "branch": "9"}]
    )
    summary = env.run()
    assert summary.status == "aborted"
    assert "'9' is not a branch" in (summary.message or "") and "1, 2" in (summary.message or "")


def test_an_account_outside_both_formats_fails_that_journal_naming_it(env_for: Any) -> None:
    odd = run(
        9002,
        2,
        transactions=[
            {
                "date": "20240229",
                "lines": [
                    line("7210", "debit", "10.00", costCenter="100"),
                    line("2890", "credit", "10.00"),
                ],
            }
        ],
    )
    admin = {
        "nmbrsCompanyId": 12,
        "dimensions": DIMENSIONS,
        "formatBas": "[0-1][0-9][0-9][0-9]",
        "formatPnl": "[4-6][0-9][0-9][0-9]",
    }
    env = env_for(
        [company(12, odd), company(13, run(9101, 1))],
        administrations=[admin, {"nmbrsCompanyId": 13}],
    )
    summary = env.run()
    assert (summary.succeeded, summary.failed) == (1, 1)
    [err] = summary.errors
    assert "account 7210" in err["message"] and "neither" in err["message"]
    assert err["value"] == "7210"


def test_a_cost_center_without_a_segment_value_fails_that_journal(env_for: Any) -> None:
    odd = run(
        9002,
        2,
        transactions=[
            {
                "date": "20240229",
                "lines": [
                    line("7210", "debit", "10.00", costCenter="KP99"),
                    line("2890", "credit", "10.00"),
                ],
            }
        ],
    )
    admin = {"nmbrsCompanyId": 12, "dimensions": DIMENSIONS}
    env = env_for([company(12, odd)], administrations=[admin])
    summary = env.run()
    [err] = summary.errors
    assert "cost center KP99" in err["message"] and "'Avdelning'" in err["message"]
    assert "add the value KP99" in err["fix"]


def test_a_company_mapped_twice_is_a_config_error() -> None:
    config = {"administrations": [{"nmbrsCompanyId": 1}, {"nmbrsCompanyId": 1}]}
    [problem] = check_config(config)
    assert "mapped twice" in problem
