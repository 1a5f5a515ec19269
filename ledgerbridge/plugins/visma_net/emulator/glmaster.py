"""General-ledger master data of the emulated company: ledgers (LedgerDto,
`GET /v1/ledger`) and one subaccount segment with its values
(`GET /v1/dimension/{dimensionId}/{segmentId}`, DtoSegment), as the 2025
OpenAPI (/work/shared/specs/visma-net-erp/visma-net-erp-api-v1-20250424.openapi.json)
describes them. A journal transaction's ledger must be one of the ledgers.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.sandbox import App, Request, Response, json_response

Doc = dict[str, Any]

# (number, description, balanceType)
LEDGERS: tuple[tuple[str, str, str], ...] = (
    ("1", "Huvudbok (actual)", "Actual"),
    ("BUDGET", "Budget", "Budget"),
)


def ledger_record(number: str, description: str = "", balance_type: str = "Actual") -> Doc:
    """A LedgerDto."""
    return {
        "internalId": abs(hash(number)) % 1000 if not number.isdigit() else int(number),
        "number": number,
        "description": description or f"Ledger {number}",
        "balanceType": balance_type,
        "currencyId": "SEK",
        "consolidationSource": False,
        "branchAccounting": False,
        "postInterCompany": False,
    }


def default_ledgers() -> list[Doc]:
    return [ledger_record(*row) for row in LEDGERS]


def register(app: App, master: dict[str, dict[str, Doc]], not_found: Any) -> None:
    """`GET /v1/dimension/{dimensionId}/{segmentId}`: one DtoSegment."""

    @app.get("/v1/dimension/{dimensionId}/{segmentId}")
    def get_segment(request: Request, dimensionId: str, segmentId: str) -> Response:
        dimension = master["dimensions"].get(dimensionId)
        for seg in (dimension or {}).get("segments") or []:
            if str(seg.get("segmentId")) == segmentId:
                return json_response(seg)
        not_found(f"Segment {segmentId} of dimension {dimensionId} was not found.")
        raise AssertionError("not_found raises")
