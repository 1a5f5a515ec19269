"""What Nmbrs' SOAP faults mean.

Nmbrs answers a refused call with a SOAP fault whose text starts with its
error code (third-party client LarsKluijtmans/nmbrs_api, copied in
/work/shared/specs/FACTS.md): 2001 InvalidHourComponent, 2002
InvalidWageComponent, 2003 UnauthorizedEmployee, 2004 UnauthorizedCompany,
2006 InvalidPeriod, 2009 UnauthorizedDebtor. Credentials that are not
accepted come as a plain Client fault; they must end the run (an auth
fault), not fail one company.
"""

from __future__ import annotations

import re

from ledgerbridge.core.http import AUTH, REFUSAL, ApiError, Failure, Verdict

CODES = {
    "2001": "InvalidHourComponent",
    "2002": "InvalidWageComponent",
    "2003": "UnauthorizedEmployee",
    "2004": "UnauthorizedCompany",
    "2006": "InvalidPeriod",
    "2009": "UnauthorizedDebtor",
}
_CODE = re.compile(r"^\s*(\d{4})\b")
_AUTH_WORDS = ("invalid credentials", "authentication failed", "not authenticated")


def fault_code(text: str | None) -> str | None:
    """The Nmbrs error code a fault text starts with ("2004"), if any."""
    found = _CODE.match(text or "")
    return found.group(1) if found else None


def classify(failure: Failure) -> Verdict | None:
    """Refused credentials end the run; a coded Nmbrs refusal is definite."""
    fault = failure.fault
    if fault is None:
        return None
    reason = fault.reason.lower()
    if any(word in reason for word in _AUTH_WORDS):
        return AUTH
    if fault_code(fault.reason) in CODES:
        return REFUSAL
    return None


def describe(exc: ApiError) -> str:
    """ "2004 UnauthorizedCompany: ..." for a coded fault, else the message."""
    reason = exc.fault.reason if exc.fault is not None else exc.message
    code = fault_code(reason)
    if code is None:
        return reason
    name = CODES.get(code, "")
    text = _CODE.sub("", reason, count=1).lstrip(" :-")
    if name and text.startswith(name):
        text = text[len(name) :].lstrip(" :-")
    return f"{code} {name}: {text}" if name else f"{code}: {text}"
