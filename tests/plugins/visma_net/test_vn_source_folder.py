"""A missing, unreadable or empty export folder (an unmounted share) is a red
run with exit code 3 naming the folder, never a green "0 succeeded"; and
`config validate` says so before any run."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from e2e_support import MakeEnv
from vn_builders import Invoice

from ledgerbridge.plugins.visma_net import exportfolder
from ledgerbridge.plugins.visma_net.exportfolder import ExportFolderError
from ledgerbridge.plugins.visma_net.source import OpterExportSource


def refusal(folder: Path, entity: str = "invoice") -> ExportFolderError:
    with pytest.raises(ExportFolderError) as caught:
        list(OpterExportSource(folder, entity=entity).read(None))  # type: ignore[arg-type]
    assert str(folder) in str(caught.value)
    return caught.value


def unreadable(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Listing `folder` fails as it does without read permission (the tests
    may run as root, who can read anything)."""
    real = os.scandir

    def scandir(path: Any) -> Any:
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(exportfolder.os, "scandir", scandir)


# -- the source refuses to read ---------------------------------------------------


@pytest.mark.parametrize("entity", ["invoice", "customer"])
def test_a_missing_folder_is_refused_naming_it(tmp_path: Path, entity: str) -> None:
    error = refusal(tmp_path / "unmounted", entity)
    assert "does not exist" in str(error)
    assert "mounted" in error.problem and "exportFolder" in error.problem


def test_an_empty_folder_is_refused_as_an_unmounted_share(tmp_path: Path) -> None:
    error = refusal(tmp_path)
    assert "is empty" in str(error) and "not mounted" in str(error)
    assert ".keep" in error.problem  # how to say "empty on purpose"


def test_a_file_instead_of_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "export").write_text("x")
    assert "is not a folder" in str(refusal(tmp_path / "export"))


def test_an_unreadable_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unreadable(monkeypatch, tmp_path)
    error = refusal(tmp_path)
    assert "cannot be read (Permission denied)" in str(error)
    assert "read access" in error.problem


@pytest.mark.parametrize("entry", [".keep", "archive/", "notes.txt"])
def test_a_folder_with_no_export_file_but_something_in_it_is_read(
    tmp_path: Path, entry: str
) -> None:
    """Every file archived on purpose: the folder still holds something, on
    the share, so it is not taken for an unmounted share."""
    if entry.endswith("/"):
        (tmp_path / entry).mkdir()
    else:
        (tmp_path / entry).write_text("")
    assert list(OpterExportSource(tmp_path).read(None)) == []


# -- a red run, exit code 3 ---------------------------------------------------------


def test_a_run_on_an_unmounted_share_is_red_and_names_the_folder(make_env: MakeEnv) -> None:
    env = make_env()
    env.export([Invoice("91001")])
    env.run()
    shutil.rmtree(env.folder)
    env.folder.mkdir()  # the mount point, without the share
    summary = env.run()
    assert summary.status == "aborted"
    assert summary.message is not None and str(env.folder) in summary.message
    assert "is empty" in summary.message
    assert summary.succeeded == 0


def test_the_cli_exits_3_naming_the_folder(make_env: MakeEnv, lb_cli: Any) -> None:
    env = make_env()
    missing = env.folder / "not-there"
    env.configure(exportFolder=str(missing))
    result = lb_cli("run", "acme", "visma_net")
    assert result.exit_code == 3, result.output
    assert f"The export folder {missing} does not exist" in result.output
    assert "0 succeeded" not in result.output.replace("aborted: 0 succeeded", "")
    listed = lb_cli("run", "acme", "visma_net", "--json")
    assert listed.exit_code == 3
    [run] = json.loads(listed.output)["runs"]
    assert run["status"] == "aborted" and str(missing) in run["message"]


# -- config validate checks the folder too ---------------------------------------------


def test_config_validate_names_a_missing_folder(make_env: MakeEnv, lb_cli: Any) -> None:
    env = make_env()
    env.configure(exportFolder=str(env.folder / "not-there"))
    result = lb_cli("config", "validate", "acme", "visma_net")
    assert result.exit_code == 2, result.output
    assert f"key 'exportFolder': {env.folder / 'not-there'} does not exist" in result.output


def test_config_validate_accepts_a_folder_with_files(make_env: MakeEnv, lb_cli: Any) -> None:
    env = make_env()
    env.export([Invoice("91002")])
    result = lb_cli("config", "validate", "acme", "visma_net", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"valid": True, "problems": []}


def test_config_validate_takes_a_relative_folder_from_the_workspace(
    make_env: MakeEnv, lb_cli: Any, lb_workspace: Any
) -> None:
    env = make_env()
    (lb_workspace.path / "opter").mkdir()
    env.configure(exportFolder="opter")
    result = lb_cli("config", "validate", "acme", "visma_net")
    assert result.exit_code == 2
    assert f"{lb_workspace.path / 'opter'} is empty" in result.output
