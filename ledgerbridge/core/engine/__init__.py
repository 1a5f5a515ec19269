"""The engine: streams records source -> mapper -> target, one at a time."""

from ledgerbridge.core.engine.run import RunRequest, run_connector
from ledgerbridge.core.engine.summary import FlowSummary, RunSummary

__all__ = ["FlowSummary", "RunRequest", "RunSummary", "run_connector"]
