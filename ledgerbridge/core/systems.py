"""Systems: what a plugin can connect to, declared through `register_systems`.

A system (Visma.net, eAccounting, Visma PM/Severa, Nmbrs, DUELL) says what a
tenant's *connection* to it holds (a JSON Schema for its settings, secrets by
reference), how to check one works, and how the vendor counts requests, so
every connector of the tenant that talks to the system shares one budget.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.http.budget import WhenSpent
from ledgerbridge.core.http.ratelimit import FixedWindowBudget, HeaderBudget, RateBudget
from ledgerbridge.core.state.budgets import Budgets

if TYPE_CHECKING:
    from ledgerbridge.core.connections import Connection


@dataclass(frozen=True)
class RateLimit:
    """How the vendor counts a connection's requests.

    kind "headers": the vendor reports the budget on every answer (Visma.net's
    `X-RateLimit-Limit/-Remaining/-Reset`); `limit`/`window` are only shown.
    kind "window": at most `limit` requests in any `window` seconds, counted
    by us (eAccounting 600/60 s per endpoint; Severa 10/1 s).
    per_endpoint: the vendor counts each endpoint (first path segment) apart.
    description: one line for operators ("15,000 requests an hour per company
    and API client").
    """

    description: str
    kind: Literal["headers", "window"] = "headers"
    limit: int | None = None
    window: float | None = None
    per_endpoint: bool = False
    limit_header: str = "X-RateLimit-Limit"
    remaining_header: str = "X-RateLimit-Remaining"
    reset_header: str = "X-RateLimit-Reset"
    reset_style: Literal["seconds", "epoch"] = "seconds"

    def __post_init__(self) -> None:
        if self.kind == "window" and (not self.limit or not self.window):
            raise ValueError("a window rate limit needs limit and window")

    def build(
        self, clock: Clock, store: Budgets, key: str, name: str, when_spent: WhenSpent
    ) -> RateBudget:
        """The budget object for one connection (or one endpoint of it)."""
        if self.kind == "window":
            assert self.limit is not None and self.window is not None
            return FixedWindowBudget(
                self.limit, self.window, clock, name, store=store, key=key, when_spent=when_spent
            )
        return HeaderBudget(
            clock,
            name,
            limit_header=self.limit_header,
            remaining_header=self.remaining_header,
            reset_header=self.reset_header,
            reset_style=self.reset_style,
            store=store,
            key=key,
            when_spent=when_spent,
        )


ConnectionTest = Callable[["Connection"], str]
"""Checks a connection for real (a token, one cheap read); returns what it saw
in one line, or raises (AuthError, ApiError, ConfigError) saying what is wrong."""


@dataclass(frozen=True)
class System:
    """A system tenants connect to.

    name:            unique across plugins ("visma_net"); what `ledgerbridge
                     connection add --system` takes and `ctx.connection()` asks for.
    title:           for people ("Visma.net ERP").
    settings_schema: JSON Schema of a connection's settings; properties marked
                     `"x-secret": true` hold `{"secret": NAME}`.
    test:            optional; `ledgerbridge connection test` calls it.
    rate_limit:      optional; the vendor's budget, shared by the tenant's connectors.
    """

    name: str
    title: str
    settings_schema: Mapping[str, Any]
    test: ConnectionTest | None = None
    rate_limit: RateLimit | None = None
    description: str = ""
    docs: str = ""

    def setting_keys(self) -> frozenset[str]:
        """The settings a connection of this system can hold."""
        return frozenset(self.settings_schema.get("properties", {}))
