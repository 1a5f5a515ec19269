"""What one SAF-T file yields, in a form every flow reads: parsed once a run.

The zreports, invoice_bases and stock flows read the same SAF-T Cash
Register files (in that order). Parsing is most of what a new or changed
file costs them (lxml validating against the XSD as it streams, the side
file's JSON schema), so the first flow of a run to parse a file, when a
later flow reads the same files, yields the file's parts for every flow and
spools them in the run's parse cache (core/parsecache.py); a later flow
replays them instead of parsing. A part is the file's header (its currency),
one Z report with its side-file entry, one credit sale, or the file's fault
(the file, or its side file, cannot be used).

Nothing else changes: each flow makes its records and Rejected items from
the parts with the same code whether they were parsed or replayed, so the
records and messages are the same; each flow still reports its own, and
still skips the files settled for it. A file or side file whose bytes
changed between two flows' reads (another digest), or not kept in the spool
(its limits), is parsed again. The parse itself is the source's
(source.py, `parse_parts`). `read_saft` holds one file's Z reports and
credit sales in memory while it parses (it validates the whole file before
any of it is used), as before; the spool is written and replayed one frame
of parts at a time, never as a whole file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ledgerbridge.core.parsecache import ParseCache

PARTS_FORMAT = "pos_zreport.saft-parts/1"
"""Part of every parse key: a change to what the parts hold gives other keys."""


@dataclass(frozen=True)
class Header:
    """What a valid file says about all its reports and sales."""

    currency: str


@dataclass(frozen=True)
class ZPart:
    """One Z report (reader.py's data) and its side-file entry ({} without one)."""

    z: dict[str, Any]
    extension: dict[str, Any]


@dataclass(frozen=True)
class CreditPart:
    """One credit sale (reader.py's data)."""

    sale: dict[str, Any]


@dataclass(frozen=True)
class Fault:
    """The file cannot be used: nothing of it is read. `kind` says whether
    the SAF-T file (its `line`, when known) or its side file is at fault;
    kept as text, not as the exception, so it pickles and reads back the same."""

    kind: Literal["saft", "extension"]
    text: str
    line: int | None = None


Part = Header | ZPart | CreditPart | Fault


@dataclass(frozen=True)
class SharedParse:
    """How a source uses the run's parse cache.

    spools: a later flow of the run reads the same files: on a miss, parse
            each file and keep its parts; else replay what an earlier flow
            kept, or parse for this flow alone."""

    cache: ParseCache
    spools: bool
