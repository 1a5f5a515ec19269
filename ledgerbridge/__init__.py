"""ledgerbridge: move business documents between Nordic business systems and Visma.

Plugin authors import what they need from here::

    from ledgerbridge import hookimpl, Record, Flow, Connector, RecordError
"""

from ledgerbridge.core.components import (
    Candidate,
    Connector,
    DemoSetup,
    Flow,
    RunOption,
    WriteResult,
)
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.errors import AuthError, ConfigError, LedgerbridgeError, RecordError
from ledgerbridge.core.hookspecs import hookimpl
from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.core.state.links import Link, Side

__version__ = "0.1.0"

__all__ = [
    "AuthError",
    "Binding",
    "Candidate",
    "ConfigError",
    "Connector",
    "DemoSetup",
    "Flow",
    "LedgerbridgeError",
    "Link",
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
