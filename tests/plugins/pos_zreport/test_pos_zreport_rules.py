"""The seed's rules for Z reports: what is refused (alone, named), and what is
sent once whatever happens."""

from __future__ import annotations

from typing import Any

from pos_support import a_day

from ledgerbridge.core.errors import ConfigError
from ledgerbridge.core.sandbox import parse_fault
from ledgerbridge.plugins.pos_zreport.plugin import check_config
from ledgerbridge.plugins.pos_zreport.settings import load_settings


def test_a_vat_rate_without_mapping_refuses_that_report_alone_naming_the_rate(pos: Any) -> None:
    env = pos()
    env.configure(vatMap={"25": {"vatId": "3"}, "12": {"vatId": "33"}, "0": {"vatId": "5"}})
    env.write("sentrum", "z.xml", [a_day("2024-03-12", "118")])  # sells a bun at 15 %
    env.write("storgata", "z.xml", [a_day("2024-03-12", "40", cash=False)])
    env.configure(vatMap={"25": {"vatId": "3"}, "12": {"vatId": "33"}})
    summary = env.run()
    assert summary.failed == 2 and summary.succeeded == 0  # both sell at 15 %
    err = summary.errors[0]
    assert "VAT rate 15.00 % has no Avgiftsnr in vatMap" in err["message"]
    assert err["field"] == "vat[2].vatPerc" or err["field"].startswith("vat[")
    assert '"15.00": {"vatId": "<Avgiftsnr>"}' in err["fix"]
    assert env.journals() == []
    env.configure(vatMap={"25": {"vatId": "3"}, "15": {"vatId": "31"}, "12": {"vatId": "33"}})
    assert env.run().succeeded == 2  # the fix, and both are sent


def test_a_vat_mapping_that_visma_net_does_not_have_or_with_another_rate_is_refused(
    pos: Any,
) -> None:
    env = pos()
    env.configure(vatMap={"25": {"vatId": "3"}, "15": {"vatId": "3"}, "0": {"vatId": "5"}})
    env.write("sentrum", "z.xml", [a_day("2024-03-12", "118")])
    summary = env.run()
    assert summary.failed == 1
    assert "maps to Avgiftsnr 3, which is 25 % in Visma.net" in summary.errors[0]["message"]
    env.configure(vatMap={"25": {"vatId": "3"}, "15": {"vatId": "99"}, "0": {"vatId": "5"}})
    summary = env.run()
    assert "Avgiftsnr 99, which Visma.net does not have" in summary.errors[0]["message"]
    assert env.journals() == []


def test_an_account_missing_in_the_plan_or_in_visma_net_refuses_that_report(pos: Any) -> None:
    env = pos()
    accounts = dict(env.config["accounts"])
    accounts["payments"] = {"CASH": "1900"}  # no BankAxept account
    env.configure(accounts=accounts)
    env.write("sentrum", "z.xml", [a_day("2024-03-12", "118")])
    env.write("storgata", "z.xml", [a_day("2024-03-12", "40")])
    summary = env.run()
    assert summary.failed == 2
    err = summary.errors[0]
    assert "the account plan has no account for payment type BANKAXEPT" in err["message"]
    assert err["field"] == "accounts.payments.BANKAXEPT"
    accounts["payments"] = {"CASH": "1900", "BANKAXEPT": "1999"}  # not in the chart
    env.configure(accounts=accounts)
    summary = env.run()
    assert (
        "account 1999 (accounts.payments.BANKAXEPT) is not in Visma.net's chart"
        in (summary.errors[0]["message"])
    )
    assert env.posts("/v2/journaltransaction") == 0


def test_a_report_that_does_not_balance_to_the_ore_is_not_sent(pos: Any) -> None:
    env = pos()
    path = env.write("sentrum", "z.xml", [a_day("2024-03-12", "118")])
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("<paymentAmnt>128.00</paymentAmnt>", "<paymentAmnt>127.99</paymentAmnt>"),
        encoding="utf-8",
    )
    summary = env.run()
    assert summary.failed == 1
    err = summary.errors[0]
    assert "does not balance: debits 177.99, credits 178.00 (difference -0.01)" in err["message"]
    assert env.posts("/v2/journaltransaction") == 0


def test_a_z_report_is_sent_once_across_re_runs(pos: Any) -> None:
    env = pos()
    env.write("sentrum", "z.xml", [a_day("2024-03-12", "118")])
    assert env.run().succeeded == 1
    again = env.run()
    assert again.succeeded == 0 and again.failed == 0
    assert env.run(full=True).failed == 0
    assert env.posts("/v2/journaltransaction") == 1 and len(env.journals()) == 1


def test_a_lost_answer_is_found_again_not_sent_twice(pos: Any) -> None:
    env = pos()
    env.write("sentrum", "z.xml", [a_day("2024-03-12", "118")])
    env.sandbox.faults.add(parse_fault("POST /v2/journaltransaction: drop-after x1"))
    first = env.run()
    assert first.succeeded == 0  # the batch was created, its answer lost
    assert len(env.journals()) == 1
    second = env.run()
    assert second.failed == 0
    assert len(env.journals()) == 1  # found by its description, bound, not re-sent
    assert env.posts("/v2/journaltransaction") == 1


