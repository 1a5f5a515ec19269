"""The Visma.net ERP API, as other plugins use it.

`VismaNetApi.for_run(ctx)` gives the one client of a run (kept in
`ctx.state`, so every flow shares its token). It speaks the 2025 API
(https://api.finance.visma.net): Visma Connect client credentials with
`tenant_id`, `X-RateLimit-*` budgets per company and client,
`pageNumber`/`pageSize` paging, values wrapped as `{"value": ...}` on writes
and 201 + Location answers.

Credentials and endpoints come from the tenant's Visma.net connection
(`ctx.connection("visma_net")`, see system.py): the one the connector's
config names (`"connection": "visma"`), or the keys a config from before
connections carries itself (`apiBaseUrl`, `tokenUrl`, `clientId`,
`clientSecret`, `tenantId`). The connection's rate budget is kept in the
state database, so visma_net, nmbrs_journals and pos_zreport of one tenant
share Visma.net's hourly budget across runs and processes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import unquote

import httpx

from ledgerbridge.core.connections import Connection
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.http import (
    ApiClient,
    ApiError,
    ClientCredentials,
    RetryPolicy,
    UrlSetting,
    iter_page_number,
    path_segment,
)
from ledgerbridge.core.http.reach import WrongUrl
from ledgerbridge.plugins.visma_net.credentials import (
    DEFAULT_API,
    DEFAULT_TOKEN_URL,
    REJECTED,
    Credentials,
    refusal_message,
)
from ledgerbridge.plugins.visma_net.errors import parse_visma_net_error
from ledgerbridge.plugins.visma_net.masterdata import MasterData

SCOPES = (
    "vismanet_erp_service_api:create vismanet_erp_service_api:read vismanet_erp_service_api:update"
)
# A list every company has: where a 404 before anything succeeded is checked
# against, to tell a wrong apiBaseUrl from a customer that is not there.
PROBE = "v1/currency"

__all__ = ["DEFAULT_API", "DEFAULT_TOKEN_URL", "REJECTED", "SCOPES", "VismaNetApi", "build_client"]

# Master-data lists: path, the field holding the id, where the items are
# (None: the body is the list; creditTerm answers BasePaginationDto {records}).
MASTER_LISTS: dict[str, tuple[str, str, str | None]] = {
    "accounts": ("v1/account", "accountCD", None),
    "payment_terms": ("v1/creditTerm", "termsId", "records"),
    "branches": ("v1/branch", "number", None),
    "currencies": ("v1/currency", "id", None),
    "vat_codes": ("v1/vat", "vatId", None),
    "customer_classes": ("v1/customer/customerClass", "id", None),
    "payment_methods": ("v1/paymentmethod", "paymentMethodID", None),
}


DEFAULT_TIMEOUT = 60.0
# Added to the request timeout for the time a create may still be processed
# by Visma.net after the run that sent it is gone (queued behind the
# client's other requests, or answered after the client gave up).
IN_FLIGHT_MARGIN = 30.0


class VismaNetApi:
    """Thin, typed calls over one `ApiClient`; errors stay `ApiError`s so the
    caller decides what they mean for its record.

    `in_flight_seconds` is what a write-once target declares to the engine: an
    intent younger than that may be a create Visma.net is still working on."""

    def __init__(
        self,
        client: ApiClient,
        base_url_setting: UrlSetting | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.client = client
        self.in_flight_seconds = timeout + IN_FLIGHT_MARGIN
        self._master: MasterData | None = None
        self._master_lock = threading.Lock()
        self._base_url_setting = base_url_setting
        self._probed = False

    @classmethod
    def for_run(cls, ctx: RunContext) -> VismaNetApi:
        """The run's shared client, built from the tenant's config on first use."""
        api = ctx.state.get("visma_net.api")
        if isinstance(api, VismaNetApi):
            return api
        creds = Credentials.of(ctx.connection("visma_net"), ctx.connector)
        conn = ctx.connection("visma_net")
        api = cls(
            build_client(ctx), creds.url_setting("apiBaseUrl", DEFAULT_API), request_timeout(conn)
        )
        ctx.state["visma_net.api"] = api
        return api

    @classmethod
    def for_connection(cls, ctx: RunContext, name: str | None) -> VismaNetApi:
        """The run's client for the tenant's Visma.net connection `name`
        (another connector's part in another company: a POS department, a
        payroll administration); None: the connector's own, `for_run`."""
        if name is None:
            return cls.for_run(ctx)
        key = f"visma_net.api.{name}"
        api = ctx.state.get(key)
        if isinstance(api, VismaNetApi):
            return api
        conn = ctx.named_connection(name, "visma_net")
        creds = Credentials.of(conn, ctx.connector)
        api = cls(
            client_for(conn, ctx.connector),
            creds.url_setting("apiBaseUrl", DEFAULT_API),
            request_timeout(conn),
        )
        ctx.state[key] = api
        return api

    # -- customers ---------------------------------------------------------

    def get_customer(self, number: str) -> dict[str, Any] | None:
        return self._get_or_none(f"v1/customer/{path_segment(number)}")

    def create_customer(self, body: Mapping[str, Any]) -> str:
        return self._create("v1/customer", body)

    def update_customer(self, number: str, body: Mapping[str, Any]) -> None:
        self.client.request("PUT", f"v1/customer/{path_segment(number)}", json=dict(body))

    # -- sales documents -----------------------------------------------------

    def document(self, calls: int, endpoint: str) -> AbstractContextManager[None]:
        """Reserve the budget for one document's calls (the invoice and its PDF)
        before the first, so a spent budget never leaves one without the other."""
        return self.client.reserve(calls, endpoint.lstrip("/"))

    def create_document(self, endpoint: str, body: Mapping[str, Any]) -> str:
        """POST an invoice or credit note; the new document number."""
        return self._create(endpoint.lstrip("/"), body)

    def find_document(self, kind: str, external_reference: str) -> dict[str, Any] | None:
        """A customer invoice or credit note by the external reference we sent."""
        path = "v1/customerinvoice" if kind == "invoice" else "v1/customerCreditNote"
        params = {"externalReference": external_reference, "expandAttachments": "true"}
        for doc in iter_page_number(self.client, path, params=params, page_size=10):
            if _value(doc.get("externalReference")) == external_reference:
                return dict(doc)
        return None

    def attach(self, kind: str, number: str, filename: str, content: bytes) -> None:
        path = "v1/customerinvoice" if kind == "invoice" else "v1/customerCreditNote"
        files = {"file": (filename, content, "application/pdf")}
        # Not retried when the answer is lost (a timeout, a dropped
        # connection): the upload may have landed, and a second one would
        # attach the PDF twice. The record then fails as retryable and the next
        # run's lookup attaches it only if it is still missing.
        self.client.request(
            "POST", f"{path}/{path_segment(number)}/attachment", files=files, idempotent=False
        )

    # -- general ledger and inventory -----------------------------------------

    def create_journal_transaction(self, body: Mapping[str, Any]) -> str:
        return self._create("v2/journaltransaction", body)

    def find_journal_transaction(
        self, description: str, period_id: str | None = None
    ) -> dict[str, Any] | None:
        """A journal transaction by the description we sent (callers put their
        own unique reference there: JournalTransactionUpdateDto has no external
        reference field, and the list has no filter on it, so the period's
        transactions are paged through)."""
        params = {"periodId": period_id} if period_id else {}
        for tx in iter_page_number(self.client, "v2/journaltransaction", params=params):
            if _value(tx.get("description")) == description:
                return dict(tx)
        return None

    def get_inventory(self, number: str) -> dict[str, Any] | None:
        return self._get_or_none(f"v1/inventory/{path_segment(number)}")

    def create_inventory(self, body: Mapping[str, Any]) -> str:
        return self._create("v1/inventory", body)

    def update_inventory(self, number: str, body: Mapping[str, Any]) -> None:
        self.client.request("PUT", f"v1/inventory/{path_segment(number)}", json=dict(body))

    # -- master data ----------------------------------------------------------

    def master_data(self) -> MasterData:
        """What exists in Visma.net, fetched once per run for the pre-flight check."""
        with self._master_lock:  # invoice writes run in several threads
            return self._master_data()

    def _master_data(self) -> MasterData:
        if self._master is None:
            lists = {
                name: self.list_ids(path, field, items)
                for name, (path, field, items) in MASTER_LISTS.items()
            }
            self._master = MasterData(**lists)
        return self._master

    def list_ids(self, path: str, id_field: str, items: str | None = None) -> frozenset[str]:
        try:
            return frozenset(
                str(_value(item.get(id_field))) for item in self.iter(path, items=items)
            )
        except ApiError as exc:
            self._check_base_url(exc)
            raise

    def iter(
        self, path: str, params: Mapping[str, Any] | None = None, items: str | None = None
    ) -> Iterator[Any]:
        return iter_page_number(self.client, path, params=params, items=items)

    # -- plumbing ------------------------------------------------------------

    def _get_or_none(self, path: str) -> dict[str, Any] | None:
        try:
            return dict(self.client.get_json(path))
        except ApiError as exc:
            if exc.status == 404:
                self._check_base_url(exc)
                return None
            raise

    def _create(self, path: str, body: Mapping[str, Any]) -> str:
        try:
            response = self.client.request("POST", path, json=dict(body))
        except ApiError as exc:
            self._check_base_url(exc)
            raise
        return created_id(response)

    def _check_base_url(self, exc: ApiError) -> None:
        """A 404 before any call of the run succeeded, and not Visma.net's own
        answer about the document (its error body carries a fault code): if a
        list every company has is not found either, apiBaseUrl is wrong
        (WrongUrl, the run's error), not the record. At most one request a run."""
        if exc.status != 404 or exc.vendor_code or self._probed or self.client.succeeded:
            return
        if self._base_url_setting is None:
            return
        self._probed = True
        try:
            self.client.get_json(PROBE, params={"pageNumber": 1, "pageSize": 1})
        except ApiError as probe:
            if probe.status == 404:
                base = str(self.client.base_url).rstrip("/")
                detail = f" for {PROBE}, a list every company has"
                raise WrongUrl(self._base_url_setting, base, 404, detail=detail) from exc


