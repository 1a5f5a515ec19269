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

The three flows read the same files: with the run's parse cache, a new or
changed file is parsed once for all of them (saft/parts.py).
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.parsecache import ParseKey
from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.core.sourcefiles import SettledFiles, file_digest
from ledgerbridge.plugins.pos_zreport.saft.extension import (
    ExtensionError,
    read_extension,
    side_file,
)
from ledgerbridge.plugins.pos_zreport.saft.parts import (
    PARTS_FORMAT,
    CreditPart,
    Fault,
    Header,
    Part,
    SharedParse,
    ZPart,
)
from ledgerbridge.plugins.pos_zreport.saft.reader import SaftFileError, read_saft
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
        self,
        settings: Settings,
        entity: str,
        departments: frozenset[str] | None = None,
        shared: SharedParse | None = None,
    ) -> None:
        self.settings = settings
        self.entity = entity
        self.only = departments  # None: every department
        reading = [settings.encoding, sorted(settings.gift_card_groups)]
        self._files_seen = SettledFiles([entity, *reading])
        # the run's parse cache (saft/parts.py): None, each flow parses for itself
        self.shared = shared
        self._parts_shape = [PARTS_FORMAT, *reading]

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
            # the digest of the file and its side file: the origin, and the parse cache's key
            digest = file_digest(path, side_file(path))
            origin = None if digest is None else f"{self._files_seen.named(digest)}/{dept.key}"
            if origin is not None and origin in self._files_seen.settled:
                continue
            for item in self._file(dept, path, digest):
                yield replace(item, origin=origin)
            self._files_seen.done(origin)

    def _file(
        self, dept: Department, path: Path, digest: str | None
    ) -> Iterator[Record | Rejected]:
        """This flow's items of one file, from all its parts (read to their
        end, so a spool of them is kept)."""
        currency = ""
        for part in self._parts(path, digest):
            if isinstance(part, Fault):
                yield Rejected(
                    self.entity,
                    f"{dept.key}/{path.name}",
                    _file_error(dept, path, part),
                    partition=dept.key,
                    cursor=f"{path.name}#0",
                )
            elif isinstance(part, Header):
                currency = part.currency
            elif isinstance(part, CreditPart):
                if self.entity == "invoice_basis":
                    yield self._credit_sale(dept, path, currency, part.sale)
            elif self.entity == "zreport" or (
                self.entity == "stock_issue" and self._moves_goods(part.z)
            ):
                yield self._zrecord(dept, path, currency, part)

    def _parts(self, path: Path, digest: str | None) -> Iterator[Part]:
        """The file's parts: replayed when an earlier flow of the run parsed
        the same bytes (file and side file) with the same settings, else
        parsed, and kept for the flows after this one when it `spools`."""
        encoding = self.settings.encoding
        if self.shared is None or digest is None:
            return parse_parts(path, encoding)
        key = ParseKey.of([path, side_file(path)], digest, self._parts_shape)
        cache = self.shared.cache
        replayed = cache.replay(key)
        if replayed is not None:
            return replayed
        if not self.shared.spools:
            return parse_parts(path, encoding)
        return cache.spool(key, parse_parts(path, encoding))

    def _moves_goods(self, z: dict[str, Any]) -> bool:
        return any(
            i.get("group") not in self.settings.gift_card_groups and i.get("qnt") not in ("0", None)
            for i in z.get("items") or []
        )

    def _zrecord(self, dept: Department, path: Path, currency: str, part: ZPart) -> Record:
        z, ext = part.z, part.extension
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
                currency=currency,
                settlementDate=settlement,
                countedCash=ext.get("countedCash"),
                note=ext.get("note"),
            )
        return Record(self.entity, key, data, partition=dept.key, cursor=cursor)

    def _credit_sale(
        self, dept: Department, path: Path, currency: str, sale: dict[str, Any]
    ) -> Record:
        key = f"{dept.key}/{sale['register']}/{sale['transID']}"
        data = {k: v for k, v in sale.items() if k != "line"}
        data.update(department=dept.key, currency=currency)
        return Record(
            "invoice_basis",
            key,
            data,
            partition=dept.key,
            cursor=f"{path.name}#{sale['line']}",
        )


def parse_parts(path: Path, encoding: str) -> Iterator[Part]:
    """The file's parts: its fault alone, or its header, its Z reports (with
    the side file's entries) and its credit sales, in document order."""
    try:
        content = read_saft(path, encoding)
        extension = read_extension(path)
    except SaftFileError as err:
        yield Fault("saft", str(err), err.line)
        return
    except ExtensionError as err:
        yield Fault("extension", str(err))
        return
    yield Header(content.currency)
    for z in content.zreports:
        yield ZPart(z, dict(extension.get((z["registerID"], z["reportID"]), {})))
    for sale in content.credit_sales:
        yield CreditPart(sale)


def _file_error(dept: Department, path: Path, fault: Fault) -> RecordError:
    if fault.kind == "saft":
        return RecordError(
            f"{fault.text} (department {dept.name}): none of its settlements was read; the "
            "other files go on",
            field=path.name,
            value=fault.line,
            rule="a SAF-T Cash Register file must be valid against Skatteetaten's schema "
            "(Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd)",
            fix=f"export {path.name} again from DUELL (Rapporter -> SAF-T), replace the file "
            "and run again",
        )
    return RecordError(
        f"The settlement side file of {path.name} (department {dept.name}) cannot be used: "
        f"{fault.text}; none of the file's settlements was read",
        field=path.name,
        rule="a .settlement.json side file follows the pos_zreport.settlement/1 format "
        "(docs/connectors/pos_zreport.md)",
        fix="correct or remove the side file, then run again",
    )
