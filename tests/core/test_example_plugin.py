"""The example plugin installed the way a third party installs theirs.

A fresh virtualenv gets ledgerbridge and examples/ledgerbridge-hello, each
built from a copy of its sources, and everything is then driven through that
virtualenv's `ledgerbridge` executable. It proves what no in-process test
can: that the entry point in the example's pyproject.toml is all it takes to
be found, that the package data ships, and that the test kit loads through
its `pytest11` entry point.

The virtualenv reuses this interpreter's site-packages for the dependencies,
so nothing is downloaded. Set LEDGERBRIDGE_SKIP_VENV_TESTS=1 where no
virtualenv can be created.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ledgerbridge-hello"
NOT_SOURCES = shutil.ignore_patterns(
    "__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".*_cache"
)
CONTACTS = """\
id,name,email,updated_at
1,Astrid Lindgren,astrid@example.se,2026-01-05T09:00:00Z
2,Tove Jansson,tove@example.fi,2026-01-06T10:30:00Z
3,Henrik Ibsen,henrik@example.no,2026-01-07T08:15:00Z
"""

pytestmark = pytest.mark.skipif(
    os.environ.get("LEDGERBRIDGE_SKIP_VENV_TESTS") == "1",
    reason="LEDGERBRIDGE_SKIP_VENV_TESTS=1: no virtualenv can be created here",
)


@dataclass
class Venv:
    root: Path
    example: Path
    workspace: Path

    def env(self) -> dict[str, str]:
        """This process's environment minus anything that would steer ledgerbridge."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERBRIDGE_")}
        env.pop("PYTHONPATH", None)
        env.update(LEDGERBRIDGE_HOME=str(self.workspace), PYTHONDONTWRITEBYTECODE="1")
        return env

    def run(
        self, program: str, *args: str, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.root / "bin" / program), *args],
            capture_output=True,
            text=True,
            env=self.env(),
            cwd=cwd,
            timeout=120,
            check=False,
        )

    def cli(self, *args: str, expect: int = 0) -> str:
        done = self.run("ledgerbridge", "--workspace", str(self.workspace), *args)
        assert done.returncode == expect, (
            f"ledgerbridge {' '.join(args)}:\n{done.stdout}{done.stderr}"
        )
        return done.stdout

    def cli_json(self, *args: str, expect: int = 0) -> Any:
        return json.loads(self.cli(*args, "--json", expect=expect))


def copy_sources(dest: Path) -> tuple[Path, Path]:
    """Copies to build from, so building never writes into the repository."""
    core = dest / "ledgerbridge-src"
    shutil.copytree(ROOT / "ledgerbridge", core / "ledgerbridge", ignore=NOT_SOURCES)
    for name in ("pyproject.toml", "README.md"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, core / name)
    example = dest / "ledgerbridge-hello"
    shutil.copytree(EXAMPLE, example, ignore=NOT_SOURCES)
    return core, example


def make_venv(path: Path) -> None:
    """A virtualenv seeing this interpreter's packages, even when this
    interpreter itself runs in a virtualenv (whose packages `venv
    --system-site-packages` would not see)."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(path)],
        check=True,
        timeout=120,
    )
    if sys.prefix != sys.base_prefix:
        (purelib,) = path.glob("lib/python*/site-packages")
        (purelib / "_parent_env.pth").write_text("\n".join(site.getsitepackages()) + "\n")


def pip_install_args() -> list[str]:
    """`--no-build-isolation` where this interpreter can build wheels by itself
    (setuptools 70.1 or later, or `wheel` installed), so nothing is fetched.
    Older setuptools needs `wheel` to build any wheel: then pip builds in
    isolation, taking setuptools and wheel from its configured index."""
    args = ["install", "--quiet", "--no-deps", "--disable-pip-version-check"]
    setuptools_version = tuple(int(p) for p in metadata.version("setuptools").split(".")[:2])
    if importlib.util.find_spec("wheel") is not None or setuptools_version >= (70, 1):
        args += ["--no-build-isolation", "--no-index"]
    return args


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    base = tmp_path_factory.mktemp("hello-venv")
    core, example = copy_sources(base)
    make_venv(base / "venv")
    python = str(base / "venv" / "bin" / "python")
    done = subprocess.run(
        [python, "-m", "pip", *pip_install_args(), str(core), str(example)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"pip install failed:\n{done.stdout}{done.stderr}"
    return Venv(base / "venv", example, base / "workspace")


def test_plugins_lists_hello_as_loaded_from_its_distribution(venv: Venv) -> None:
    plugins = {p["name"]: p for p in venv.cli_json("plugins")["plugins"]}
    hello = plugins["hello"]
    assert (hello["status"], hello["distribution"], hello["version"]) == (
        "loaded",
        "ledgerbridge-hello",
        "0.1.0",
    )
    assert {"register_connectors", "register_commands"} <= set(hello["hooks"])
    assert "hello" in venv.cli("plugins")


def test_connectors_and_commands_include_hello(venv: Venv) -> None:
    connectors = {c["name"]: c for c in venv.cli_json("connectors")["connectors"]}
    assert connectors["hello"]["plugin"] == "hello"
    assert "hello" in venv.cli("--help")
    assert json.loads(venv.cli("schema", "hello"))["required"] == ["contactsFile", "outputFolder"]


def test_full_cli_flow_writes_every_contact_once(venv: Venv, tmp_path: Path) -> None:
    contacts, outbox = tmp_path / "contacts.csv", tmp_path / "outbox"
    contacts.write_text(CONTACTS, encoding="utf-8")
    config = tmp_path / "hello.json"
    config.write_text(json.dumps({"contactsFile": str(contacts), "outputFolder": str(outbox)}))
    venv.cli("tenant", "add", "acme")
    venv.cli("enable", "acme", "hello", "--config", str(config))

    first = venv.cli_json("run", "acme", "hello")["runs"][0]
    assert (first["status"], first["succeeded"], first["failed"]) == ("succeeded", 3, 0)
    files = sorted(outbox.iterdir())
    assert [f.name for f in files] == ["contact-1.json", "contact-2.json", "contact-3.json"]
    assert json.loads(files[0].read_text())["text"] == "Hello, Astrid Lindgren!"
    written = {f.name: f.stat().st_mtime_ns for f in files}

    second = venv.cli_json("run", "acme", "hello")["runs"][0]
    assert (second["status"], second["succeeded"], second["failed"]) == ("succeeded", 0, 0)
    assert {f.name: f.stat().st_mtime_ns for f in outbox.iterdir()} == written


def test_the_example_test_suite_passes_with_the_installed_test_kit(venv: Venv) -> None:
    # -P and an empty pythonpath: import the installed package, not the folder's copy.
    args = ["-P", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "pythonpath="]
    done = venv.run("python", *args, cwd=venv.example)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout
