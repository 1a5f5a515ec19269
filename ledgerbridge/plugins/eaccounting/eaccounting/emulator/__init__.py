"""An emulated Visma eAccounting API v2 (with its identity server).

It serves what the eaccounting connector calls, per the 2026 OpenAPI:
customers, articles, article account codings, units, cost centers and their
items, projects, customer invoice drafts (create, replace, delete, convert),
customer invoices with payments, supplier invoices, VAT codes, terms of
payment, currencies, countries and company settings; OAuth2 authorization
code with single-use refresh tokens, 600 requests/min per client and
endpoint, `{Meta, Data}` paging with `$filter`, the vendor's error body and
request bodies validated against the spec's schemas. See app.py for the
settings and testing.py for a ready sandbox.
"""

from ledgerbridge.core.sandbox import Emulator
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import manual
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.app import (
    EAccountingApp,
    build_app,
    state_of,
)
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.state import EAccountingState

EMULATOR = Emulator(
    "eaccounting",
    "/eaccounting",
    build_app,
    "Visma eAccounting API v2",
    seed=manual.seed,
    connection=manual.connection,
)

__all__ = ["EMULATOR", "EAccountingApp", "EAccountingState", "build_app", "state_of"]
