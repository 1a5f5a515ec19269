"""Run state in SQLite: runs, outcomes, bindings, cursors and the outbox."""

from ledgerbridge.core.state.bindings import Binding, BindingView
from ledgerbridge.core.state.db import SCHEMA_VERSION, StateDB

__all__ = ["SCHEMA_VERSION", "Binding", "BindingView", "StateDB"]
