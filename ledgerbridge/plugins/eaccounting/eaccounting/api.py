"""The Visma eAccounting API v2, as the connector uses it.

`EAccountingApi.for_run(ctx, settings)` gives the run's one client (kept in
`ctx.state`, so every flow shares its tokens and rate budgets). It speaks
the 2026 spec: bodies are the spec's `*Api` schemas (PascalCase), lists are
`{Meta, Data}` paged with `$page`/`$pagesize` and filtered with OData
`$filter`, 600 requests a minute per client *and endpoint* (one budget per
endpoint), errors `{ErrorCode, DeveloperErrorMessage, ErrorId, Errors[]}`
parsed into `ApiError`s whose `to_record_error()` names the field the vendor
named. Settings: see auth.py.

Methods are small and typed per endpoint; they return the vendor's
documents as dicts and raise `ApiError` (a 404 on a GET by id is None).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import httpx

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.http import (
    ApiClient,
    ApiError,
    Auth,
    FixedWindowBudget,
    RateBudgets,
    RetryPolicy,
    endpoint_under,
    path_segment,
)
from ledgerbridge.core.redact import Redactor
from ledgerbridge.plugins.eaccounting.eaccounting.auth import DEFAULT_API, authorization
from ledgerbridge.plugins.eaccounting.eaccounting.errors import parse_eaccounting_error
from ledgerbridge.plugins.eaccounting.eaccounting.filters import Filter, all_of, ge, gt, le

STATE_KEY = "eaccounting.api"
RATE_LIMIT = 600  # per client and endpoint
RATE_WINDOW = 60.0
PAGE_SIZE = 100  # the vendor's default is 50; its maximum is unverified (a capped page is fine)


class Listing:
    """A lazily paged list. `server_time` is the first page's `Meta.ServerTimeUtc`
    (known once iteration started): the watermark for the next delta read,
    taken before any record was read so nothing written meanwhile is missed."""

    def __init__(
        self, client: ApiClient, path: str, params: Mapping[str, Any], page_size: int
    ) -> None:
        self._client, self._path, self._params, self._size = client, path, dict(params), page_size
        self.server_time: str | None = None
        self.total: int | None = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            query = {**self._params, "$page": page, "$pagesize": self._size}
            body = self._client.get_json(self._path, params=query)
            page_body = body if isinstance(body, dict) else {}
            meta = page_body.get("Meta") or {}
            data = page_body.get("Data")
            if self.server_time is None:
                self.server_time = meta.get("ServerTimeUtc")
                self.total = meta.get("TotalNumberOfResults")
            if not isinstance(data, list):
                raise ApiError(
                    api="eaccounting",
                    method="GET",
                    url=self._path,
                    status=200,
                    message="the answer has no Data list",
                )
            yield from data
            current, pages = meta.get("CurrentPage", page), meta.get("TotalNumberOfPages")
            if not data or not isinstance(pages, int) or current >= pages:
                return
            page = current + 1


class EAccountingApi:
    """Thin calls over one `ApiClient`; errors stay `ApiError`s so the caller
    decides what they mean for its record."""

    def __init__(self, client: ApiClient, page_size: int = PAGE_SIZE) -> None:
        self.client = client
        self.page_size = page_size

    @classmethod
    def for_run(cls, ctx: RunContext, settings: Mapping[str, Any]) -> EAccountingApi:
        api = ctx.state.get(STATE_KEY)
        if isinstance(api, EAccountingApi):
            return api
        client = build_client(
            str(settings.get("apiBaseUrl") or DEFAULT_API),
            authorization(ctx, settings),
            tenant=ctx.tenant,
            clock=ctx.clock,
            redactor=ctx.redactor,
            transport=ctx.transport,
            run_state=ctx.state,
        )
        api = ctx.state[STATE_KEY] = cls(client)
        return api

    # -- generic ---------------------------------------------------------------------

    def listing(self, path: str, filter: Filter | None = None, **params: Any) -> Listing:
        query = {k: v for k, v in params.items() if v is not None}
        if filter is not None:
            query["$filter"] = str(filter)
        return Listing(self.client, path, query, self.page_size)

    def get(self, path: str) -> dict[str, Any] | None:
        found = self.client.get_json_or_none(path)
        return None if found is None else dict(found)

    def create(self, path: str, body: Mapping[str, Any], **params: Any) -> dict[str, Any]:
        return dict(self.client.post_json(path, dict(body), params=params or None))

    def replace(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self.client.put_json(path, dict(body)))

    # -- company and reference data ----------------------------------------------------------

    def company_settings(self) -> dict[str, Any]:
        return dict(self.client.get_json("companysettings"))

    def article_codings(self) -> list[dict[str, Any]]:
        return list(self.listing("articleaccountcodings"))

    def units(self) -> list[dict[str, Any]]:
        return list(self.listing("units"))

    def terms_of_payment(self) -> list[dict[str, Any]]:
        return list(self.listing("termsofpayments"))

    def vat_codes(self) -> list[dict[str, Any]]:
        return list(self.listing("vatcodes"))

    def currencies(self) -> list[dict[str, Any]]:
        return list(self.listing("currencies"))

    def countries(self) -> list[dict[str, Any]]:
        return list(self.listing("countries"))

    # -- customers and articles ------------------------------------------------------------

    def customers(self, changed_since: str | None = None, filter: Filter | None = None) -> Listing:
        return self.listing("customers", _changed(filter, "ChangedUtc", changed_since))

    def get_customer(self, customer_id: str) -> dict[str, Any] | None:
        return self.get(f"customers/{path_segment(customer_id)}")

    def create_customer(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.create("customers", body)

    def replace_customer(self, customer_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.replace(f"customers/{path_segment(customer_id)}", body)

    def articles(self, changed_since: str | None = None, filter: Filter | None = None) -> Listing:
        return self.listing("articles", _changed(filter, "ChangedUtc", changed_since))

    def get_article(self, article_id: str) -> dict[str, Any] | None:
        return self.get(f"articles/{path_segment(article_id)}")

    def create_article(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.create("articles", body)

    def replace_article(self, article_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.replace(f"articles/{path_segment(article_id)}", body)

    # -- cost centers and projects -----------------------------------------------------------

    def cost_centers(self) -> list[dict[str, Any]]:
        """Every cost center with its Items (there is no item list endpoint)."""
        return list(self.listing("costcenters"))

    def get_cost_center_item(self, item_id: str) -> dict[str, Any] | None:
        return self.get(f"costcenteritems/{path_segment(item_id)}")

    def create_cost_center_item(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.create("costcenteritems", body)

    def replace_cost_center_item(self, item_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.replace(f"costcenteritems/{path_segment(item_id)}", body)

    def projects(self, changed_since: str | None = None, filter: Filter | None = None) -> Listing:
        return self.listing("projects", _changed(filter, "ModifiedUtc", changed_since))

    def get_project(self, project_id: str) -> dict[str, Any] | None:
        return self.get(f"projects/{path_segment(project_id)}")

    # -- drafts and invoices ----------------------------------------------------------------

    def drafts(self, filter: Filter | None = None) -> Listing:
        return self.listing("customerinvoicedrafts", filter)

    def get_draft(self, draft_id: str) -> dict[str, Any] | None:
        return self.get(f"customerinvoicedrafts/{path_segment(draft_id)}")

    def create_draft(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.create("customerinvoicedrafts", body)

    def replace_draft(self, draft_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.replace(f"customerinvoicedrafts/{path_segment(draft_id)}", body)

    def delete_draft(self, draft_id: str) -> None:
        self.client.request("DELETE", f"customerinvoicedrafts/{path_segment(draft_id)}")

    def convert_draft(
        self,
        draft_id: str,
        checks: Mapping[str, Any] | None = None,
        keep_original_date: bool | None = None,
    ) -> dict[str, Any]:
        """Book a draft as an invoice (201 CustomerInvoiceApi). Not retried once
        it may have arrived: look the invoice up by CreatedFromDraftId first."""
        params = {}
        if keep_original_date is not None:
            params = {
                "keepOriginalDraftDate": str(keep_original_date).lower(),
                "overrideCompanyKeepOriginalDraftDate": "true",
            }
        path = f"customerinvoicedrafts/{path_segment(draft_id)}/convert"
        response = self.client.request(
            "POST", path, json=dict(checks) if checks else None, params=params or None
        )
        return dict(self.client.parse_json(response))

    def customer_invoices(
        self, modified_since: str | None = None, filter: Filter | None = None
    ) -> Listing:
        """`modifiedSinceUtc` is the one delta parameter the spec declares."""
        return self.listing("customerinvoices", filter, modifiedSinceUtc=modified_since)

    def get_customer_invoice(self, invoice_id: str) -> dict[str, Any] | None:
        return self.get(f"customerinvoices/{path_segment(invoice_id)}")

    def pay_customer_invoice(self, invoice_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.create(f"customerinvoices/{path_segment(invoice_id)}/payments", body)

    def supplier_invoices(
        self,
        invoice_date_from: str | None = None,
        invoice_date_to: str | None = None,
        modified_since: str | None = None,
    ) -> Listing:
        """Supplier invoices by invoice date (the seed's window) and/or change."""
        parts: list[Filter] = []
        if invoice_date_from:
            parts.append(ge("InvoiceDate", invoice_date_from, raw=True))
        if invoice_date_to:
            parts.append(le("InvoiceDate", invoice_date_to, raw=True))
        if modified_since:
            parts.append(gt("ModifiedUtc", modified_since, raw=True))
        return self.listing("supplierinvoices", all_of(*parts) if parts else None)


def build_client(
    base_url: str,
    auth: Auth,
    *,
    tenant: str,
    clock: Clock,
    redactor: Redactor,
    transport: httpx.BaseTransport | None = None,
    run_state: MutableMapping[str, Any] | None = None,
) -> ApiClient:
    """An ApiClient for eAccounting: one rate budget per endpoint (shared
    through `run_state` by every client of a run), the vendor's error parser."""
    base = base_url.rstrip("/") + "/"
    budgets = RateBudgets.of(run_state if run_state is not None else {}).per_endpoint(
        tenant,
        "eaccounting",
        lambda: FixedWindowBudget(RATE_LIMIT, RATE_WINDOW, clock, name="eAccounting"),
        endpoint_of=endpoint_under(base),
    )
    return ApiClient(
        base,
        name="eaccounting",
        auth=auth,
        transport=transport,
        clock=clock,
        redactor=redactor,
        retry=RetryPolicy(max_attempts=5),
        rate_budget=budgets,
        error_parser=parse_eaccounting_error,
    )


def describe_error(exc: ApiError) -> str:
    """The vendor's words as the seed's error table shows them:
    "ErrorCode: 2000, DeveloperErrorMessage: ..., ErrorId: ..." (status when no code)."""
    if exc.vendor_code is None:
        return f"The remote server returned an error: ({exc.status}) {exc.message}"
    text = f"ErrorCode: {exc.vendor_code}, DeveloperErrorMessage: {exc.message}"
    return text + (f", ErrorId: {exc.error_id}" if exc.error_id else "")


def _changed(filter: Filter | None, field: str, since: str | None) -> Filter | None:
    """`field gt since` [Mezai; FACTS §1.2], `since` being the ServerTimeUtc of the
    previous read: the server's clock, so client clock skew does not matter."""
    if since is None:
        return filter
    change = gt(field, since, raw=True)
    return change if filter is None else all_of(filter, change)
