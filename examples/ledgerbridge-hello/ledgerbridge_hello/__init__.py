"""ledgerbridge-hello: an example plugin to copy when writing your own.

`plugin` holds the hooks ledgerbridge calls; `source`, `mapper` and `target`
hold the three components of the one flow, each a plain class.
"""

__version__ = "0.1.0"
