"""The plugin's entry point (pyproject.toml, group `ledgerbridge`).

It registers nothing until the connector is built (see the open issue), so
an installed package loads it without effect.
"""
