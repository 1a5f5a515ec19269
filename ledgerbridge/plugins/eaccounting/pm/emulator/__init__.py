"""An emulated Visma Severa (Visma PM) REST API, /rest-api/v1.

It serves what the eaccounting connector reads and writes on the PM side,
per the facts file and Severa's OpenAPI as the public TypeScript client
carries it: client-credentials tokens, customers with addresses and contact
persons, products, work types, travel expense types, projects, invoices with
their rows and statuses, project fees, VAT rates, currencies and countries;
`NextPageToken` paging, `changedSince`, JSON-Patch updates, 10 requests/s
with 429s and the ExceptionModel error body. See app.py for the settings and
testing.py for a ready sandbox.
"""

from ledgerbridge.core.sandbox import Emulator
from ledgerbridge.plugins.eaccounting.pm.emulator import manual
from ledgerbridge.plugins.eaccounting.pm.emulator.app import SeveraApp, build_app, state_of
from ledgerbridge.plugins.eaccounting.pm.emulator.state import SeveraState

EMULATOR = Emulator(
    "severa",
    "/severa",
    build_app,
    "Visma PM (Visma Severa) REST API",
    seed=manual.seed,
    connection=manual.connection,
)

__all__ = ["EMULATOR", "SeveraApp", "SeveraState", "build_app", "state_of"]
