"""Why client credentials were refused, so a connector can name the fix.

A wrong client secret, a tenant the client may not act for and a token the
API refuses after it was issued need three different fixes; the OAuth2
client tells them apart and hands a `Refusal` to the connector's wording
(`ClientCredentials(rejected_message=...)`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Refusal:
    """Why client credentials were refused.

    at: "token" when the identity server refused the token request, "api"
        when it issued a token and the API still refused it (401 twice).
    code: the identity server's OAuth error ("invalid_client": the client id
        or secret is wrong; "invalid_grant", "unauthorized_client": the
        client may not have what it asked for, e.g. Visma Connect's tenant).
    description: its error_description, redacted.
    """

    at: Literal["token", "api"]
    code: str | None = None
    description: str | None = None
    status: int | None = None

    @property
    def reason(self) -> str | None:
        """`invalid_client`, `invalid_grant: ...`, `401`: for messages."""
        code = self.code or (str(self.status) if self.status is not None else None)
        if code is None:
            return None
        return code if self.description in (None, "", code) else f"{code}: {self.description}"

    @property
    def bad_client(self) -> bool:
        """The client id or secret is wrong (RFC 6749 5.2 `invalid_client`)."""
        return self.at == "token" and self.code == "invalid_client"


RefusalMessage = Callable[[Refusal], str]
"""A connector's wording of a refusal: what was refused, and the fix."""


def default_refusal_message(name: str, refusal: Refusal) -> str:
    """The wording when the connector gives none: still one per kind."""
    why = f" ({refusal.reason})" if refusal.reason else ""
    if refusal.bad_client:
        return (
            f"{name} did not accept the client id and client secret{why}. Check both in "
            "this tenant's config and secrets."
        )
    if refusal.at == "api":
        return (
            f"{name} issued a token, but the API refused it{why}. Check that the client "
            "may act for the tenant or company in this tenant's config and secrets."
        )
    return (
        f"The credentials were not accepted by {name}{why}. Check the client id, "
        "client secret and tenant id in this tenant's config and secrets."
    )
