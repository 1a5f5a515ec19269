"""VAT rates in Opter -> VAT codes in Visma.net.

"Visma.net has a fixed set of VAT codes that cannot be changed. The VAT codes
in Opter must therefore be translated." The table is the config's `vatCodes`
(`{"25%": "01", "EU": "15"}`), the counterpart of the Code column on Opter's
Tax rates tab. Both sides match exactly as text: "01" is not "1" and "25%"
is not "25", as the help page warns ("Using “1” does not work"). Only
surrounding spaces are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ledgerbridge.core.errors import RecordError

CODE_FIX = "enter the code exactly as it appears in Visma.net, e.g. 01"


def translate(rate: str, table: Mapping[str, str], field: str) -> str:
    """The Visma.net VAT code for an Opter VAT rate text; RecordError if none."""
    code = table.get(rate.strip())
    if code is not None:
        return code.strip()
    near = [k for k in table if _loose(k) == _loose(rate)]
    hint = f" (vatCodes has {near[0]!r}; rates match exactly as text)" if near else ""
    raise RecordError(
        f"VAT rate {rate!r} has no Visma.net VAT code{hint}",
        field=field,
        value=rate,
        rule="every VAT rate used in Opter needs a Visma.net VAT code in vatCodes, "
        "matched exactly as text",
        fix=f'add "{rate.strip()}": "<code>" to vatCodes (Code column on the Tax rates tab); '
        + CODE_FIX,
    )


def check_codes(used: Mapping[str, Iterable[str]], known: Iterable[str]) -> list[RecordError]:
    """Errors for VAT codes not in Visma.net's VAT list (ids from /v1/vat).

    used: code -> the fields that use it (e.g. "rows[2].vatCodeId").
    """
    known_set = {k.strip() for k in known}
    errors = []
    for code, where in sorted(used.items()):
        if code in known_set:
            continue
        near = [k for k in sorted(known_set) if _loose(k) == _loose(code)]
        hint = f"; Visma.net has {near[0]!r}, and {code!r} is not {near[0]!r}" if near else ""
        fields = sorted(set(where))
        errors.append(
            RecordError(
                f"VAT code {code!r} is not one of Visma.net's VAT codes{hint}",
                field=", ".join(fields) or None,
                value=code,
                rule="a VAT code must exist in Visma.net (VAT window TX205000)",
                fix="correct the code in vatCodes (Code column on Opter's Tax rates tab); "
                + CODE_FIX,
            )
        )
    return errors


def check_table(table: Mapping[str, str], known: Iterable[str]) -> list[str]:
    """Config-level problems: vatCodes entries whose code Visma.net lacks."""
    used: dict[str, list[str]] = {}
    for rate, code in table.items():
        used.setdefault(code.strip(), []).append(f"vatCodes.{rate}")
    return [str(e) for e in check_codes(used, known)]


def _loose(text: str) -> str:
    """Only for hints: '01' ~ '1', '25%' ~ '25', ' eu' ~ 'EU'."""
    return text.strip().rstrip("%").lstrip("0").upper()