def test_a_report_changed_after_it_was_sent_is_refused(pos: Any) -> None:
    env = pos()
    path = env.write("sentrum", "z.xml", [a_day("2024-03-12", "118")])
    assert env.run().succeeded == 1
    env.write("sentrum", "z.xml", [a_day("2024-03-12", "118", cash=False)])
    assert path.exists()
    summary = env.run()
    assert summary.failed == 1
    assert "sent once" in summary.errors[0]["message"]
    assert len(env.journals()) == 1


def test_a_late_department_is_never_skipped(pos: Any) -> None:
    env = pos()
    env.write("sentrum", "z-0312.xml", [a_day("2024-03-12", "118")])
    env.write("sentrum", "z-0313.xml", [a_day("2024-03-13", "119")])
    assert env.run().succeeded == 2
    # Storgata's files of the 10th and 11th arrive after Sentrum's 13th was sent,
    # and a file of Sentrum's 11th too
    env.write("storgata", "z-0310.xml", [a_day("2024-03-10", "38"), a_day("2024-03-11", "39")])
    env.write("sentrum", "z-0311.xml", [a_day("2024-03-11", "117")])
    summary = env.run()
    assert summary.succeeded == 3 and summary.failed == 0
    got = sorted(j["description"] for j in env.journals())
    assert got == [
        "DUELL Z 117 Butikk Sentrum 1",
        "DUELL Z 118 Butikk Sentrum 1",
        "DUELL Z 119 Butikk Sentrum 1",
        "DUELL Z 38 Storgata 7",
        "DUELL Z 39 Storgata 7",
    ]


def test_a_missing_department_folder_fails_alone(pos: Any) -> None:
    env = pos()
    env.write("sentrum", "z.xml", [a_day("2024-03-12", "118")])
    (env.folder / "storgata").rmdir()
    summary = env.run()
    # it fails in each flow reading the files (Z reports, invoice bases), and only it
    assert summary.succeeded == 1 and summary.failed == 2
    assert "The SAF-T folder" in summary.errors[0]["message"]
    assert "Storgata" in summary.errors[0]["message"]


def test_an_invalid_file_fails_alone_naming_the_file_and_line(pos: Any) -> None:
    env = pos()
    env.write("sentrum", "a-good.xml", [a_day("2024-03-12", "118")])
    bad = env.write("sentrum", "b-bad.xml", [a_day("2024-03-13", "119")])
    bad.write_text(
        bad.read_text(encoding="utf-8").replace(
            "<reportType>Z report</reportType>", "<reportType>Y report</reportType>"
        ),
        encoding="utf-8",
    )
    env.write("sentrum", "c-good.xml", [a_day("2024-03-14", "120")])
    summary = env.run()
    assert summary.succeeded == 2 and summary.failed == 2  # in both flows reading it
    err = summary.errors[0]
    assert "sentrum/b-bad.xml" in err["record"]
    assert "SAF-T file b-bad.xml near line" in err["message"]
    assert "reportType" in err["message"]
    assert "export b-bad.xml again from DUELL" in err["fix"]


def test_automatic_transfer_off_sends_only_what_is_asked_for(pos: Any) -> None:
    env = pos(automaticTransfer=False)
    env.write("sentrum", "z.xml", [a_day("2024-03-12", "118")])
    env.write("storgata", "z.xml", [a_day("2024-03-12", "40")])
    assert env.run().succeeded == 0
    assert env.journals() == []
    assert env.run(params={"transfer": ["sentrum"]}).succeeded == 1
    assert [j["description"] for j in env.journals()] == ["DUELL Z 118 Butikk Sentrum 1"]
    assert env.run(params={"transfer": ["all"]}).succeeded == 1


def test_stock_change_and_stock_together_are_refused_at_config_time(tmp_path: Any) -> None:
    from pos_support import base_config

    config = {**base_config(tmp_path), "stockChange": True, "stock": True}
    found = check_config(config)
    assert any("count it twice" in p for p in found)
    try:
        load_settings(config)
    except ConfigError as exc:
        assert "stockChange" in str(exc.problems)
    else:  # pragma: no cover
        raise AssertionError("the combination was accepted")
    assert check_config({**base_config(tmp_path), "stock": True}) == []


def test_document_numbers_of_departments_on_other_connections_are_kept_apart(
    tmp_path: Any,
) -> None:
    """Visma.net numbers batches per company: batch 000001 of the Oslo
    company is not batch 000001 of the main one, so links keep them apart."""
    from pos_support import base_config

    from ledgerbridge.core.components import WriteResult
    from ledgerbridge.plugins.pos_zreport.settings import load_settings
    from ledgerbridge.plugins.pos_zreport.visma import Companies

    config = base_config(tmp_path)
    config["departments"]["storgata"]["connection"] = "oslo"
    companies = Companies(None, load_settings(config))  # type: ignore[arg-type]
    main = companies.qualified("sentrum", WriteResult("000001", "created"))
    oslo = companies.qualified("storgata", WriteResult("000001", "created"))
    assert main is not None and main.remote_id == "000001"
    assert oslo is not None and oslo.remote_id == "oslo/000001"
    assert companies.qualified("storgata", None) is None
