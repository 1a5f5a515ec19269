"""Run state in SQLite: runs, outcomes, links, cursors and the outbox.

Import from the modules (`ledgerbridge.core.state.db`, `.links`, `.bindings`):
this package imports nothing itself, so `import ledgerbridge` (and every
worker process that imports a plugin module) stays light; the database
layer loads sqlite-utils only when state is opened.
"""
