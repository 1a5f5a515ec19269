"""Z reports -> open journal batches: what Visma.net received, line by line."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pos_support import D, a_day, amounts, totals

from ledgerbridge.plugins.pos_zreport.saft.generator import Day, Line, Receipt


def test_each_department_settlement_becomes_one_open_balanced_batch(pos: Any) -> None:
    env = pos()
    env.write("sentrum", "2024-03-12.xml", [a_day("2024-03-12", "118")])
    env.write("storgata", "2024-03-12.xml", [a_day("2024-03-12", "40", cash=False)])
    summary = env.run()
    assert summary.succeeded == 2 and summary.failed == 0, summary.errors
    journals = {j["description"]: j for j in env.journals()}
    assert set(journals) == {"DUELL Z 118 Butikk Sentrum 1", "DUELL Z 40 Storgata 7"}
    sentrum = journals["DUELL Z 118 Butikk Sentrum 1"]
    # open: saved, not released (no release call was made)
    assert sentrum["status"] == "Balanced" and not sentrum["hold"]
    assert not env.sandbox.journal.find(path_glob="*/action/release")
    got = amounts(sentrum)
    # 2 x 45.00 at 25 % = 90.00 -> 72.00 + 18.00; 38.00 at 15 % -> 33.04 + 4.96;
    # 49.90 at 25 % -> 39.92 + 9.98, paid 50 kroner in cash (rounding 0.10)
    assert got[("3000", "C")] == D("111.92")
    assert got[("2700", "C")] == D("27.98")
    assert got[("3020", "C")] == D("33.04")
    assert got[("2701", "C")] == D("4.96")
    assert got[("1920", "D")] == D("128.00")
    assert got[("1900", "D")] == D("50.00")
    assert got[("7740", "C")] == D("0.10")  # the customer paid 0.10 more: a rounding gain
    debit, credit = totals(sentrum)
    assert debit == credit == D("178.00")
    received = sentrum["received"]
    assert received["transactionDate"] == "2024-03-12T00:00:00"
    assert received["financialPeriod"] == "202403"
    assert received["branch"] == "1" and received["currencyId"] == "NOK"
    revenue = [ln for ln in received["journalTransactionLines"] if ln["accountNumber"] == "3000"]
    assert revenue[0]["vatCodeId"] == "3" and revenue[0]["vatId"] == "3"
    for line in received["journalTransactionLines"]:
        assert line["branch"] == "1" and line["referenceNumber"] == "118"
        assert line["subaccount"] == [{"segmentId": 1, "segmentValue": "100"}]
    assert journals["DUELL Z 40 Storgata 7"]["received"]["branch"] == "2"


def test_tips_gift_cards_pay_outs_and_stock_change(pos: Any) -> None:
    env = pos(stockChange=True, giftCardArticleGroups=["900"])
    day = Day(
        date="2024-05-02",
        report_id="7",
        receipts=[
            Receipt(
                [Line("1001", D(1), D("45.00"), "25.00", D("9.00"))],
                "VISA",
                "10:00:00",
                tip=D("10.00"),
            ),
            Receipt(
                [Line("GK500", D(1), D("500.00"), "0.00", None, "900")], "BANKAXEPT", "11:00:00"
            ),
            Receipt([Line("2001", D(2), D("129.00"), "25.00", D("52.00"))], "CASH", "12:00:00"),
        ],
        pay_outs=D("200.00"),
    )
    env.write("sentrum", "2024-05-02.xml", [day])
    summary = env.run()
    assert summary.succeeded == 1, summary.errors
    (journal,) = env.journals()
    got = amounts(journal)
    assert got[("2960", "C")] == D("10.00")  # tips: owed to the staff
    assert got[("2900", "C")] == D("500.00")  # gift card sold: a liability, not revenue
    assert ("3100", "C") not in got  # nothing booked as 0 % revenue
    assert got[("2380", "D")] == D("55.00")  # the card payment holds the tip
    assert got[("1950", "D")] == D("200.00") and got[("1900", "C")] == D("200.00")
    assert got[("4390", "D")] == D("113.00") and got[("1460", "C")] == D("113.00")  # 9 + 2 x 52
    debit, credit = totals(journal)
    assert debit == credit


def test_counted_cash_difference_from_the_side_file(pos: Any) -> None:
    env = pos()
    env.write("sentrum", "z.xml", [a_day("2024-03-12", "118")])
    # expected drawer: 1500.00 float + 50.00 cash; counted 1530.00 -> 20.00 short
    env.side(
        "sentrum",
        "z.xml",
        [{"registerID": "1", "reportID": "118", "countedCash": "1530.00", "note": "feil veksel"}],
    )
    assert env.run().succeeded == 1
    (journal,) = env.journals()
    got = amounts(journal)
    assert got[("7790", "D")] == D("20.00")
    assert got[("1900", "C")] == D("20.00")
    texts = {ln["transactionDescription"] for ln in journal["received"]["journalTransactionLines"]}
    assert "Kassedifferanse: feil veksel" in texts


def test_a_late_settlement_across_a_month_end_is_booked_in_its_own_period(pos: Any) -> None:
    env = pos()
    late = a_day("2024-03-31", "200")
    late.report_date, late.report_time = "2024-04-01", "00:40:00"  # run after midnight
    env.write("sentrum", "z-0331.xml", [late])
    env.side(
        "sentrum",
        "z-0331.xml",
        [{"registerID": "1", "reportID": "200", "settlementDate": "2024-03-31"}],
    )
    assert env.run().succeeded == 1  # the run date is 2026-01-01 (the test clock)
    # and a February settlement whose file only arrives now
    env.write("sentrum", "z-0229.xml", [a_day("2024-02-29", "180")])
    assert env.run().succeeded == 1
    booked = {j["description"]: j["received"] for j in env.journals()}
    march = booked["DUELL Z 200 Butikk Sentrum 1"]
    assert march["financialPeriod"] == "202403"
    assert march["transactionDate"] == "2024-03-31T00:00:00"
    feb = booked["DUELL Z 180 Butikk Sentrum 1"]
    assert feb["financialPeriod"] == "202402" and feb["transactionDate"] == "2024-02-29T00:00:00"


def test_a_closed_period_is_refused_by_visma_net_naming_the_period(pos: Any) -> None:
    env = pos(
        settings={
            "visma_net": {
                "master_data": {
                    "financial_periods": [
                        {"period": "202403", "closedInGeneralLedger": True},
                        "202404",
                    ]
                }
            }
        }
    )
    env.write("sentrum", "z.xml", [a_day("2024-03-12", "118")])
    summary = env.run()
    assert summary.failed == 1
    assert "202403" in summary.errors[0]["message"]


def test_every_body_sent_validates_against_the_visma_net_schema(pos: Any) -> None:
    env = pos(stockChange=True)
    env.write("sentrum", "z.xml", [a_day("2024-03-12", "118"), a_day("2024-03-13", "119")])
    assert env.run().succeeded == 2
    posts = env.sandbox.journal.find(method="POST", path="/v2/journaltransaction")
    assert [p.status for p in posts] == [201, 201]  # the emulator validates every body (strict)


def _receipts(*amounts_: str) -> list[Receipt]:
    return [
        Receipt([Line("2001", D(1), Decimal(a), "25.00", D("1"))], "BANKAXEPT") for a in amounts_
    ]


def test_settled_files_are_not_parsed_again_a_late_or_changed_one_is(
    pos: Any, monkeypatch: Any
) -> None:
    """A re-run with nothing new parses no SAF-T file; a late file of one
    department, and a file whose side file changed, are read."""
    from ledgerbridge.plugins.pos_zreport import source

    parsed: list[str] = []
    read_saft = source.read_saft

    def counting(path: Any, encoding: str) -> Any:
        parsed.append(path.name)
        return read_saft(path, encoding)

    monkeypatch.setattr(source, "read_saft", counting)
    env = pos()
    env.write("sentrum", "2024-03-12.xml", [a_day("2024-03-12", "118")])
    env.write("storgata", "2024-03-12.xml", [a_day("2024-03-12", "40", cash=False)])
    assert env.run().succeeded == 2
    parsed.clear()
    again = env.run()
    assert (again.succeeded, again.failed) == (0, 0) and parsed == []

    env.write("storgata", "2024-03-11.xml", [a_day("2024-03-11", "39", cash=False)])  # late
    late = env.run()
    assert late.succeeded == 1 and set(parsed) == {"2024-03-11.xml"}  # by each flow reading it
    parsed.clear()
    env.side("sentrum", "2024-03-12.xml", [{"registerID": "1", "reportID": "118", "note": "x"}])
    env.run()
    assert set(parsed) == {"2024-03-12.xml"}  # read again; its Z report was sent once
    assert len(env.journals()) == 3
