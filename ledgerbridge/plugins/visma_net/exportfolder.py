"""The export folder must be there: a missing one is never "nothing to do".

An unmounted network share looks, to a program, like an empty folder (its
mount point) or no folder at all; a renamed path or a lost permission looks
the same. Reading nothing from it and reporting "0 succeeded" would hide,
night after night, that no invoice reaches Visma.net. So the source refuses
to read, with a run-level error (the run is red, exit code 3) naming the
folder, when the folder

- does not exist, or is not a folder;
- cannot be listed (permissions, a stale network mount);
- is **empty**: no file or folder at all in it, not even a hidden one.

"Empty" is deliberate. After the operator archives every file (the guide
says to), a folder with no export file is legitimate, and a folder that
holds anything else (an `archive/` subfolder, a `.keep` file, a file of
another pattern) is read normally: a run with nothing new is green. Only a
folder with nothing in it at all is taken for an unmounted share, because
that is what an unmounted mount point is; the guide tells the operator to
keep one entry in it, on the share, so that it disappears with the share.

`config validate` runs the same checks (`folder_problems`).
"""

from __future__ import annotations

import os
from pathlib import Path

from ledgerbridge.core.errors import ConfigError

_KEEP = (
    "if the share is mounted and every export file was archived on purpose, keep a file "
    "named .keep (or an archive/ subfolder) in the folder, on the share itself"
)


class ExportFolderError(ConfigError):
    """The export folder cannot be read: the run stops, naming the folder."""

    def __init__(self, folder: Path, what: str, fix: str) -> None:
        self.folder = folder
        self.problem = f"key 'exportFolder': {folder} {what}; fix: {fix}"
        super().__init__(
            f"The export folder {folder} {what}: no invoice or customer was read.", [self.problem]
        )


def resolve(folder: Path | str, base: Path | None) -> Path:
    """`exportFolder` as a path; a relative one is taken from `base` (the workspace)."""
    path = Path(folder)
    if base is not None and not path.is_absolute():
        path = base / path
    return path


def check_folder(folder: Path) -> None:
    """Raise ExportFolderError unless `folder` is a readable, non-empty folder
    (see the module docstring for why an empty one is refused)."""
    try:
        with os.scandir(folder) as entries:
            has_entries = next(entries, None) is not None
    except FileNotFoundError:
        raise ExportFolderError(
            folder,
            "does not exist",
            "check that the network share is mounted, and that exportFolder in the config "
            "is the folder Opter exports to",
        ) from None
    except NotADirectoryError:
        raise ExportFolderError(
            folder, "is not a folder", "set exportFolder to the folder Opter exports to"
        ) from None
    except OSError as err:
        raise ExportFolderError(
            folder,
            f"cannot be read ({err.strerror or err})",
            "give the user running ledgerbridge read access to the folder, and check that "
            "the network share is mounted",
        ) from None
    if not has_entries:
        raise ExportFolderError(
            folder,
            "is empty (no file or folder at all in it, as when a network share is not mounted)",
            "mount the share; " + _KEEP,
        )


def folder_problems(folder: Path | str, base: Path | None) -> list[str]:
    """The export folder's problems as `config validate` lines (empty when fine)."""
    try:
        check_folder(resolve(folder, base))
    except ExportFolderError as err:
        return [err.problem]
    return []
