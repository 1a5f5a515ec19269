"""Articles: `GET/POST /v2/articles`, `GET/PUT /v2/articles/{articleId}`.

Bodies are `ArticleApi` [S26]; there is no DELETE (deactivate with
IsActive=false). The server checks that `CodingId` names an active article
account coding and `UnitId` a unit (3000 otherwise) and that the article
`Number` is unique (4000; INFERENCE), and fills `CodingName`, `UnitName`,
`UnitAbbreviation`, `IsServiceArticle` (the coding's Type is "Service"),
`CreatedUtc` and `ChangedUtc` (moved on every write). Prices are kept as
sent: the seed has the integration compute GrossPrice itself.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.sandbox import App, Request, Response, json_response
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.documents import (
    Doc,
    complete,
    writable,
)
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.listing import list_response
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.state import EAccountingState
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.validation import BodyValidator

SCHEMA = "ArticleApi"


def register(app: App, state: EAccountingState, validator: BodyValidator) -> None:
    @app.get("/v2/articles")
    def list_articles(request: Request) -> Response:
        return list_response(request, state, SCHEMA, state.articles.all())

    @app.post("/v2/articles")
    def create_article(request: Request) -> Response:
        body = validator.body(request, SCHEMA)
        return json_response(state.create("articles", lambda: build(state, body)), 201)

    @app.get("/v2/articles/{articleId}")
    def get_article(request: Request, articleId: str) -> Response:
        return json_response(require(state, articleId))

    @app.put("/v2/articles/{articleId}")
    def replace_article(request: Request, articleId: str) -> Response:
        body = validator.body(request, SCHEMA)
        article = state.replace(
            "articles", "article", articleId, lambda old: build(state, body, old)
        )
        return json_response(article)


def require(state: EAccountingState, article_id: str, field: str | None = None) -> Doc:
    return state.require("articles", "article", article_id, field)


def build(state: EAccountingState, body: dict[str, Any], existing: Doc | None = None) -> Doc:
    """The stored article for a valid ArticleApi body (create or replace)."""
    doc = writable(SCHEMA, body)
    coding = state.codings.get(str(doc["CodingId"]).lower())
    if coding is None:
        state.errors.not_found("article account coding", doc["CodingId"], "CodingId")
    if not coding["IsActive"]:
        state.errors.invalid(
            "InactiveArticleAccountCodingException",
            f"The article account coding {coding['Name']} is inactive.",
            "CodingId",
        )
    unit = state.units.get(str(doc["UnitId"]).lower())
    if unit is None:
        state.errors.not_found("unit", doc["UnitId"], "UnitId")
    own = existing["Id"] if existing else None
    clash = state.articles.first(lambda a: a["Number"] == doc["Number"] and a["Id"] != own)
    if clash is not None:
        state.errors.conflict(
            "ArticleNumberAlreadyInUseException",
            f"The article number {doc['Number']} is already used by another article.",
            "Number",
        )
    kept = existing or {}
    stamp = state.stamps.next()
    return complete(
        SCHEMA,
        {
            **doc,
            "Id": kept.get("Id") or state.guids.next(),
            "CodingId": coding["Id"],
            "CodingName": coding["Name"],
            "UnitId": unit["Id"],
            "UnitName": unit["Name"],
            "UnitAbbreviation": unit["Abbreviation"],
            "IsServiceArticle": coding["Type"] == "Service",
            "CreatedUtc": kept.get("CreatedUtc") or stamp,
            "ChangedUtc": stamp,
            "StockBalanceReserved": 0,
            "StockBalanceAvailable": doc.get("StockBalance", 0),
            "ShowStockInformation": False,
        },
    )
