"""The run's parse cache (core/parsecache.py): its contract.

A later flow replays exactly what the first parse yielded, for the same
files, bytes and options only; nothing partial, stale or over the limits is
kept; the spool has no name on disk and is gone when closed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ledgerbridge.core import parsecache
from ledgerbridge.core.context import RunOptions
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.parsecache import ParseCache, ParseKey
from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.core.sourcefiles import file_digest

PDF = bytes(range(256)) * 400  # 100 kB


def export(tmp_path: Path, text: str = "<a/>", name: str = "a.xml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def key_of(path: Path, options: Any = ("utf-8",)) -> ParseKey:
    digest = file_digest(path)
    assert digest is not None
    return ParseKey.of([path], digest, options)


def items(pdf: bytes = PDF) -> list[Record | Rejected]:
    error = RecordError("file a.xml, line 3: bad", field="InvoiceDate", rule="a date", fix="fix")
    return [
        Record("invoice", "1", {"rows": [{"amount": "10.00"}]}, "c1", {"pdf": pdf}, origin="o"),
        Rejected("invoice", "2", error, "c2", origin="o"),
        Record("invoice", "3", {"rows": []}, "c3"),
    ]


def counted(values: list[Any], seen: list[int]) -> Iterator[Any]:
    """`values`, counting each one made (what a parse costs)."""
    for value in values:
        seen.append(1)
        yield value


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[ParseCache]:
    spool_dir = tmp_path / "ws"
    spool_dir.mkdir()
    made = ParseCache(spool_dir)
    yield made
    made.close()


def test_a_later_reader_replays_what_the_parse_yielded(tmp_path: Path, cache: ParseCache) -> None:
    path = export(tmp_path)
    key = key_of(path)
    assert cache.replay(key) is None
    made: list[int] = []
    first = list(cache.spool(key, counted(items(), made)))
    assert first == items() and len(made) == 3

    for _ in range(2):  # any number of later readers
        replayed = cache.replay(key)
        assert replayed is not None
        again = list(replayed)
        assert again == first and again is not first
        assert again[0].attachments["pdf"] == PDF
        rejected = again[1]
        assert isinstance(rejected, Rejected)
        assert str(rejected.error) == str(first[1].error)  # type: ignore[union-attr]
        assert rejected.error.rule == "a date" and rejected.error.fix == "fix"
    assert len(made) == 3  # parsed once
    assert (cache.stats.spooled, cache.stats.replayed) == (1, 2)


def test_a_long_parse_is_kept_in_frames_and_replayed_in_order(
    tmp_path: Path, cache: ParseCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parsecache, "FRAME_BYTES", 4_000)  # many frames, a few items each
    key = key_of(export(tmp_path))
    small = [Record("invoice", str(n), {"n": n, "text": "x" * (n % 700)}) for n in range(300)]
    big = Record("invoice", "big", {}, attachments={"pdf": PDF * 30})  # 3 MB: a frame alone
    parse = [*small[:150], big, *small[150:]]
    assert list(cache.spool(key, iter(parse))) == parse
    assert list(cache.replay(key) or []) == parse
    assert cache.size > len(PDF) * 30


def test_another_file_other_bytes_or_other_options_are_misses(
    tmp_path: Path, cache: ParseCache
) -> None:
    path = export(tmp_path)
    key = key_of(path)
    list(cache.spool(key, iter(items())))
    copy = export(tmp_path, name="copy.xml")  # same bytes, another name: another parse
    assert cache.replay(key_of(copy)) is None
    assert cache.replay(key_of(path, options=("latin-1",))) is None
    export(tmp_path, "<a>changed</a>")
    assert cache.replay(key_of(path)) is None
    assert cache.replay(key) is not None  # the old key still names the old bytes' parse


def test_a_file_changed_while_it_was_parsed_is_not_kept(tmp_path: Path, cache: ParseCache) -> None:
    path = export(tmp_path)
    key = key_of(path)

    def parse() -> Iterator[str]:
        yield "first"
        path.write_text("<a>rewritten</a>")  # Opter rewrites the file mid-parse
        yield "second"

    assert list(cache.spool(key, parse())) == ["first", "second"]
    assert cache.replay(key) is None and cache.stats.dropped == 1
    assert cache.size == 0  # its space is given back at once


def test_a_parse_stopped_part_way_keeps_nothing(tmp_path: Path, cache: ParseCache) -> None:
    path = export(tmp_path)
    key = key_of(path)
    reading = cache.spool(key, iter(items()))
    next(reading)
    reading.close()  # the reader stopped
    assert cache.replay(key) is None

    def failing() -> Iterator[str]:
        yield "one"
        raise OSError("the share went away")

    with pytest.raises(OSError, match="share"):
        list(cache.spool(key, failing()))
    assert cache.replay(key) is None and cache.size == 0
    assert list(cache.spool(key, iter(["again"]))) == ["again"]  # a later parse is kept
    assert list(cache.replay(key) or []) == ["again"]


def test_one_spool_is_written_at_a_time(tmp_path: Path, cache: ParseCache) -> None:
    a, b = key_of(export(tmp_path)), key_of(export(tmp_path, name="b.xml"))
    outer = cache.spool(a, iter(["a1", "a2"]))
    assert next(outer) == "a1"
    assert list(cache.spool(b, iter(["b1"]))) == ["b1"]  # passed through, not kept
    assert list(outer) == ["a2"]
    assert list(cache.replay(a) or []) == ["a1", "a2"] and cache.replay(b) is None


def test_an_entry_over_the_size_limit_is_dropped_and_passed_through(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path, max_bytes=150_000)
    big, small = key_of(export(tmp_path)), key_of(export(tmp_path, name="b.xml"))
    try:
        two = items() + items(PDF[::-1])  # 200 kB
        assert list(cache.spool(big, iter(two))) == two
        assert cache.replay(big) is None and cache.size == 0
        assert list(cache.spool(small, iter(items()))) == items()  # 100 kB fits
        assert list(cache.replay(small) or []) == items()
    finally:
        cache.close()


def test_the_disk_reserve_is_never_taken(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path, reserve_bytes=1 << 60)
    key = key_of(export(tmp_path))
    try:
        assert list(cache.spool(key, iter(items()))) == items()
        assert cache.replay(key) is None and cache.size == 0
    finally:
        cache.close()


def test_the_disk_filling_up_while_spooling_drops_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other writers share the disk: its free space is asked at every frame."""
    free = iter([10 << 30, 10 << 30, 1 << 20])  # another process fills the disk

    def usage(_: Any) -> Any:
        return SimpleNamespace(free=next(free, 0))

    monkeypatch.setattr(parsecache.shutil, "disk_usage", usage)
    monkeypatch.setattr(parsecache, "FRAME_BYTES", 1)  # a frame per item
    cache = ParseCache(tmp_path)
    key = key_of(export(tmp_path))
    try:
        assert list(cache.spool(key, iter(items()))) == items()
        assert cache.replay(key) is None and cache.size == 0
    finally:
        cache.close()


