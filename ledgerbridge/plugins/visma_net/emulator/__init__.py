"""An emulated Visma.net ERP API for tests, demos and benchmarks.

It serves what the visma_net connector (and the connectors writing journal
transactions and inventory items) calls: Visma Connect client-credentials
tokens, the master-data lists, customers, customer invoices and credit notes
with attachments, journal transactions and inventory items, with Visma.net's
paging, rate-limit headers, error bodies and business rules. See app.py for
the settings and testing.py for a ready sandbox.
"""

from ledgerbridge.core.sandbox import Emulator
from ledgerbridge.plugins.visma_net.emulator import manual
from ledgerbridge.plugins.visma_net.emulator.app import VismaNetApp, build_app, state_of
from ledgerbridge.plugins.visma_net.emulator.state import VismaState

EMULATOR = Emulator(
    "visma_net",
    "/visma_net",
    build_app,
    "Visma.net ERP API",
    seed=manual.seed,
    connection=manual.connection,
)

__all__ = ["EMULATOR", "VismaNetApp", "VismaState", "build_app", "state_of"]
