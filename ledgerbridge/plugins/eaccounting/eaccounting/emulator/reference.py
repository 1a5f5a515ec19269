"""Read-only reference data: codings, units, terms of payment, VAT codes,
currencies, countries and the company settings [S26; read-only per FACTS §0.6].

`vatRateDate` (codings, VAT codes) is accepted; the emulated company has one
set of rates, so it changes nothing.
"""

from __future__ import annotations

from ledgerbridge.core.sandbox import App, Collection, Request, Response, json_response
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.listing import list_response
from ledgerbridge.plugins.eaccounting.eaccounting.emulator.state import EAccountingState

# path, id parameter (None: no by-id endpoint), schema, collection, what it is called
LISTS = (
    ("articleaccountcodings", "articleAccountCodingId", "ArticleAccountCodingApi", "codings"),
    ("units", "id", "UnitApi", "units"),
    ("termsofpayments", "id", "TermsOfPaymentApi", "terms_of_payment"),
    ("vatcodes", "id", "VatCodeApi", "vat_codes"),
    ("currencies", None, "CurrencyApi", "currencies"),
    ("countries", "countrycode", "CountryApi", "countries"),
)


def register(app: App, state: EAccountingState) -> None:
    for path, param, schema, name in LISTS:
        collection = state.store.collection(name)
        _register_list(app, state, path, schema, collection)
        if param is not None:
            _register_one(app, state, path, param, collection)

    @app.get("/v2/companysettings")
    def company_settings(request: Request) -> Response:
        return json_response(state.settings_doc())


def _register_list(
    app: App, state: EAccountingState, path: str, schema: str, collection: Collection
) -> None:
    def list_all(request: Request) -> Response:
        return list_response(request, state, schema, collection.all())

    app.get(f"/v2/{path}")(list_all)


def _register_one(
    app: App, state: EAccountingState, path: str, param: str, collection: Collection
) -> None:
    def get_one(request: Request, **params: str) -> Response:
        key = params[param]
        found = collection.get(key.upper() if collection.key == "Code" else key.lower())
        if found is None:
            state.errors.not_found(path.rstrip("s"), key)
        return json_response(found)

    app.get(f"/v2/{path}/{{{param}}}")(get_one)
