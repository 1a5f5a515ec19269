"""Redaction of secrets from any text before it is shown, logged or stored.

Every secret the run resolves is registered here; `redact` replaces each
occurrence (longest first, so a secret containing another is hidden whole)
with the mask the vendors' own screens use.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

MASK = "••••"

# Header names whose values are always secret, whatever their content.
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-subscription-key"}
)
# Form or JSON keys whose values are always secret.
SECRET_KEYS = frozenset(
    {
        "client_secret",
        "password",
        "refresh_token",
        "access_token",
        "token",
        "tenant_id",
        "id_token",
    }
)
# Keys secret only where OAuth puts them: a form or a query string (the
# authorization code and its PKCE verifier). In JSON bodies and records a
# "code" is a VAT code, a unit or a currency, which the operator must see.
FORM_SECRET_KEYS = SECRET_KEYS | frozenset({"code", "code_verifier"})
_MIN_SECRET_LEN = 4  # shorter strings would mask ordinary words and numbers


class Redactor:
    """Knows the run's secrets and masks them in text and structures."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        """Register a secret value; it is masked in everything redacted later."""
        if not secret or len(secret) < _MIN_SECRET_LEN:
            return
        with self._lock:
            if secret in self._secrets:
                return
            self._secrets.add(secret)
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def redact(self, text: str) -> str:
        """Mask every registered secret and every bearer/basic credential."""
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        return _CREDENTIAL_RE.sub(lambda m: m.group(1) + MASK, text)

    def redact_obj(self, obj: Any) -> Any:
        """Redact strings inside dicts and lists; mask values of secret keys."""
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, dict):
            return {
                k: (MASK if str(k).lower() in SECRET_KEYS and v else self.redact_obj(v))
                for k, v in obj.items()
            }
        if isinstance(obj, list | tuple):
            return [self.redact_obj(v) for v in obj]
        return obj

    def redact_headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(k, MASK if k.lower() in SECRET_HEADERS else self.redact(v)) for k, v in headers]


_CREDENTIAL_RE = re.compile(r"((?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


def mask(value: str | None) -> str:
    """How a secret is shown to a person: always the same four dots."""
    return MASK if value else ""
