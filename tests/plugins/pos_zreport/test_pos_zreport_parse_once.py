"""The zreports, invoice_bases and stock flows read the same SAF-T files:
with the run's parse cache each new or changed file is parsed once a run for
all of them, with the records, Rejected items and outcomes of a parse per
flow; a file or side file changed between two flows' reads is parsed again;
a flow switched off takes no part; settled files are still skipped per flow.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pos_support import SHOPS, D, PosEnv, a_day, base_config

from ledgerbridge.core.parsecache import ParseCache
from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.core.sandbox import parse_fault
from ledgerbridge.plugins.pos_zreport import plugin, source
from ledgerbridge.plugins.pos_zreport.saft.generator import (
    Customer,
    Day,
    Line,
    Receipt,
    Shop,
    write_saft,
)
from ledgerbridge.plugins.pos_zreport.saft.parts import SharedParse
from ledgerbridge.plugins.pos_zreport.settings import load_settings
from ledgerbridge.plugins.pos_zreport.source import SaftSource
from ledgerbridge.plugins.visma_net.emulator.stock import stock_of
from tests.parse_support import keep_caches

CUSTOMER = Customer("77", "Bjørnstad Rør AS", "912345678", "22334455", "post@bjornstad.no")
SHOP = Shop(location="Butikk Sentrum", register="1", customers=[CUSTOMER])
ENTITIES = ("zreport", "invoice_basis", "stock_issue")
FLOWS = ("zreports", "invoice_bases", "stock")
FILES = ("sentrum/a.xml", "sentrum/bad.xml", "storgata/b.xml", "storgata/c.xml")


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """SAF-T files read_saft parsed, per folder/name."""
    seen: Counter[str] = Counter()
    real = source.read_saft

    def counting(path: Path, encoding: str = "UTF-8") -> Any:
        seen[f"{path.parent.name}/{path.name}"] += 1
        return real(path, encoding)

    monkeypatch.setattr(source, "read_saft", counting)
    return seen


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[ParseCache]:
    made = ParseCache(tmp_path)
    yield made
    made.close()


@pytest.fixture
def caches(monkeypatch: pytest.MonkeyPatch) -> list[ParseCache]:
    """The parse cache of every run, kept to look at after the run."""
    return keep_caches(monkeypatch, plugin)


def credit_day(date: str = "2024-03-12", report: str = "118") -> Day:
    day = a_day(date, report)
    day.receipts.append(
        Receipt(
            [
                Line("1001", D(3), D("45.00"), "25.00", D("9.00")),
                Line("1002", D(-1), D("38.00"), "15.00", D("11.50")),
            ],
            "BANKAXEPT",
            "13:00:00",
            customer="77",
        )
    )
    return day


def write_files(folder: Path) -> None:
    """Four files in two departments: a day with a credit sale and a side
    file, an ordinary day, a file that is not SAF-T, one with a bad side file."""
    sentrum, storgata = folder / "sentrum", folder / "storgata"
    write_saft(sentrum / "a.xml", SHOP, [credit_day()])
    side = {"registerID": "1", "reportID": "118", "countedCash": "49.90", "note": "ok"}
    settlements = {"format": "pos_zreport.settlement/1", "settlements": [side]}
    (sentrum / "a.settlement.json").write_text(json.dumps(settlements), encoding="utf-8")
    write_saft(storgata / "b.xml", SHOPS["storgata"], [a_day("2024-03-12", "40", cash=False)])
    (sentrum / "bad.xml").write_text("<auditfile><header>", encoding="utf-8")
    write_saft(storgata / "c.xml", SHOPS["storgata"], [a_day("2024-03-13", "41")])
    (storgata / "c.settlement.json").write_text("{not json", encoding="utf-8")


def outcome(item: Record | Rejected) -> tuple[Any, ...]:
    """All an item says (a Rejected's error compared by its fields)."""
    if isinstance(item, Rejected):
        fields = (item.entity, item.key, item.partition, item.cursor, item.origin)
        return ("rejected", *fields, str(item.error), vars(item.error))
    fields = (item.entity, item.key, item.partition, item.cursor, item.origin)
    return ("record", *fields, item.data, item.hash)


def sources(settings: Any, cache: ParseCache | None) -> list[SaftSource]:
    """The three flows' sources as build_flows makes them (the last spools nothing)."""
    return [
        SaftSource(
            settings,
            entity,
            None,
            None if cache is None else SharedParse(cache, spools=entity != ENTITIES[-1]),
        )
        for entity in ENTITIES
    ]


def test_the_flows_get_the_items_of_a_parse_per_flow_from_one_parse(
    tmp_path: Path, parsed: Counter[str], cache: ParseCache
) -> None:
    folder = tmp_path / "saft"
    config = {**base_config(folder), "giftCardArticleGroups": ["99"]}
    settings = load_settings(config, base=tmp_path)
    for dept in settings.departments.values():
        dept.folder.mkdir(parents=True)
    write_files(folder)

    alone = [[outcome(i) for i in s.read(None)] for s in sources(settings, None)]
    assert parsed == dict.fromkeys(FILES, 3)  # a parse per flow
    parsed.clear()

    shared = [[outcome(i) for i in s.read(None)] for s in sources(settings, cache)]
    assert shared == alone  # records, their hashes and origins, and every Rejected's error
    assert parsed == dict.fromkeys(FILES, 1)  # a bad file's fault, too, is spooled
    # every file spooled by the first flow, replayed by the two after it
    assert (cache.stats.spooled, cache.stats.replayed, cache.stats.dropped) == (4, 8, 0)

    keys = [[(o[0], o[2]) for o in flow] for flow in alone]
    bad = [("rejected", "sentrum/bad.xml"), ("rejected", "storgata/c.xml")]
    zkeys = [("record", "sentrum/1/118"), ("record", "storgata/7/40")]
    assert keys == [
        [zkeys[0], bad[0], zkeys[1], bad[1]],
        [("record", "sentrum/1/20240312-3"), *bad],
        [zkeys[0], bad[0], zkeys[1], bad[1]],
    ]
    z118 = alone[0][0]
    assert z118[6]["countedCash"] == "49.90" and z118[6]["note"] == "ok"  # the side file


def test_a_file_or_side_file_rewritten_between_two_flows_is_parsed_again(
    tmp_path: Path, parsed: Counter[str], cache: ParseCache
) -> None:
    folder = tmp_path / "saft"
    settings = load_settings(base_config(folder), base=tmp_path)
    for dept in settings.departments.values():
        dept.folder.mkdir(parents=True)
    path = write_saft(folder / "sentrum" / "a.xml", SHOP, [credit_day()])
    zreports, bases, stock = sources(settings, cache)

    assert [r.key for r in zreports.read(None)] == ["sentrum/1/118"]
    write_saft(path, SHOP, [credit_day("2024-03-13", "119")])  # rewritten by DUELL
    (first,) = bases.read(None)
    assert first.data["date"] == "2024-03-13"  # the new file's sale, not the spooled one
    assert parsed == {"sentrum/a.xml": 2}
    side = {"registerID": "1", "reportID": "119", "settlementDate": "2024-03-14"}
    (folder / "sentrum" / "a.settlement.json").write_text(
        json.dumps({"format": "pos_zreport.settlement/1", "settlements": [side]}),
        encoding="utf-8",
    )
    (issue,) = stock.read(None)
    assert issue.key == "sentrum/1/119" and issue.data["settlementDate"] == "2024-03-14"
    assert parsed == {"sentrum/a.xml": 3}  # its side file changed: parsed again
    assert cache.stats.replayed == 0


def _stocked(env: PosEnv) -> int:
    return len(stock_of(env.app("visma_net")).issues.all())


def _env(pos: Any, **config: Any) -> PosEnv:
    items = [
        {
            "inventoryNumber": n,
            "description": n,
            "type": "FinishedGoodItem",
            "warehouseDetails": [
                {"warehouse": "BUTIKK1", "quantityOnHand": 50.0},
                {"warehouse": "BUTIKK2", "quantityOnHand": 50.0},
            ],
        }
        for n in ("1001", "1002", "2002")
    ]
    customers = [{"number": "10001", "name": "Bjørnstad", "corporateId": "912345678"}]
    return pos(
        invoiceAccount="3000",
        settings={"visma_net": {"inventory": items, "customers": customers}},
        **config,
    )


@pytest.mark.parametrize("cached", [True, False], ids=["cache", "no-cache"])
def test_a_run_parses_each_changed_file_once_with_the_outcomes_of_a_parse_per_flow(
    pos: Any,
    parsed: Counter[str],
    caches: list[ParseCache],
    monkeypatch: pytest.MonkeyPatch,
    cached: bool,
) -> None:
    if not cached:  # RunOptions.parse_cache False: each flow parses (as before the cache)
        monkeypatch.setattr(plugin, "parse_cache", lambda ctx: None)
    env = _env(pos, stock=True)
    write_files(env.folder)
    summary = env.run()

    per_flow = {f.name: (f.succeeded, f.failed) for f in summary.flows if f.name in FLOWS}
    assert per_flow == {"zreports": (2, 2), "invoice_bases": (1, 2), "stock": (2, 2)}
    reported = sorted((e["flow"], e["record"], e["message"]) for e in summary.errors)
    assert [(f, r) for f, r, _ in reported] == [
        (flow, f"{entity} {file}")
        for flow, entity in sorted(zip(FLOWS, ENTITIES, strict=True))
        for file in ("sentrum/bad.xml", "storgata/c.xml")
    ]
    messages = {(r.split()[1], m) for _, r, m in reported}
    assert len(messages) == 2  # each file's fault in the same words for every flow
    assert any("c.settlement.json cannot be read as UTF-8 JSON" in m for _, m in messages)
    assert len(env.journals()) == 2 and len(env.visma.invoices.all()) == 1 and _stocked(env) == 2

    times = 1 if cached else 3
    assert parsed == dict.fromkeys(FILES, times)
    if cached:
        (cache,) = caches
        assert (cache.stats.spooled, cache.stats.replayed) == (4, 8)
        assert cache.size == 0  # released at the run's end
    parsed.clear()

    again = env.run()  # settled files skipped per flow; the two bad ones read again
    assert again.succeeded == 0 and again.failed == 6
    assert parsed == {"sentrum/bad.xml": times, "storgata/c.xml": times}


@pytest.mark.parametrize(
    ("config", "flows"),
    [
        ({"stock": True, "invoices": False}, ("zreports", "stock")),
        ({"stock": True, "zReport": False}, ("invoice_bases", "stock")),
        ({"stock": False}, ("zreports", "invoice_bases")),
        ({"invoices": False}, ("zreports",)),
    ],
    ids=["invoices-off", "zreport-off", "stock-off", "zreports-alone"],
)
def test_a_flow_switched_off_takes_no_part(
    pos: Any,
    parsed: Counter[str],
    caches: list[ParseCache],
    config: dict[str, Any],
    flows: tuple[str, ...],
) -> None:
    env = _env(pos, **config)
    env.write("sentrum", "a.xml", [credit_day()], shop=SHOP)
    env.write("storgata", "b.xml", [a_day("2024-03-12", "40", cash=False)])
    summary = env.run()
    assert summary.failed == 0, summary.errors
    assert tuple(f.name for f in summary.flows if f.name in FLOWS) == flows
    assert parsed == {"sentrum/a.xml": 1, "storgata/b.xml": 1}
    if len(flows) == 1:
        assert caches == []  # one flow alone: no spool at all
    else:
        (cache,) = caches
        assert (cache.stats.spooled, cache.stats.replayed) == (2, 2)


def test_a_file_settled_for_some_flows_is_parsed_by_the_flow_that_still_needs_it(
    pos: Any, parsed: Counter[str], caches: list[ParseCache]
) -> None:
    """The invoice basis was refused once: the next run, zreports and stock
    skip the settled file and invoice_bases parses it; a new file is parsed
    once for all three."""
    env = _env(pos, stock=True)
    env.sandbox.faults.add(parse_fault("POST /v2/customerinvoice: 400 x1"))
    env.write("sentrum", "a.xml", [credit_day()], shop=SHOP)
    first = env.run()
    assert [e["flow"] for e in first.errors] == ["invoice_bases"]
    parsed.clear()
    env.write("storgata", "b.xml", [a_day("2024-03-12", "40", cash=False)])
    second = env.run()
    assert second.failed == 0 and second.succeeded == 3, second.errors
    assert parsed == {"sentrum/a.xml": 1, "storgata/b.xml": 1}
    assert len(env.visma.invoices.all()) == 1
    # a.xml spooled by invoice_bases (stock, after it, had it settled); b.xml by
    # zreports, replayed by the two others
    assert (caches[-1].stats.spooled, caches[-1].stats.replayed) == (2, 2)
