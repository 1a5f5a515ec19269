"""The seed's invoice settings ("Initiala inställningar"), as config keys.

    defaultArticleNumber   "Standard artikelnummer": the eAccounting article an
                           invoice row linked to no product, work type or travel
                           expense is booked on (checked to exist in eAccounting
                           when invoices are transferred)
    invoiceStatuses        the four PM invoice statuses, by name (or guid):
                           {"toTransfer": "Skicka till eEkonomi",
                            "transferred": "Överförd eEkonomi",
                            "sent": "Skickad", "paid": "Betald"}
                           (checked to exist in Visma PM; "to transfer" and
                           "transferred" must not give an invoice number, since
                           eAccounting numbers the invoice)
    supplierInvoiceCosts   "billable" or "non-billable" project costs
    supplierInvoiceDates   "this-week", "this-month" or {"from": DATE, "to": DATE}

Invoice flows run when `invoiceStatuses` is set, the supplier-cost flow when
`supplierInvoiceCosts` is; a tenant can so start with customers alone.
What JSON Schema cannot say (dates that exist, a range in order, four
distinct statuses) is `check_invoice_settings`, run when the config is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

STATUS_KEYS = ("toTransfer", "transferred", "sent", "paid")
STATUS_TITLES = {
    "toTransfer": "invoices to transfer (e.g. Skicka till eEkonomi)",
    "transferred": "transferred invoices (e.g. Överförd eEkonomi)",
    "sent": "sent invoices (e.g. Skickad)",
    "paid": "paid invoices (e.g. Betald)",
}
_DAY = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}

INVOICE_PROPERTIES: dict[str, Any] = {
    "defaultArticleNumber": {
        "type": "string",
        "minLength": 1,
        "maxLength": 40,
        "description": "Standard artikelnummer: the number of the eAccounting article that "
        "invoice rows linked to no product, work type or travel expense are booked on. It "
        "must exist in eAccounting. Without it such rows fail.",
    },
    "invoiceStatuses": {
        "type": "object",
        "additionalProperties": False,
        "required": list(STATUS_KEYS),
        "properties": {
            key: {"type": "string", "minLength": 1, "description": f"The PM status of {title}."}
            for key, title in STATUS_TITLES.items()
        },
        "description": "The four Visma PM invoice statuses, by name or guid: toTransfer, "
        "transferred, sent, paid. Invoices move to eAccounting when this is set.",
    },
    "supplierInvoiceCosts": {
        "enum": ["billable", "non-billable"],
        "description": "Supplier invoices become billable or non-billable project costs in "
        "Visma PM. Supplier invoices move to PM when this is set.",
    },
    "supplierInvoiceDates": {
        "oneOf": [
            {"enum": ["this-week", "this-month"]},
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["from", "to"],
                "properties": {"from": _DAY, "to": _DAY},
            },
        ],
        "description": 'The supplier invoices transferred, by invoice date: "this-week" '
        '(default), "this-month" or {"from": "2026-01-01", "to": "2026-01-31"}.',
    },
}


def check_invoice_settings(config: Mapping[str, Any]) -> list[str]:
    """Problems JSON Schema cannot find: a date range of real dates in order,
    four different statuses."""
    problems: list[str] = []
    dates = config.get("supplierInvoiceDates")
    if isinstance(dates, Mapping):
        parsed = {}
        for key in ("from", "to"):
            try:
                parsed[key] = date.fromisoformat(str(dates.get(key)))
            except ValueError:
                problems.append(
                    f"key 'supplierInvoiceDates.{key}': value {dates.get(key)!r} is not a date; "
                    "rule: a date such as 2026-01-31"
                )
        if len(parsed) == 2 and parsed["from"] > parsed["to"]:
            problems.append(
                f"key 'supplierInvoiceDates': from {dates['from']} is after to {dates['to']}; "
                "rule: the range starts on or before it ends"
            )
    statuses = config.get("invoiceStatuses")
    if isinstance(statuses, Mapping):
        seen: dict[str, str] = {}
        for key in STATUS_KEYS:
            name = str(statuses.get(key) or "").strip().casefold()
            if name and name in seen:
                problems.append(
                    f"key 'invoiceStatuses.{key}': value {statuses[key]!r} is also "
                    f"invoiceStatuses.{seen[name]}; rule: the four statuses are different "
                    "statuses; fix: name the status Visma PM has for each"
                )
            seen.setdefault(name, key)
    return problems
