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

    python bench/bench_vn_rerun.py [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_visma_net import run, start_emulator, workspace

from ledgerbridge.plugins.visma_net.samplegen import PeriodSpec, write_period

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
            t_full, full = run(ws, full=True)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    results = [measure(int(n)) for n in args.sizes.split(",")]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
