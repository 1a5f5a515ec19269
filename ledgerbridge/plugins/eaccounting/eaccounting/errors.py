"""eAccounting's error body, `{ErrorCode, DeveloperErrorMessage, ErrorId,
Errors[]}` (the API's own shape; the core's parsers know no vendor)."""

from __future__ import annotations

from ledgerbridge.core.http import json_error_parser

parse_eaccounting_error = json_error_parser(
    message=("DeveloperErrorMessage",),
    code=("ErrorCode",),
    error_id=("ErrorId",),
    field_errors=("Errors",),
)
