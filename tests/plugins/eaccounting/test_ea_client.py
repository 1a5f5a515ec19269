"""The eAccounting API client against the emulator, in-process: signing in,
single-use refresh tokens saved before use, paging and deltas, errors, the
per-endpoint rate budget, and bodies that match the vendor's schemas."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from ea_support import (
    EA_SCHEMAS,
    article,
    article_row,
    cost_center_item,
    customer,
    draft,
    ea_world,
    text_row,
)

from ledgerbridge.core.context import RunContext, RunOptions, SecretAccessor
from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http import ApiError, MemoryTokenStore, TokenSet, run_authorization_code_flow
from ledgerbridge.core.redact import Redactor
from ledgerbridge.core.tokenstore import SecretTokenStore
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.eaccounting.eaccounting.api import EAccountingApi, describe_error
from ledgerbridge.plugins.eaccounting.eaccounting.auth import authorization
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import testing as ea
from ledgerbridge.plugins.eaccounting.eaccounting.filters import all_of, eq, ge


def test_the_operator_signs_in_through_the_authorize_url() -> None:
    world = ea_world(authorized=False)
    flow = world.flow()
    shown: list[str] = []

    def browser(prompt: str) -> str:
        url = re.search(r"https?://\S+", shown[-1]).group(0)  # type: ignore[union-attr]
        with world.sandbox.client("eaccounting") as client:
            return client.get(url).headers["Location"]  # the address the browser lands on

    run_authorization_code_flow(flow, echo=shown.append, prompt=browser)
    assert len(world.store.saved) == 1 and world.store.saved[0].refresh_token
    assert "ea:api offline_access ea:sales" in shown[0].replace("+", " ").replace("%3A", ":")
    assert world.api(flow).company_settings()["CountryCode"] == "SE"


def test_a_refresh_saves_the_new_single_use_token_before_it_is_used() -> None:
    world = ea_world()
    api = world.api()
    api.units()
    first = world.store.saved[-1]
    world.clock.advance(3600)  # the access token is about to expire
    world.sandbox.journal.clear()
    api.units()
    rotated = world.store.saved[-1]
    assert rotated.refresh_token != first.refresh_token
    calls = [(e.method, e.path) for e in world.sandbox.journal.entries()]
    assert calls == [("POST", "/connect/token"), ("GET", "/v2/units")]
    # the old refresh token is spent: a second process holding it must re-authorize
    stale = MemoryTokenStore(TokenSet("old", expires_at=0, refresh_token=first.refresh_token))
    with pytest.raises(
        AuthError, match=r"re-authorize this tenant: ledgerbridge auth acme eaccounting"
    ):
        world.api(world_flow(world, stale)).units()


def world_flow(world: Any, store: Any) -> Any:
    world.store = store
    return world.flow()


class FailingStore(MemoryTokenStore):
    def save(self, tokens: TokenSet) -> None:
        if self._tokens is not None:  # the first save (the code exchange) works
            raise OSError("disk full")
        super().save(tokens)


def test_tokens_that_could_not_be_saved_are_never_used() -> None:
    world = ea_world(authorized=False)
    world.store = FailingStore()
    flow = world.flow()
    conn = ea.connection(world.sandbox)
    code = ea.app_of(world.sandbox).identity.grant(
        conn["clientId"], " ".join(flow.scopes), conn["redirectUri"]
    )
    flow.exchange_code(code)
    api = world.api(flow)
    world.clock.advance(3600)
    world.sandbox.journal.clear()
    with pytest.raises(OSError, match="disk full"):
        api.units()
    assert [(e.method, e.path) for e in world.sandbox.journal.entries()] == [
        ("POST", "/connect/token")
    ]


def test_lists_page_lazily_and_deltas_read_only_changes() -> None:
    world = ea_world({"customers": [customer(f"C{i:03}") for i in range(230)]})
    api = world.api()
    world.sandbox.journal.clear()
    listing = api.customers()
    names = [c["Name"] for c in listing]
    assert len(names) == 230 and names[0] == "C000" and names[-1] == "C229"
    assert world.sandbox.journal.count(method="GET", path="/v2/customers") == 3  # 100 a page
    assert listing.total == 230 and listing.server_time
    world.clock.advance(10)
    made = api.create_customer(customer("New"))
    delta = api.customers(changed_since=listing.server_time)
    assert [c["Id"] for c in delta] == [made["Id"]]
    world.sandbox.journal.clear()
    assert list(api.customers(changed_since=delta.server_time)) == []  # a no-op re-sync
    assert world.sandbox.journal.count() == 1
    found = api.customers(filter=all_of(eq("Name", "c007"), eq("IsActive", True)))
    assert [c["Name"] for c in found] == ["C007"]
    with pytest.raises(ValueError, match="not a property name"):
        eq("Name eq 'x' or 1", 1)
    with pytest.raises(ValueError, match="not a bare OData value"):
        ge("ChangedUtc", "2026-01-01' or Name eq 'x", raw=True)


def test_vendor_errors_become_record_errors_naming_the_field() -> None:
    world = ea_world()
    api = world.api()
    with pytest.raises(ApiError) as info:
        api.create_customer(customer("N" * 51))
    error = info.value
    assert (error.status, error.vendor_code) == (400, "2000")
    assert describe_error(error) == (
        "ErrorCode: 2000, DeveloperErrorMessage: ValidateModelAttributeException - "
        f"The field Name must be a string with a maximum length of 50., ErrorId: {error.error_id}"
    )
    record = error.to_record_error(fix="Shorten the customer name to 50 characters.")
    assert (record.field, record.rule, record.retryable) == (
        "Name",
        "The field Name must be a string with a maximum length of 50.",
        False,
    )
    api.create_cost_center_item(cost_center_item())
    with pytest.raises(ApiError) as dup:
        api.create_cost_center_item(cost_center_item(short="2"))
    assert describe_error(dup.value).startswith(
        "ErrorCode: 4000, DeveloperErrorMessage: CostCenterItemAlreadyExistsException - "
        "A cost center item with the provided id or name already exists."
    )
    assert api.get_customer(ea.terms_id()) is None  # 404 on a GET by id


def test_the_budget_keeps_each_endpoint_under_600_a_minute() -> None:
    world = ea_world()
    api = world.api()
    for _ in range(601):
        api.client.get_json("units")
    api.client.get_json("currencies")  # its own budget: no wait
    assert world.sandbox.journal.count(status=429) == 0
    assert max(world.clock.sleeps) >= 59  # one wait for the next window of /units


def test_a_throttled_request_is_retried_after_retry_after() -> None:
    world = ea_world()
    api = world.api()
    world.sandbox.faults.add("GET /v2/units: 429 retry-after=2 x1")
    assert api.units()
    assert 2 in world.clock.sleeps


def test_every_body_the_client_sends_matches_the_spec() -> None:
    world = ea_world()
    api = world.api()
    cust = api.create_customer(customer())
    cust = api.replace_customer(cust["Id"], {**api.get_customer(cust["Id"]), "Note": "VIP"})  # type: ignore[dict-item]
    art = api.create_article(article())
    api.replace_article(art["Id"], {**art, "NetPrice": 900.0})
    item = api.create_cost_center_item(cost_center_item())
    api.replace_cost_center_item(item["Id"], {**item, "IsActive": False})
    item = api.create_cost_center_item(cost_center_item("Projekt B", "1002"))
    rows = [
        text_row("Avser januari"),
        article_row(art["Id"], 2, 900.0, CostCenterItemId2=item["Id"]),
    ]
    made = api.create_draft(draft(cust["Id"], *rows))
    made = api.replace_draft(made["Id"], {**made, "OurReference": "Bo"})
    invoice = api.convert_draft(made["Id"], {"TotalAmountInvoiceCurrency": made["TotalAmount"]})
    payment = {
        "CompanyBankAccountId": ea.cost_center_id(1),
        "PaymentAmount": invoice["TotalAmount"],
        "PaymentCurrency": "SEK",
        "PaymentType": 2,
    }
    api.pay_customer_invoice(invoice["Id"], payment)
    schemas = {
        "customers": "CustomerApi",
        "articles": "ArticleApi",
        "costcenteritems": "CostCenterItemApi",
        "customerinvoicedrafts": "CustomerInvoiceDraftApi",
        "convert": "CustomerInvoiceDraftValidationApi",
        "payments": "InvoicePaymentApi",
    }
    checked = 0
    for entry in world.sandbox.journal.entries():
        if entry.method in ("POST", "PUT") and entry.path.startswith("/v2/"):
            parts = entry.path.strip("/").split("/")
            schema = schemas[parts[-1] if parts[-1] in schemas else parts[1]]
            assert EA_SCHEMAS.validate(schema, entry.body) == [], (entry.path, entry.body)
            checked += 1
    assert checked == 11
    assert world.state.invoices.get(invoice["Id"])["PaymentStatus"] == 0


def test_the_default_scopes_cover_every_read() -> None:
    world = ea_world()
    api = world.api()
    for read in (
        api.article_codings, api.units, api.terms_of_payment, api.vat_codes,
        api.currencies, api.countries, api.cost_centers, api.company_settings,
    ):  # fmt: skip
        assert read(), read.__name__
    for listing in (api.projects(), api.drafts(), api.customer_invoices(), api.supplier_invoices()):
        assert list(listing) == []
    assert world.sandbox.journal.count(status=403) == 0


def test_supplier_invoices_by_date_window() -> None:
    base = {
        "SupplierName": "Lev AB",
        "TotalAmount": 125.0,
        "Rows": [{"AccountNumber": 4010, "DebetAmount": 100.0}],
    }
    seeds = [
        {**base, "InvoiceNumber": "1", "InvoiceDate": "2026-01-04T00:00:00"},
        {**base, "InvoiceNumber": "2", "InvoiceDate": "2026-01-05T00:00:00"},
        {**base, "InvoiceNumber": "3", "InvoiceDate": "2026-01-12T00:00:00"},
    ]
    world = ea_world({"supplier_invoices": seeds})
    week = world.api().supplier_invoices("2026-01-05T00:00:00", "2026-01-11T00:00:00")
    assert [i["InvoiceNumber"] for i in week] == ["2"]
    query = world.sandbox.journal.last(path="/v2/supplierinvoices").query  # type: ignore[union-attr]
    assert query["$filter"] == [
        "InvoiceDate ge 2026-01-05T00:00:00 and InvoiceDate le 2026-01-11T00:00:00"
    ]


def test_for_run_uses_the_tenants_secret_store(tmp_path: Path) -> None:
    world = ea_world(authorized=False)
    workspace = Workspace(tmp_path)
    workspace.ensure()
    conn = ea.connection(world.sandbox)
    settings = {**conn, "clientSecret": {"secret": "eaccounting_client_secret"}}
    ctx = run_context(tmp_path, world, {"eaccounting_client_secret": conn["clientSecret"]})
    flow = authorization(ctx, settings)
    code = ea.app_of(world.sandbox).identity.grant(
        conn["clientId"], " ".join(flow.scopes), conn["redirectUri"]
    )
    flow.exchange_code(code)
    api = EAccountingApi.for_run(ctx, settings)
    assert EAccountingApi.for_run(ctx, settings) is api  # one client per run
    api.units()
    world.clock.advance(3600)
    api.units()
    stored = SecretTokenStore(workspace.secrets, "acme", "eaccounting").load()
    assert stored is not None and stored.refresh_token
    assert stored.refresh_token not in repr(stored) and conn["clientSecret"] not in repr(flow)


def run_context(path: Path, world: Any, secrets: dict[str, str]) -> RunContext:
    """A RunContext for the clients (fields they do not use are left empty)."""
    redactor = Redactor()
    given = {
        "tenant": "acme",
        "connector": "eaccounting",
        "config": {},
        "secrets": SecretAccessor("acme", secrets, redactor),
        "options": RunOptions(),
        "workspace": path,
        "redactor": redactor,
        "clock": world.clock,
        "transport": world.sandbox.transport(),
    }
    required = [
        f.name
        for f in dataclasses.fields(RunContext)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]  # type: ignore[misc]
    return RunContext(
        **{name: given.get(name) for name in required},
        **{k: v for k, v in given.items() if k not in required},
    )
