"""Benchmark: a visma_net re-run with nothing new, before and after settled
files are skipped, measured in one run.

N invoices (3 rows, PDF copies on) in files of 1,000 (one period each, as
Opter exports them) are exported once to the Visma.net emulator served on
loopback in its own process. Then, each timed:

- `--full` re-run: every file parsed by both flows and every record skipped
  by hash: exactly what an incremental re-run did before settled files were
  skipped (the source ignored its cursor), so it is the "before";
- incremental re-run: settled files hashed, none parsed: the "after";
- one new file of 1,000 invoices added, incremental run: grows with the
  changed files, not the folder;
- reading and hashing every file's bytes alone: the floor.

(The `--full` re-run runs with the parse cache off, as every run did then.)

`--new-file`: a new file of 1,000 invoices parsed once per flow (the run's
parse cache off, `RunOptions.parse_cache`: as before it) against parsed once
for both flows (on). First the source alone (the customers flow's read, then
the invoices flow's, no engine), the cases interleaved in one process, with
"one parse making both flows' items, nothing spooled" as the floor. Then
whole runs, in rounds that rotate the cases, each run adding a new file to a
folder of N settled invoices; the floor is the same run with the file's parse
costing nothing (both flows served its items from memory, built beforehand).
Each for PDF copies as generated (~1.5 kB) and of each `--pdf-kb` size.

    python bench/bench_vn_rerun.py [--sizes 10000,100000]
    python bench/bench_vn_rerun.py --new-file [--sizes 10000] [--rounds 3] [--pdf-kb 0,100]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import multiprocessing
import os
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_visma_net import run, start_emulator, workspace
from benchutil import peak_rss_kib
from lxml import etree

from ledgerbridge.core.context import RunOptions
from ledgerbridge.core.engine import RunRequest, run_connector
from ledgerbridge.core.parsecache import ParseCache
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.visma_net.exportfile import TopLevel
from ledgerbridge.plugins.visma_net.exportparts import SharedParse
from ledgerbridge.plugins.visma_net.samplegen import PeriodSpec, write_period
from ledgerbridge.plugins.visma_net.source import Entity, OpterExportSource

PER_FILE = 1_000


def period(i: int) -> str:
    """A month of 2024 (the emulator's open periods); several files may share one."""
    return f"2024-{i % 12 + 1:02d}"


def write_files(folder: Path, start: int, count: int) -> None:
    for i in range(start, start + count):
        spec = PeriodSpec(
            period=period(i),
            invoices=PER_FILE,
            rows=3,
            pdf=True,
            first_number=10_001 + i * PER_FILE,
        )
        write_period(folder / f"export-{i:04d}.xml", spec)


def run_before(ws: Workspace) -> tuple[float, Any]:
    """A `--full` re-run as before settled files and the parse cache."""
    start = time.perf_counter()
    options = RunOptions(full=True, parse_cache=False)
    summary = run_connector(RunRequest(ws, "bench", "visma_net", options))
    return time.perf_counter() - start, summary


def hash_floor(folder: Path) -> float:
    start = time.perf_counter()
    for path in sorted(folder.glob("*.xml")):
        with path.open("rb") as fh:
            hashlib.file_digest(fh, "sha256")
    return time.perf_counter() - start


def measure(n: int) -> dict[str, Any]:
    proc, base = start_emulator(0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "export"
            files = n // PER_FILE
            write_files(folder, 0, files)
            ws = workspace(Path(tmp), base, folder)
            t_first, first = run(ws)
            t_full, full = run_before(ws)
            t_noop, noop = run(ws)
            write_files(folder, files, 1)
            t_new, new = run(ws)
            floor = hash_floor(folder)
            size_mb = sum(p.stat().st_size for p in folder.glob("*.xml")) / 1e6
    finally:
        proc.terminate()
    return {
        "invoices": n,
        "files": files,
        "folder_mb": round(size_mb, 1),
        "first_run_s": round(t_first, 1),
        "first_succeeded": first.succeeded,
        "before_full_rerun_s": round(t_full, 2),
        "before_skipped": full.skipped,
        "after_noop_rerun_s": round(t_noop, 2),
        "after_noop_read": noop.succeeded + noop.skipped + noop.failed,
        "one_new_file_s": round(t_new, 2),
        "one_new_file_sent": new.succeeded,
        "hash_floor_s": round(floor, 2),
        "speedup": round(t_full / t_noop, 1),
    }


# -- one new file: parsed per flow, parsed once, and the floor -----------------

CASES = ("per flow", "once", "floor")


class Parses:
    """Invoice elements lxml hands the source: a file parsed once counts its
    invoices once."""

    count = 0
    installed = False

    @classmethod
    def install(cls) -> None:
        if cls.installed:
            return
        cls.installed = True
        real = TopLevel.__iter__

        def counting(self: TopLevel) -> Iterator[tuple[str, etree._Element]]:
            for kind, element in real(self):
                cls.count += kind == "invoice"
                yield kind, element

        TopLevel.__iter__ = counting  # type: ignore[method-assign]


@contextmanager
def parse_for_free(path: Path) -> Iterator[None]:
    """Both flows get `path`'s items from memory, built here beforehand: the
    run as it would be if parsing the file cost nothing."""
    source = OpterExportSource(path.parent, entity="customer", include_pdf=True)
    file = next(f for f in source._files() if f.path == path)
    parts = list(source._parse_parts(file, both=True))
    real = OpterExportSource._parts

    def from_memory(self: OpterExportSource, f: Any) -> Iterator[Any]:
        return iter(parts) if f.path == path else real(self, f)

    OpterExportSource._parts = from_memory  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        OpterExportSource._parts = real  # type: ignore[method-assign]


def run_case(ws: Workspace, case: str, path: Path) -> dict[str, Any]:
    options = RunOptions(parse_cache=case == "once")
    with parse_for_free(path) if case == "floor" else _nothing():
        Parses.count = 0
        start = time.perf_counter()
        summary = run_connector(RunRequest(ws, "bench", "visma_net", options))
        seconds = time.perf_counter() - start
    assert summary.failed == 0, summary.errors[:3]
    return {"s": seconds, "sent": summary.succeeded, "parsed": Parses.count}


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def write_new(folder: Path, i: int, pdf_kb: int) -> Path:
    """New file `i`: 1,000 new invoices of period 2024-12, so its customers
    are the ones already synced (skipped by hash in every case alike), with
    PDF copies of `pdf_kb` kB (0: as generated)."""
    path = folder / f"export-{i:04d}.xml"
    spec = PeriodSpec(
        period="2024-12", invoices=PER_FILE, rows=3, first_number=10_001 + i * PER_FILE
    )
    write_period(path, spec)
    if pdf_kb:
        bigger_pdfs(path, pdf_kb)
    return path


def measure_new_file(n: int, rounds: int, pdf_kb: int) -> dict[str, Any]:
    """Rounds of the three cases in rotating order, each adding its own new
    file of 1,000 invoices (PDF copies of `pdf_kb` kB) to a folder of `n`
    settled ones."""
    Parses.install()
    load = [os.getloadavg()[0]]
    proc, base = start_emulator(0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "export"
            files = n // PER_FILE
            write_files(folder, 0, files)
            ws = workspace(Path(tmp), base, folder)
            run(ws)
            run_case(ws, "once", write_new(folder, files, pdf_kb))  # warm-up: customers 2024-12
            runs: dict[str, list[dict[str, Any]]] = {case: [] for case in CASES}
            for r in range(rounds):
                for case in CASES[r % 3 :] + CASES[: r % 3]:
                    files += 1
                    runs[case].append(run_case(ws, case, write_new(folder, files, pdf_kb)))
                    load.append(os.getloadavg()[0])
    finally:
        proc.terminate()
    result: dict[str, Any] = {"invoices": n, "rounds": rounds, "pdf_kb": pdf_kb}
    for case, measured in runs.items():
        result[case] = {
            "median_s": round(statistics.median(m["s"] for m in measured), 2),
            "runs_s": [round(m["s"], 2) for m in measured],
            "sent": [m["sent"] for m in measured],
            "invoices_parsed": [m["parsed"] for m in measured],
        }
    result["load_average_1min"] = [round(x, 1) for x in load]
    return result


# -- the source alone: both flows' reads of one new file, no engine ----------------

READS = ("per flow", "once", "one parse, nothing spooled")


def source_alone(rounds: int, pdf_kb: int) -> dict[str, Any]:
    """Timed in one process, the cases interleaved (the machine's load falls
    on all alike); the peak RSS of each in a process of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export" / "export-0000.xml"
        write_period(path, PeriodSpec(period="2024-01", invoices=PER_FILE, rows=3, pdf=True))
        if pdf_kb:
            bigger_pdfs(path, pdf_kb)
        spawn = multiprocessing.get_context("spawn")
        out: dict[str, Any] = {"pdf_kb": pdf_kb or "as generated (~1.5)"}
        out["file_mb"] = round(path.stat().st_size / 1e6, 1)
        with spawn.Pool(1) as pool:
            out["seconds"] = pool.apply(timed_reads, (path, rounds))
        for case in READS:
            with spawn.Pool(1) as pool:
                out[case] = pool.apply(read_case, (path, case))
    return out


def timed_reads(path: Path, rounds: int) -> dict[str, Any]:
    times: dict[str, list[float]] = {case: [] for case in READS}
    for r in range(rounds + 1):  # round 0 warms up (the XSD compiled, the file cached)
        for case in READS[r % 3 :] + READS[: r % 3]:
            start = time.perf_counter()
            read_case(path, case)
            if r:
                times[case].append(time.perf_counter() - start)
    return {
        case: {"median": round(statistics.median(t), 3), "runs": [round(x, 3) for x in t]}
        for case, t in times.items()
    }


def bigger_pdfs(path: Path, kb: int) -> None:
    """Every PDF copy `kb` kB (its generated bytes padded): a real invoice's size."""
    text = path.read_text(encoding="utf-8")

    def pad(match: re.Match[str]) -> str:
        blob = base64.b64decode(match.group(2))
        blob += b"%" + b"0" * max(0, kb * 1024 - len(blob) - 1)
        return f"{match.group(1)}{base64.b64encode(blob).decode()}</PdfCopy>"

    path.write_text(re.sub(r"(<PdfCopy[^>]*>)([^<]*)</PdfCopy>", pad, text), encoding="utf-8")


def read_case(path: Path, case: str) -> dict[str, Any]:
    """The customers flow's read, then the invoices flow's, as the plugin
    builds them; or one parse making both flows' items, nothing spooled."""
    folder = path.parent
    spooled = 0
    if case == "one parse, nothing spooled":
        source = OpterExportSource(folder, entity="customer", include_pdf=True)
        for file in source._files():
            for _part in source._parse_parts(file, both=True):
                pass
    else:
        cache = ParseCache(folder.parent) if case == "once" else None
        flows: list[tuple[Entity, bool]] = [("customer", True), ("invoice", False)]
        for entity, spools in flows:
            shared = None if cache is None else SharedParse(cache, spools=spools)
            reader = OpterExportSource(folder, entity=entity, include_pdf=True, shared=shared)
            for _item in reader.read(None):
                pass
        if cache is not None:
            spooled = cache.size
            cache.close()
    return {"spool_mb": round(spooled / 1e6, 1), "peak_rss_mib": round(peak_rss_kib() / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--new-file", action="store_true", help="parse per flow against once")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pdf-kb", default="0,100", help="PDF copy sizes (0: as generated)")
    args = parser.parse_args()
    if args.new_file:
        n = int(args.sizes.split(",")[0])
        kbs = [int(kb) for kb in args.pdf_kb.split(",")]
        results = [source_alone(max(args.rounds, 5), kb) for kb in kbs]
        results += [measure_new_file(n, args.rounds, kb) for kb in kbs]
    else:
        results = [measure(int(n)) for n in args.sizes.split(",")]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
