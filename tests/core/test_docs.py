"""The plugin guide keeps up with the code: every hook, fixture, contract class
and environment variable a plugin author can use is documented, and every
hook is exercised by a test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from ledgerbridge.core import hookspecs
from ledgerbridge.testing import contracts, twoway

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "plugins.md"
TESTS = ROOT / "tests"
PYTEST_PLUGIN = ROOT / "ledgerbridge" / "testing" / "pytest_plugin.py"

HOOKS = sorted(
    name
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(fn, f"{hookspecs.PROJECT}_spec")
)
FIXTURES = re.findall(r"@pytest\.fixture\s*\ndef (\w+)\(", PYTEST_PLUGIN.read_text("utf-8"))


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def test_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(TESTS.rglob("*.py")))


def test_the_lists_below_are_not_empty() -> None:
    assert len(HOOKS) >= 11 and len(FIXTURES) >= 6


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_heading_in_the_guide(guide: str, hook: str) -> None:
    assert re.search(rf"^#+ .*\b{hook}\(", guide, re.MULTILINE), (
        f"docs/plugins.md needs a heading for {hook}(...) with its signature"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_implemented_by_a_test_plugin(test_sources: str, hook: str) -> None:
    assert re.search(rf"\bdef {hook}\(", test_sources), (
        f"no test under tests/ implements {hook}; add one to tests/core/test_hooks.py"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hookspec_is_typed_and_explained(hook: str) -> None:
    spec = getattr(hookspecs, hook)
    assert (spec.__doc__ or "").strip(), f"{hook} needs a docstring a plugin author can act on"
    unannotated = [
        p.name
        for p in inspect.signature(spec).parameters.values()
        if p.annotation is inspect.Parameter.empty
    ]
    assert not unannotated, f"{hook}: annotate {unannotated}"


@pytest.mark.parametrize("fixture", FIXTURES)
def test_fixture_is_documented(guide: str, fixture: str) -> None:
    assert f"`{fixture}`" in guide, f"docs/plugins.md does not document the fixture {fixture}"


@pytest.mark.parametrize(
    "name", [n for n in (*contracts.__all__, *twoway.__all__) if n.endswith("Contract")]
)
def test_contract_class_is_documented(guide: str, name: str) -> None:
    assert f"`{name}`" in guide


@pytest.mark.parametrize("variable", ["LEDGERBRIDGE_LOAD_PLUGINS", "LEDGERBRIDGE_TRACE_PLUGINS"])
def test_environment_variable_is_documented(guide: str, variable: str) -> None:
    assert f"`{variable}" in guide


def test_python_examples_in_the_guide_compile(guide: str) -> None:
    blocks = re.findall(r"```python\n(.*?)```", guide, re.DOTALL)
    assert blocks
    for number, block in enumerate(blocks, start=1):
        compile(block, f"docs/plugins.md python block {number}", "exec")


def test_every_test_the_reliability_page_names_exists() -> None:
    """docs/reliability.md says which tests prove each promise: they must exist."""
    root = Path(__file__).resolve().parents[2]
    page = (root / "docs" / "reliability.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?", page)
    assert named, "the page names no tests"
    for path, name in named:
        source = (root / path).read_text(encoding="utf-8")
        if name:
            assert f"def {name}(" in source or f"class {name}(" in source, f"{path}::{name}"
    for listed in re.findall(r"`(test_\w+)`", page):
        assert any(
            f"def {listed}(" in p.read_text(encoding="utf-8")
            for p in (root / "tests").rglob("*.py")
        ), listed
