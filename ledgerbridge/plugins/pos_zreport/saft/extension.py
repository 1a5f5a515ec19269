"""Our documented extension: what DUELL's settlement has and SAF-T does not.

Skatteetaten's schema has no element for the counted cash drawer
("Kasseskuff", entered at the Z-report in DUELL), for a note explaining a
difference, or for "Oppgjøret gjelder" (the date a late settlement is for,
when it differs from the day the Z report was run), and it admits no foreign
elements. So they come beside the file, as JSON named after it:

    Z-2024-03-31.xml                  the SAF-T Cash Register file (unchanged)
    Z-2024-03-31.settlement.json      {"format": "pos_zreport.settlement/1",
                                       "settlements": [{"registerID": "1",
                                         "reportID": "118", "settlementDate": "2024-03-31",
                                         "countedCash": "1450.00", "note": "..."}]}

Every field but registerID and reportID is optional; a Z report without an
entry is dated by its reportDate and books no cash difference. A side file
that is not valid fails its SAF-T file (with both names), never the run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

FORMAT = "pos_zreport.settlement/1"
SUFFIX = ".settlement.json"
_AMOUNT = r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["format", "settlements"],
    "properties": {
        "format": {"const": FORMAT},
        "settlements": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["registerID", "reportID"],
                "properties": {
                    "registerID": {"type": "string", "minLength": 1},
                    "reportID": {"type": "string", "minLength": 1},
                    "settlementDate": {
                        "type": "string",
                        "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                    },
                    "countedCash": {"type": "string", "pattern": _AMOUNT},
                    "note": {"type": "string", "maxLength": 500},
                },
            },
        },
    },
}
_VALIDATOR = Draft202012Validator(SCHEMA)


class ExtensionError(ValueError):
    pass


def side_file(saft_file: Path) -> Path:
    return saft_file.with_name(saft_file.stem + SUFFIX)


def read_extension(saft_file: Path) -> Mapping[tuple[str, str], dict[str, Any]]:
    """(registerID, reportID) -> the extension entry; empty without a side file."""
    path = side_file(saft_file)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ExtensionError(f"{path.name} cannot be read as UTF-8 JSON ({err})") from None
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top)"
        raise ExtensionError(f"{path.name} is not a {FORMAT} file: at {where}: {first.message}")
    return {(s["registerID"], s["reportID"]): s for s in data["settlements"]}
