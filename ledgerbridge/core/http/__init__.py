"""The HTTP layer every plugin uses to talk to vendor APIs.

Plugins describe endpoints; this package handles authentication (OAuth2,
header keys, SOAP header credentials), retries with backoff decided by an
error classifier, shared rate budgets, error parsing, pagination, SOAP
envelopes and faults, and redacted logging. See docs/http.md.
"""

from ledgerbridge.core.http.auth import Auth, HeaderAuth
from ledgerbridge.core.http.authcode import AuthorizationCode
from ledgerbridge.core.http.authflow import run_authorization_code_flow
from ledgerbridge.core.http.bodies import path_segment
from ledgerbridge.core.http.classify import (
    AUTH,
    NOT_SENT,
    REFUSAL,
    THROTTLED,
    TRANSIENT,
    Classifier,
    Failure,
    Outcome,
    Verdict,
    chain_classifiers,
    default_verdict,
    soap_fault_verdict,
    throttled,
)
from ledgerbridge.core.http.client import ApiClient, BudgetSelector, ErrorDetector
from ledgerbridge.core.http.errors import (
    ApiAuthError,
    ApiError,
    ErrorParser,
    FieldError,
    TransientApiError,
    VendorError,
)
from ledgerbridge.core.http.oauth import ClientCredentials, OAuth2Base, Refusal
from ledgerbridge.core.http.paging import (
    PaginationError,
    iter_continuation,
    iter_meta_pages,
    iter_next_link,
    iter_page_number,
)
from ledgerbridge.core.http.parsers import (
    first_of,
    json_body,
    json_error_parser,
    parse_any_error,
    parse_json_error,
    parse_oauth_error,
    parse_problem_json,
    parse_soap_fault,
    parse_text_error,
)
from ledgerbridge.core.http.ratelimit import (
    FixedWindowBudget,
    HeaderBudget,
    RateBudget,
    RateBudgets,
    endpoint_key,
    endpoint_under,
)
from ledgerbridge.core.http.reach import UrlSetting, WrongUrl
from ledgerbridge.core.http.retry import RetryPolicy, parse_retry_after
from ledgerbridge.core.http.safexml import XmlError, parse_xml
from ledgerbridge.core.http.soap import (
    SoapClient,
    SoapHeaderAuth,
    SoapHeaderProvider,
    SoapResult,
    SoapService,
    default_action,
)
from ledgerbridge.core.http.soapfault import SoapFault
from ledgerbridge.core.http.soapxml import (
    NIL,
    SOAP11,
    SOAP12,
    items,
    operation_element,
    to_python,
    xs_boolean,
    xs_date,
    xs_datetime,
)
from ledgerbridge.core.http.tokens import MemoryTokenStore, TokenSet, TokenStore

__all__ = [
    "AUTH",
    "NIL",
    "NOT_SENT",
    "REFUSAL",
    "SOAP11",
    "SOAP12",
    "THROTTLED",
    "TRANSIENT",
    "ApiAuthError",
    "ApiClient",
    "ApiError",
    "Auth",
    "AuthorizationCode",
    "BudgetSelector",
    "Classifier",
    "ClientCredentials",
    "ErrorDetector",
    "ErrorParser",
    "Failure",
    "FieldError",
    "FixedWindowBudget",
    "HeaderAuth",
    "HeaderBudget",
    "MemoryTokenStore",
    "OAuth2Base",
    "Outcome",
    "PaginationError",
    "RateBudget",
    "RateBudgets",
    "Refusal",
    "RetryPolicy",
    "SoapClient",
    "SoapFault",
    "SoapHeaderAuth",
    "SoapHeaderProvider",
    "SoapResult",
    "SoapService",
    "TokenSet",
    "TokenStore",
    "TransientApiError",
    "UrlSetting",
    "VendorError",
    "Verdict",
    "WrongUrl",
    "XmlError",
    "chain_classifiers",
    "default_action",
    "default_verdict",
    "endpoint_key",
    "endpoint_under",
    "first_of",
    "items",
    "iter_continuation",
    "iter_meta_pages",
    "iter_next_link",
    "iter_page_number",
    "json_body",
    "json_error_parser",
    "operation_element",
    "parse_any_error",
    "parse_json_error",
    "parse_oauth_error",
    "parse_problem_json",
    "parse_retry_after",
    "parse_soap_fault",
    "parse_text_error",
    "parse_xml",
    "path_segment",
    "run_authorization_code_flow",
    "soap_fault_verdict",
    "throttled",
    "to_python",
    "xs_boolean",
    "xs_date",
    "xs_datetime",
]
