"""The eaccounting connector's config (the seed's "Initiala inställningar").

Built so far: the master systems for customers and for products, the cost
center PM projects go into, and the two connections. The seed's other
settings (default article, supplier invoices as billable or not, the four PM
invoice statuses, the supplier-invoice date window) come with their flows;
see docs/connectors/eaccounting.md. What a schema cannot check (the cost
center exists, the company is not Norwegian) is checked against eAccounting
at the start of every run (company.py).
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.plugins.eaccounting.invoice_settings import INVOICE_PROPERTIES

CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["masterForCustomers", "masterForProducts", "projectCostCenter"],
    "properties": {
        "masterForCustomers": {
            "enum": ["pm", "eaccounting"],
            "description": "The system changes to linked customers flow from: Visma PM "
            '("pm") or Visma eAccounting ("eaccounting"). New customers flow both ways.',
        },
        "masterForProducts": {
            "enum": ["pm", "eaccounting"],
            "description": "The system changes to linked articles flow from: Visma PM "
            '("pm": products, work types, travel expense types) or Visma eAccounting '
            '("eaccounting": articles). New ones flow both ways.',
        },
        "projectCostCenter": {
            "oneOf": [
                {"type": "integer", "minimum": 1, "maximum": 3},
                {"type": "string", "minLength": 1, "maxLength": 20},
            ],
            "description": "The eAccounting cost center (Resultatenhet) Visma PM projects "
            "go into as cost center items: its number (1-3) or its name, e.g. "
            '"Projekt". It must exist and be active in eAccounting.',
        },
        "connections": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "severa": {"type": "string", "description": "The Visma PM connection."},
                "eaccounting": {"type": "string", "description": "The eAccounting connection."},
            },
            "description": 'The tenant\'s connections: {"severa": NAME, "eaccounting": NAME}.',
        },
    },
}

CONFIG_SCHEMA["properties"].update(INVOICE_PROPERTIES)  # invoices: invoice_settings.py
