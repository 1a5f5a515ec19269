"""The HTTP layer every plugin uses to talk to vendor APIs.

Plugins describe endpoints; this package handles authentication (OAuth2),
retries with backoff, shared rate budgets, vendor error parsing, pagination
and redacted logging. See docs/http.md.
"""

from ledgerbridge.core.http.auth import Auth, HeaderAuth
from ledgerbridge.core.http.authflow import run_authorization_code_flow
from ledgerbridge.core.http.client import ApiClient, BudgetSelector
from ledgerbridge.core.http.errors import (
    ApiError,
    ErrorParser,
    FieldError,
    TransientApiError,
    VendorError,
    first_of,
    parse_any_error,
    parse_eaccounting_error,
    parse_oauth_error,
    parse_soap_fault,
    parse_text_error,
    parse_visma_net_error,
)
from ledgerbridge.core.http.oauth import (
    AuthorizationCode,
    ClientCredentials,
    MemoryTokenStore,
    TokenSet,
    TokenStore,
)
from ledgerbridge.core.http.paging import (
    PaginationError,
    iter_continuation,
    iter_meta_pages,
    iter_next_link,
    iter_page_number,
)
from ledgerbridge.core.http.ratelimit import (
    FixedWindowBudget,
    HeaderBudget,
    RateBudget,
    RateBudgets,
    endpoint_key,
)
from ledgerbridge.core.http.retry import RetryPolicy, parse_retry_after

__all__ = [
    "ApiClient",
    "ApiError",
    "Auth",
    "AuthorizationCode",
    "BudgetSelector",
    "ClientCredentials",
    "ErrorParser",
    "FieldError",
    "FixedWindowBudget",
    "HeaderAuth",
    "HeaderBudget",
    "MemoryTokenStore",
    "PaginationError",
    "RateBudget",
    "RateBudgets",
    "RetryPolicy",
    "TokenSet",
    "TokenStore",
    "TransientApiError",
    "VendorError",
    "endpoint_key",
    "first_of",
    "iter_continuation",
    "iter_meta_pages",
    "iter_next_link",
    "iter_page_number",
    "parse_any_error",
    "parse_eaccounting_error",
    "parse_oauth_error",
    "parse_retry_after",
    "parse_soap_fault",
    "parse_text_error",
    "parse_visma_net_error",
    "run_authorization_code_flow",
]
