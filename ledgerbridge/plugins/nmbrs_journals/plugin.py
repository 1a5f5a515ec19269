"""The nmbrs_journals plugin: the connector, the Nmbrs system and its SOAP
emulator. Registered through the `ledgerbridge` entry-point group in
pyproject.toml, exactly as a third-party plugin is.

The Visma.net side (system, client, journal-transaction target, emulator)
is the visma_net plugin's: the tenant's one Visma.net connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledgerbridge import hookimpl


@hookimpl
def register_connectors(register: Callable[[Any], None]) -> None:
    from ledgerbridge.plugins.nmbrs_journals.connector import CONNECTOR

    register(CONNECTOR)


@hookimpl
def register_systems(register: Callable[[Any], None]) -> None:
    from ledgerbridge.plugins.nmbrs_journals.nmbrs.system import SYSTEM

    register(SYSTEM)


@hookimpl
def register_emulators(register: Callable[[Any], None]) -> None:
    from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator import EMULATOR

    register(EMULATOR)
