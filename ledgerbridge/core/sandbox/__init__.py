"""Emulated vendor APIs: the toolkit plugins write emulators with, and the
sandbox that serves them in-process (httpx transport) or on loopback HTTP.

See docs/sandbox.md. Everything an emulator author needs is importable from
here; the CLI group lives in `ledgerbridge.core.sandbox.cli`.
"""

from ledgerbridge.core.sandbox.emulator import (
    Emulator,
    EmulatorOptions,
    WSGIApp,
    collect_emulators,
)
from ledgerbridge.core.sandbox.faults import (
    FaultDecision,
    FaultPlan,
    FaultRule,
    FaultSpecError,
    parse_duration,
    parse_fault,
)
from ledgerbridge.core.sandbox.journal import Journal, JournalEntry
from ledgerbridge.core.sandbox.messages import (
    HTTPError,
    MultiDict,
    Request,
    Response,
    abort,
    created,
    empty,
    json_response,
    text_response,
)
from ledgerbridge.core.sandbox.multipart import Part
from ledgerbridge.core.sandbox.ratelimit import (
    FixedWindowLimiter,
    RateState,
    rate_limit,
    rate_limit_headers,
)
from ledgerbridge.core.sandbox.routing import App
from ledgerbridge.core.sandbox.seeds import SeedError, load_seed_file, schema_seed
from ledgerbridge.core.sandbox.server import Sandbox, SandboxError
from ledgerbridge.core.sandbox.store import (
    Collection,
    Page,
    Store,
    dollar_page_params,
    meta_envelope,
    page_params,
    paginate,
)
from ledgerbridge.core.sandbox.tokens import AccessToken, OAuthError, TokenIssuer
from ledgerbridge.core.sandbox.validate import Issue, SchemaSet

__all__ = [
    "AccessToken",
    "App",
    "Collection",
    "Emulator",
    "EmulatorOptions",
    "FaultDecision",
    "FaultPlan",
    "FaultRule",
    "FaultSpecError",
    "FixedWindowLimiter",
    "HTTPError",
    "Issue",
    "Journal",
    "JournalEntry",
    "MultiDict",
    "OAuthError",
    "Page",
    "Part",
    "RateState",
    "Request",
    "Response",
    "Sandbox",
    "SandboxError",
    "SchemaSet",
    "SeedError",
    "Store",
    "TokenIssuer",
    "WSGIApp",
    "abort",
    "collect_emulators",
    "created",
    "dollar_page_params",
    "empty",
    "json_response",
    "load_seed_file",
    "meta_envelope",
    "page_params",
    "paginate",
    "parse_duration",
    "parse_fault",
    "rate_limit",
    "rate_limit_headers",
    "schema_seed",
    "text_response",
]