def test_a_spool_that_cannot_be_written_turns_the_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(**_: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(parsecache.tempfile, "TemporaryFile", no_space)
    cache = ParseCache(tmp_path)
    key = key_of(export(tmp_path))
    assert list(cache.spool(key, iter(items()))) == items()
    assert cache.replay(key) is None
    assert list(cache.spool(key, iter(["later"]))) == ["later"] and cache.replay(key) is None


def test_the_spool_has_no_name_and_is_gone_when_closed(tmp_path: Path) -> None:
    """Nothing for a kill -9 to leave behind: the spool never has a name."""
    folder = tmp_path / "ws"
    folder.mkdir()
    cache = ParseCache(folder)
    key = key_of(export(tmp_path))
    reading = cache.spool(key, iter(items()))
    next(reading)
    assert os.listdir(folder) == []  # while it is being written
    list(reading)
    assert os.listdir(folder) == [] and cache.size > 0
    cache.close()
    assert cache.size == 0 and cache.replay(key) is None
    assert list(cache.spool(key, iter(["x"]))) == ["x"] and cache.replay(key) is None


def test_the_cache_writes_nothing_until_something_is_spooled(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "missing")  # a workspace that is not there: the temp dir
    assert cache.replay(key_of(export(tmp_path))) is None
    cache.close()


def test_a_run_has_one_cache_released_at_its_end_and_a_switch_to_turn_it_off(
    tmp_path: Path,
) -> None:
    ctx: Any = SimpleNamespace(options=RunOptions(), state={}, workspace=tmp_path)
    cache = parsecache.for_run(ctx)
    assert cache is not None and parsecache.for_run(ctx) is cache
    key = key_of(export(tmp_path))
    list(cache.spool(key, iter(["x"])))
    parsecache.release(ctx)
    assert cache.replay(key) is None and "core.parse_cache" not in ctx.state
    parsecache.release(ctx)  # twice is harmless

    off: Any = SimpleNamespace(options=RunOptions(parse_cache=False), state={}, workspace=tmp_path)
    assert parsecache.for_run(off) is None
