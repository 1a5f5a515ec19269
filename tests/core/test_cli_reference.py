from __future__ import annotations

import os
from pathlib import Path

import pytest

from ledgerbridge.core.cli.reference import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


@pytest.mark.skipif(bool(os.environ.get("LEDGERBRIDGE_LOAD_PLUGINS")), reason="plugins filtered")
def test_cli_reference_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/cli.md is stale: python -m ledgerbridge.core.cli.reference > docs/cli.md"
    )
