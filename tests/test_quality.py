"""The code stays lint-clean, formatted and typed: checked with the suite so a
fresh clone proves it with the README's one test command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is installed by the test extra")
def test_ruff_check_and_format() -> None:
    lint = run("ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run("ruff", "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_on_core_and_plugins(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    # the files checked are pyproject.toml's [tool.mypy] files: core and the built-in plugins
    result = run(sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_ledgerbridge_stays_light() -> None:
    """Plugin modules import `ledgerbridge`, and so do their worker processes
    (the row-XSLT worker runs under a 256 MB address-space cap): the package
    itself must not pull in the database layer or the HTTP client."""
    code = (
        "import sys, ledgerbridge\n"
        "heavy = [m for m in ('sqlite_utils', 'httpx', 'numpy') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = run(sys.executable, "-P", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"import ledgerbridge loads {result.stdout.strip()}"
