"""An emulated Nmbrs SOAP API (CompanyService, DebtorService) for tests,
demos and benchmarks; see app.py for what it answers and state.py for its
seed data."""

from ledgerbridge.core.sandbox import Emulator
from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator import manual
from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator.app import NmbrsApp, build_app, state_of
from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator.state import DEMO_USER, NmbrsState

EMULATOR = Emulator(
    "nmbrs",
    "/nmbrs",
    build_app,
    "Nmbrs SOAP API (CompanyService, DebtorService)",
    seed=manual.seed,
    connection=manual.connection,
)

__all__ = ["DEMO_USER", "EMULATOR", "NmbrsApp", "NmbrsState", "build_app", "state_of"]
