"""The test kit for plugin authors: pytest fixtures and contract tests.

The fixtures (`lb_workspace`, `lb_tenant`, `lb_plugin`, `lb_clock`, `lb_run`,
`lb_cli`) are loaded by pytest on its own through the `pytest11` entry point.
Import the contract classes, and the fixtures' types for annotations, from
here::

    from ledgerbridge.testing import SourceContract, ConnectorRunner
"""

import pytest

# Plain `assert`s in the contracts should explain themselves like test code's.
pytest.register_assert_rewrite("ledgerbridge.testing.contracts")

from ledgerbridge.testing.contracts import (  # noqa: E402
    MapperContract,
    SourceContract,
    TargetContract,
    binding_for,
)
from ledgerbridge.testing.pytest_plugin import (  # noqa: E402
    CliInvoker,
    ConnectorRunner,
    PluginRegistrar,
    TenantFactory,
)

__all__ = [
    "CliInvoker",
    "ConnectorRunner",
    "MapperContract",
    "PluginRegistrar",
    "SourceContract",
    "TargetContract",
    "TenantFactory",
    "binding_for",
]
