"""How Visma.net ERP words its errors, for the client's `error_parser`.

Visma.net answers business errors as `{ExceptionType, ExceptionMessage,
ExceptionFaultCode, ExceptionMessageID, ExceptionDetails}` and ASP.NET's own
refusals (routing, binding) as `{message}`/`{Message}` with an optional
`ModelState` of field errors. The core knows only generic formats; this
parser is the plugin's; for any other body it returns None and the client
falls back to the body's text.
"""

from __future__ import annotations

from typing import Any

import httpx

from ledgerbridge.core.http import FieldError, VendorError, json_body


def _s(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def parse_visma_net_error(response: httpx.Response) -> VendorError | None:
    """Visma.net's two error shapes; None for any other body."""
    body = json_body(response)
    if not isinstance(body, dict):
        return None
    if "ExceptionMessage" in body or "ExceptionType" in body:
        return VendorError(
            message=_s(body.get("ExceptionMessage"))
            or _s(body.get("ExceptionDetails"))
            or response.reason_phrase,
            code=_s(body.get("ExceptionFaultCode")) or _s(body.get("ExceptionType")),
            error_id=_s(body.get("ExceptionMessageID")),
        )
    message = _s(body.get("message")) or _s(body.get("Message"))
    if message is None:
        return None
    return VendorError(message=message, field_errors=_model_state(body.get("ModelState")))


def _model_state(state: Any) -> tuple[FieldError, ...]:
    if not isinstance(state, dict):
        return ()
    out: list[FieldError] = []
    for field_name, messages in state.items():
        for m in messages if isinstance(messages, list) else [messages]:
            out.append(FieldError(field=str(field_name), message=str(m)))
    return tuple(out)
