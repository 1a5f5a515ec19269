"""The eaccounting plugin: the connector, its two systems and their emulators.

Registered through the `ledgerbridge` entry-point group in pyproject.toml,
exactly as a third-party plugin is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledgerbridge import hookimpl


@hookimpl
def register_connectors(register: Callable[[Any], None]) -> None:
    from ledgerbridge.plugins.eaccounting.connector import CONNECTOR

    register(CONNECTOR)


@hookimpl
def register_systems(register: Callable[[Any], None]) -> None:
    from ledgerbridge.plugins.eaccounting.systems import SYSTEMS

    for system in SYSTEMS:
        register(system)


@hookimpl
def register_emulators(register: Callable[[Any], None]) -> None:
    from ledgerbridge.plugins.eaccounting.eaccounting.emulator import EMULATOR as EACCOUNTING
    from ledgerbridge.plugins.eaccounting.pm.emulator import EMULATOR as SEVERA

    register(EACCOUNTING)
    register(SEVERA)
