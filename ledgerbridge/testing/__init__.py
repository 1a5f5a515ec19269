"""The test kit for plugin authors: pytest fixtures and contract tests.

The fixtures (`lb_workspace`, `lb_tenant`, `lb_plugin`, `lb_clock`, `lb_run`,
`lb_cli`, `lb_sandbox`) are loaded by pytest on its own through the `pytest11` entry point.
Import the contract classes, and the fixtures' types for annotations, from
here::

    from ledgerbridge.testing import SourceContract, ConnectorRunner
"""

import pytest

# Plain `assert`s in the contracts should explain themselves like test code's.
pytest.register_assert_rewrite("ledgerbridge.testing.contracts", "ledgerbridge.testing.twoway")

from ledgerbridge.testing.contracts import (  # noqa: E402
    MapperContract,
    SourceContract,
    TargetContract,
    binding_for,
)
from ledgerbridge.testing.memory import (  # noqa: E402
    CopyMapper,
    MemorySource,
    MemorySystem,
    MemoryTarget,
)
from ledgerbridge.testing.pytest_plugin import (  # noqa: E402
    CliInvoker,
    ConnectorRunner,
    PluginRegistrar,
    SandboxFactory,
    TenantFactory,
)
from ledgerbridge.testing.twoway import TwoWayContract, TwoWayHarness  # noqa: E402

__all__ = [
    "CliInvoker",
    "ConnectorRunner",
    "CopyMapper",
    "MapperContract",
    "MemorySource",
    "MemorySystem",
    "MemoryTarget",
    "PluginRegistrar",
    "SandboxFactory",
    "SourceContract",
    "TargetContract",
    "TenantFactory",
    "TwoWayContract",
    "TwoWayHarness",
    "binding_for",
]
