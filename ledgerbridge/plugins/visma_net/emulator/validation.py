"""Request bodies checked against the DTO schemas of the Visma.net spec.

The schemas are the plugin's own extract of the spec (openapi/components.json),
so the emulator and the connector's contract tests agree on one source.

Visma.net's JSON binder ignores properties a DTO does not have; the emulator
refuses them by default ("strict_fields": false in the settings restores the
vendor's behaviour), so a misspelt field fails a test instead of silently
vanishing from the document. A body that does not match answers like
ASP.NET model binding: 400 `{"Message": "The request is invalid.",
"ModelState": {field: [messages]}}` listing every problem.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from ledgerbridge.core.sandbox import HTTPError, Request, SchemaSet
from ledgerbridge.plugins.visma_net.emulator.errors import model_state


@lru_cache(maxsize=1)
def components() -> dict[str, Any]:
    """The component schemas shipped with the plugin (read once per process)."""
    source = resources.files("ledgerbridge.plugins.visma_net").joinpath("openapi/components.json")
    document = json.loads(source.read_text(encoding="utf-8"))
    schemas: dict[str, Any] = document["components"]["schemas"]
    return schemas


@lru_cache(maxsize=2)
def schema_set(strict: bool) -> SchemaSet:
    """Shared by every app of the process: compiled validators are cached inside."""
    return SchemaSet(components(), closed=strict)


class BodyValidator:
    def __init__(self, strict: bool = True) -> None:
        self.schemas = schema_set(strict)

    def body(self, request: Request, schema: str) -> Any:
        """The parsed JSON body, or a 400 naming everything that does not match."""
        body = request.json()
        issues = self.schemas.validate(schema, body)
        if issues:
            raise HTTPError(400, "The request is invalid.", body=model_state(issues))
        return body
