"""ledgerbridge: move business documents between Nordic business systems and Visma.

Plugin authors import what they need from here::

    from ledgerbridge import hookimpl, Record, Flow, Connector, RecordError
"""

from typing import TYPE_CHECKING, Any

from ledgerbridge.core.components import (
    Candidate,
    Connector,
    DemoFix,
    DemoSetup,
    DemoStep,
    Flow,
    RunOption,
    WriteResult,
)
from ledgerbridge.core.errors import AuthError, ConfigError, LedgerbridgeError, RecordError
from ledgerbridge.core.hookspecs import hookimpl
from ledgerbridge.core.plan import FieldChange, Plan
from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.core.state.links import Link, Side

if TYPE_CHECKING:
    from ledgerbridge.core.context import RunContext


def __getattr__(name: str) -> Any:
    """`RunContext` loads the HTTP layer: imported when asked for, so
    `import ledgerbridge` stays light for plugins' worker processes."""
    if name == "RunContext":
        from ledgerbridge.core.context import RunContext

        return RunContext
    raise AttributeError(f"module 'ledgerbridge' has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = [
    "AuthError",
    "Binding",
    "Candidate",
    "ConfigError",
    "Connector",
    "DemoFix",
    "DemoSetup",
    "DemoStep",
    "FieldChange",
    "Flow",
    "LedgerbridgeError",
    "Link",
    "Plan",
    "Record",
    "RecordError",
    "Rejected",
    "RunContext",
    "RunOption",
    "Side",
    "WriteResult",
    "__version__",
    "hookimpl",
]
