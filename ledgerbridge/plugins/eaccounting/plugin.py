"""The eaccounting plugin: for now only the emulators of its two systems.

Registered through the `ledgerbridge` entry-point group in pyproject.toml,
exactly as a third-party plugin is. The connector (Visma PM <-> Visma
eAccounting, issue 9) is not built yet; when it is, its
`register_connectors` goes here beside this hook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledgerbridge import hookimpl


@hookimpl
def register_emulators(register: Callable[[Any], None]) -> None:
    from ledgerbridge.plugins.eaccounting.eaccounting.emulator import EMULATOR as EACCOUNTING
    from ledgerbridge.plugins.eaccounting.pm.emulator import EMULATOR as SEVERA

    register(EACCOUNTING)
    register(SEVERA)
