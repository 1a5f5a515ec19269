"""The eaccounting connector's config (the seed's "Initiala inställningar").

Built so far: the master system for customers and the two connections.
The seed's other settings (master for products, cost center for projects,
default article, supplier invoices as billable or not, the four PM invoice
statuses, the supplier-invoice date window) come with their flows; see
docs/connectors/eaccounting.md.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.plugins.eaccounting.invoice_settings import INVOICE_PROPERTIES

CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["masterForCustomers"],
    "properties": {
        "masterForCustomers": {
            "enum": ["pm", "eaccounting"],
            "description": "The system changes to linked customers flow from: Visma PM "
            '("pm") or Visma eAccounting ("eaccounting"). New customers flow both ways.',
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
