"""`ledgerbridge demo --connector nmbrs_journals`: a normal run and a correction run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def test_the_demo_sends_a_normal_run_and_a_correction_run(tmp_path: Path, lb_cli: Any) -> None:
    folder = tmp_path / "d"
    result = lb_cli("demo", "--connector", "nmbrs_journals", "--dir", str(folder))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "journals: 5 created" in out
    assert "created journal 12/90003/202401" in out  # March's correction of January
    assert "run 2: 0 succeeded, 0 failed, 0 skipped" in out  # nothing sent twice
    assert "5  POST /v2/journaltransaction" in out
    links = lb_cli(
        "--workspace",
        str(folder),
        "links",
        "list",
        "demo-nmbrs-journals",
        "nmbrs_journals",
        "--json",
    )
    keys = sorted(
        s["key"]
        for link in json.loads(links.output)["links"]
        for s in link["sides"]
        if s["system"] == "nmbrs"
    )
    assert keys == [
        "12/90001/202401",
        "12/90002/202402",
        "12/90003/202401",
        "12/90003/202402",
        "12/90003/202403",
    ]
