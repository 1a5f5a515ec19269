"""DUELL's SAF-T Cash Register files as records, one partition per department.

Each department's files lie in its own folder (`saftFolder/<department>/`,
or the department's `folder`). Every run looks at every file there, so a
file that arrives late, for any department and any date, is read like any
other and never skipped. A file whose every record of this flow is settled
(and its side file unchanged) is not parsed again: it is known by its
digest (the engine's `SkipsSettled`, core/sourcefiles.py). In a file that is
read, a record whose content was already sent is skipped by its link
without a call to Visma.net.

The cursor kept per department (file and line of the last record settled)
says how far each department got; it does not decide what is read.

Three entities come out of the same files:
- `zreport`: each Z report (the daily settlement) with the sums of its
  transactions and what our extension adds (extension.py);
- `invoice_basis`: each credit sale (fakturagrunnlag);
- `stock_issue`: per Z report, the articles sold and returned (Lager).
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.core.sourcefiles import SettledFiles
from ledgerbridge.plugins.pos_zreport.saft.extension import (
    ExtensionError,
    read_extension,
    side_file,
)
from ledgerbridge.plugins.pos_zreport.saft.reader import SaftContent, SaftFileError, read_saft
from ledgerbridge.plugins.pos_zreport.settings import Department, Settings

SYSTEM = "duell"
TITLE = "DUELL"
_DROPPED = ("line", "eventID")


class SaftSource:
    """Records of one entity from every department's SAF-T files."""

    system = SYSTEM
    title = TITLE
    partitioned = True

    def __init__(
        self, settings: Settings, entity: str, departments: frozenset[str] | None = None
    ) -> None:
        self.settings = settings
        self.entity = entity
        self.only = departments  # None: every department
        shape = [entity, settings.encoding, sorted(settings.gift_card_groups)]
        self._files_seen = SettledFiles(shape)

    def skip_origins(self, settled: Container[str]) -> None:
        """Files whose every record this flow has settled: not parsed again."""
        self._files_seen.settled = settled

    def origins_read(self) -> list[str]:
        return list(self._files_seen.read)

    def read(self, since: Mapping[str, str] | str | None) -> Iterator[Record | Rejected]:
        self._files_seen.read = []
        for key in sorted(self.settings.departments):
            if self.only is None or key in self.only:
                yield from self._department(self.settings.departments[key])

    def _department(self, dept: Department) -> Iterator[Record | Rejected]:
        folder = dept.folder
        if not folder.is_dir():
            yield Rejected(
                self.entity,
                f"{dept.key}/(folder)",
                RecordError(
                    f"The SAF-T folder {folder} of department {dept.name} does not exist: "
                    "none of its settlements was read",
                    field=f"departments.{dept.key}.folder",
                    value=str(folder),
                    rule="each department's SAF-T files lie in saftFolder/<department> "
                    "(or the department's folder)",
                    fix="create the folder, or correct saftFolder / the department's folder "
                    "in the config (a share that is not mounted looks like this too)",
                    retryable=True,
                ),
                partition=dept.key,
            )
            return
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".xml")
        for path in files:
            origin = self._files_seen.origin(path, side_file(path))
            origin = f"{origin}/{dept.key}" if origin is not None else None
            if origin is not None and origin in self._files_seen.settled:
                continue
            for item in self._file(dept, path):
                yield replace(item, origin=origin)
            self._files_seen.done(origin)

    def _file(self, dept: Department, path: Path) -> Iterator[Record | Rejected]:
        try:
            content = read_saft(path, self.settings.encoding)
            extension = read_extension(path)
        except (SaftFileError, ExtensionError) as err:
            yield Rejected(
                self.entity,
                f"{dept.key}/{path.name}",
                _file_error(dept, path, err),
                partition=dept.key,
                cursor=f"{path.name}#0",
            )
            return
        if self.entity == "invoice_basis":
            yield from self._credit_sales(dept, path, content)
            return
        for z in content.zreports:
            if self.entity == "stock_issue" and not self._moves_goods(z):
                continue
            yield self._zrecord(dept, path, content, z, extension)

    def _moves_goods(self, z: dict[str, Any]) -> bool:
        return any(
            i.get("group") not in self.settings.gift_card_groups and i.get("qnt") not in ("0", None)
            for i in z.get("items") or []
        )

    def _zrecord(
        self,
        dept: Department,
        path: Path,
        content: SaftContent,
        z: dict[str, Any],
        extension: Mapping[tuple[str, str], dict[str, Any]],
    ) -> Record:
        ext = extension.get((z["registerID"], z["reportID"]), {})
        key = f"{dept.key}/{z['registerID']}/{z['reportID']}"
        cursor = f"{path.name}#{z['line']}"
        settlement = ext.get("settlementDate") or z["reportDate"]
        if self.entity == "stock_issue":
            data: dict[str, Any] = {
                "department": dept.key,
                "registerID": z["registerID"],
                "reportID": z["reportID"],
                "settlementDate": settlement,
                "items": z["items"],
                "articleNames": z["articleNames"],
            }
        else:
            data = {k: v for k, v in z.items() if k not in _DROPPED}
            data.update(
                department=dept.key,
                currency=content.currency,
                settlementDate=settlement,
                countedCash=ext.get("countedCash"),
                note=ext.get("note"),
            )
        return Record(self.entity, key, data, partition=dept.key, cursor=cursor)

    def _credit_sales(self, dept: Department, path: Path, content: SaftContent) -> Iterator[Record]:
        for sale in content.credit_sales:
            key = f"{dept.key}/{sale['register']}/{sale['transID']}"
            data = {k: v for k, v in sale.items() if k != "line"}
            data.update(department=dept.key, currency=content.currency)
            yield Record(
                "invoice_basis",
                key,
                data,
                partition=dept.key,
                cursor=f"{path.name}#{sale['line']}",
            )


def _file_error(dept: Department, path: Path, err: Exception) -> RecordError:
    if isinstance(err, SaftFileError):
        return RecordError(
            f"{err} (department {dept.name}): none of its settlements was read; the other "
            "files go on",
            field=path.name,
            value=err.line,
            rule="a SAF-T Cash Register file must be valid against Skatteetaten's schema "
            "(Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd)",
            fix=f"export {path.name} again from DUELL (Rapporter -> SAF-T), replace the file "
            "and run again",
        )
    return RecordError(
        f"The settlement side file of {path.name} (department {dept.name}) cannot be used: "
        f"{err}; none of the file's settlements was read",
        field=path.name,
        rule="a .settlement.json side file follows the pos_zreport.settlement/1 format "
        "(docs/connectors/pos_zreport.md)",
        fix="correct or remove the side file, then run again",
    )
