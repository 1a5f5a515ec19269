"""`ledgerbridge demo --connector pos_zreport`: a week of two departments,
one settlement failing on an unmapped VAT rate, fixed and replayed to green."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def test_the_demo_settles_a_week_of_two_departments(tmp_path: Path, lb_cli: Any) -> None:
    folder = tmp_path / "d"
    out = lb_cli("demo", "--dir", str(folder), "--connector", "pos_zreport").output
    assert "✘ demo-pos-zreport/pos_zreport run 1: failed: 13 succeeded, 1 failed" in out
    assert "VAT rate 12.00 % has no Avgiftsnr in vatMap" in out
    assert "✔ demo-pos-zreport/pos_zreport run 2: 1 succeeded, 0 failed" in out
    assert "14  POST /v2/journaltransaction" in out
    runs = json.loads(
        lb_cli("demo", "--dir", str(folder), "--connector", "pos_zreport", "--json").output
    )["runs"]
    assert [(r["status"], r["failed"]) for r in runs] == [
        ("failed", 1),
        ("succeeded", 0),
        ("succeeded", 0),
    ]
