"""Articles in canonical form: PM products, work types and travel expense
types, and eAccounting articles, with the same fields from both systems.

    number    the article number = PM's code (eAccounting requires it, at most 40)
    name      at most 50 characters (the seed's ErrorCode 2000)
    active    Aktiv = Aktiv
    unit      an eAccounting unit name: Timmar for work types, Kilometer for
              mileage, Styck otherwise unless PM names one (the seed)
    vatRate   percent (25.0); PM's on products and travel expense types, the
              organization's default on work types (which have none); in
              eAccounting the VAT of the article's account coding
    price     the sales price excluding VAT (PM's unit price, eAccounting's
              NetPrice); None when there is none
    cost      PM's unit cost (hour cost of a work type) = eAccounting's
              PurchasePrice; None when there is none

The price including VAT (GrossPrice) is not a field of its own: it is
computed from the price and the VAT rate (`gross`), as the seed says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledgerbridge.core.errors import RecordError

ENTITY = "article"
MATCH = ("number", "name")
FIELDS = ("number", "name", "active", "unit", "vatRate", "price", "cost")
MAX_NAME, MAX_NUMBER = 50, 40
HOURS, KILOMETRES, PIECES = "Timmar", "Kilometer", "Styck"

# How each kind is named in messages, and where the user fixes it in PM.
KINDS = {
    "product": ("product", "Settings > Products"),
    "worktype": ("work type", "Settings > Work types"),
    "travel": ("travel expense", "Settings > Travel expenses"),
    "article": ("article", "eAccounting's article register"),
}


def text(value: Any) -> str | None:
    if value is None:
        return None
    out = str(value).strip()
    return out or None


def amount(value: Any) -> float | None:
    """A money amount (a number or PM's {amount}); zero and none are None,
    as eAccounting shows a missing price as 0."""
    if isinstance(value, Mapping):
        value = value.get("amount")
    if value in (None, ""):
        return None
    number = round(float(value), 2)
    return number or None


def percent(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def canonical(**fields: Any) -> dict[str, Any]:
    return {
        "number": text(fields.get("number")),
        "name": text(fields.get("name")),
        "active": bool(fields.get("active", True)),
        "unit": text(fields.get("unit")),
        "vatRate": percent(fields.get("vatRate")),
        "price": amount(fields.get("price")),
        "cost": amount(fields.get("cost")),
    }


def gross(price: float | None, vat_rate: float | None) -> float:
    """The price including VAT, from the price and the VAT rate (the seed)."""
    if not price:
        return 0.0
    return round(price * (1 + (vat_rate or 0) / 100), 2)


def kind_of(key: str) -> str:
    """A PM record's kind from its key ("worktype:GUID"); eAccounting's are articles."""
    head, sep, _ = key.partition(":")
    return head if sep and head in KINDS else "article"


def label(data: Mapping[str, Any], kind: str = "article") -> str:
    what = KINDS.get(kind, KINDS["article"])[0]
    return f"{what} {data.get('number') or '(no code)'} {data.get('name') or ''}".strip()


def check_for(data: Mapping[str, Any], kind: str, target: str) -> None:
    """What every article must have before it is sent: a code (eAccounting's
    article number is required), a name of at most 50 characters, and, going
    to eAccounting, a VAT rate (its coding is chosen by it)."""
    what, where = KINDS.get(kind, KINDS["article"])
    who = label(data, kind)
    if not data.get("number"):
        raise RecordError(
            f"Could not add {who} to {target}: it has no code, and the code is the "
            "article number, which is required",
            field="number",
            rule="every product, work type and travel expense type has a code in Visma PM",
            fix=f"give the {what} a code in Visma PM ({where}) and run again",
        )
    if len(str(data["number"])) > MAX_NUMBER:
        raise RecordError(
            f"Could not add {who} to {target}: the code is {len(str(data['number']))} "
            f"characters, longer than the {MAX_NUMBER} an article number may have",
            field="number",
            value=data["number"],
            rule=f"at most {MAX_NUMBER} characters",
            fix=f"shorten the {what}'s code in Visma PM ({where}) and in eAccounting",
        )
    name = str(data.get("name") or "")
    if len(name) > MAX_NAME:
        raise RecordError(
            f"Could not add {who} to {target}. ErrorCode: 2000, DeveloperErrorMessage: "
            f"ValidateModelAttributeException - The field Name must be a string with a "
            f"maximum length of {MAX_NAME}. (the name is {len(name)} characters)",
            field="name",
            value=name,
            rule=f"at most {MAX_NAME} characters",
            fix=f"shorten the {what}'s name to {MAX_NAME} characters ({where}) and run again",
        )


def check_vat(data: Mapping[str, Any], kind: str) -> None:
    """The seed: a product without VAT gets no coding, and eAccounting answers
    "Error converting value {null} to type 'System.Guid'. Path 'CodingId'"."""
    if data.get("vatRate") is not None:
        return
    what, where = KINDS.get(kind, KINDS["article"])
    raise RecordError(
        f"Could not add {label(data, kind)} to Visma eAccounting. ErrorCode: 2000, "
        "DeveloperErrorMessage: ValidateModelAttributeException - Error converting value "
        "{null} to type 'System.Guid'. Path 'CodingId': the "
        f"{what} has no VAT rate, so it gets no article coding",
        field="vatRate",
        rule="an article's coding (Tjänster x% moms) is chosen by the VAT rate",
        fix=f"choose the right VAT rate on the {what} in Visma PM ({where}) and run again",
    )
