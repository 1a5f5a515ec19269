"""ledgerbridge: move business documents between Nordic business systems and Visma.

Plugin authors import what they need from here::

    from ledgerbridge import hookimpl, Record, Flow, Connector, RecordError
"""

from ledgerbridge.core.components import Connector, DemoSetup, Flow, RunOption, WriteResult
from ledgerbridge.core.errors import ConfigError, LedgerbridgeError, RecordError
from ledgerbridge.core.hookspecs import hookimpl
from ledgerbridge.core.records import Record, Rejected

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Connector",
    "DemoSetup",
    "Flow",
    "LedgerbridgeError",
    "Record",
    "RecordError",
    "Rejected",
    "RunOption",
    "WriteResult",
    "__version__",
    "hookimpl",
]