def created_id(response: httpx.Response) -> str:
    """The id in a 201's Location header (`.../v1/customer/10023` -> "10023")."""
    location = response.headers.get("Location", "")
    if not location:
        raise ApiError(
            api="visma_net",
            method=response.request.method,
            url=str(response.request.url),
            status=response.status_code,
            message="the answer had no Location header",
        )
    # split the escaped path: a number may hold a slash (`A%2FB` is "A/B")
    raw = httpx.URL(location).raw_path.decode("ascii").split("?", 1)[0]
    return unquote(raw.rstrip("/").rsplit("/", 1)[-1])


def request_timeout(conn: Connection) -> float:
    """How long one request may take before the client gives up on it."""
    return float(conn.get("requestTimeoutSeconds", DEFAULT_TIMEOUT))


def build_client(ctx: RunContext) -> ApiClient:
    return client_for(ctx.connection("visma_net"), ctx.connector)


def client_for(conn: Connection, connector: str | None = None) -> ApiClient:
    """A client for one Visma.net connection, counting on its shared budget.
    `connector` names where settings a connector config carries itself live."""
    creds = Credentials.of(conn, connector)
    auth = ClientCredentials(
        conn.get("tokenUrl", DEFAULT_TOKEN_URL),
        client_id=conn.get("clientId"),
        client_secret=conn.secret("clientSecret"),
        scope=SCOPES,
        extra_form={"tenant_id": conn.secret("tenantId")},
        name="Visma.net",
        rejected_message=refusal_message(creds),
        token_url_setting=creds.url_setting("tokenUrl", DEFAULT_TOKEN_URL),
    )
    return ApiClient(
        conn.get("apiBaseUrl", DEFAULT_API).rstrip("/") + "/",
        name="visma_net",
        read_timeout=request_timeout(conn),
        auth=auth,
        transport=conn.transport,
        clock=conn.clock,
        redactor=conn.redactor,
        retry=RetryPolicy(max_attempts=5),
        rate_budget=conn.rate_budget(),
        error_parser=parse_visma_net_error,
        url_setting=creds.url_setting("apiBaseUrl", DEFAULT_API),
    )


def _value(field: Any) -> Any:
    """Read a field that may come wrapped as {"value": x}."""
    return field.get("value") if isinstance(field, dict) else field
