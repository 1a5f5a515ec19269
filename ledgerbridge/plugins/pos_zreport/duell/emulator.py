"""An emulated DUELL API (api.kasseservice.no/v1), as the facts file describes it.

    POST /v1/getaccesstokens        form client_number, client_token -> {status, token}
    GET  /v1/product/list           start, length (capped at 100) -> {status, total_count, products}
    POST /v1/product/save           {"product_data": [...]}: created or updated by product_number
    GET  /v1/customer/list          start, length -> {status, total_count, customers}
    PUT  /v1/customer               a customer (customer_id to update) -> {status, customer_id}
    GET  /v1/all/product/stock      department=<token> -> {status, total_count, data}

Like DUELL, a wrong client number or token is a 401 `{"status": false,
"message": ...}`, so is a call without a valid bearer token (tokens live an
hour on the sandbox clock); `length` over 100 is silently capped, and filters
other than `filter[view_on_webshop]` and `filter[category_id]` are ignored
(a third-party integrator's finding, 2026). Settings (all optional):

    clients      [{"client_number": "722490", "client_token": "..."}] (default the demo client)
    products     [{product_number, product_name, barcode, price_inc_vat, vatrate_percent,
                   cost_price, ...}]
    customers    [{customer_id, customer_name, org_no, phone, email, ...}]
    departments  {"<token>": {"name": ..., "stock": {"<product_number>": 12}}}
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.core.sandbox import (
    App,
    Emulator,
    EmulatorOptions,
    HTTPError,
    Request,
    Response,
    json_response,
)

DEMO_CLIENT = {"client_number": "722490", "client_token": "duell-demo-token"}
DEMO_DEPARTMENTS = {"dep-sentrum": {"name": "Butikk Sentrum"}, "dep-storgata": {"name": "Storgata"}}
PAGE_MAX = 100
TOKEN_LIFE = 3600.0


@dataclass
class DuellState:
    clock: Any
    clients: dict[str, str]
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    departments: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_product: int = 1
    next_customer: int = 1
    rng: random.Random = field(default_factory=random.Random)
    redactor: Any = None

    def save_product(self, row: Mapping[str, Any]) -> None:
        number = str(row["product_number"])
        old = self.products.get(number)
        if old is None:
            row = {**row, "product_id": self.next_product}
            self.next_product += 1
        self.products[number] = {**(old or {}), **row}

    def save_customer(self, row: Mapping[str, Any]) -> str:
        cid = str(row.get("customer_id") or "")
        if not cid:
            cid = str(self.next_customer)
            self.next_customer += 1
            while cid in self.customers:
                cid = str(self.next_customer)
                self.next_customer += 1
        self.customers[cid] = {**self.customers.get(cid, {}), **row, "customer_id": cid}
        return cid


class DuellApp(App):
    def __init__(self, state: DuellState) -> None:
        super().__init__("duell", error_body=lambda status, message: _error(message))
        self.state = state


def _error(message: str) -> dict[str, Any]:
    return {"status": False, "message": message}


def fail(status: int, message: str) -> HTTPError:
    return HTTPError(status, message, body=_error(message))


def build_app(options: EmulatorOptions) -> DuellApp:
    settings = options.settings
    clients = settings.get("clients") or [DEMO_CLIENT]
    state = DuellState(
        options.clock,
        {c["client_number"]: c["client_token"] for c in clients},
        rng=random.Random(f"duell-{options.seed}"),
        redactor=options.redactor,
    )
    for row in settings.get("products", []):
        state.save_product(row)
    for row in settings.get("customers", []):
        state.save_customer(row)
    state.departments = {
        k: dict(v) for k, v in (settings.get("departments") or DEMO_DEPARTMENTS).items()
    }
    app = DuellApp(state)
    for redact in (c["client_token"] for c in clients):
        options.redactor.add(redact)
    app.use(_require_token(state))
    _routes(app, state)
    return app


def _require_token(
    state: DuellState,
) -> Callable[[Request, Callable[[Request], Response]], Response]:
    def middleware(request: Request, call: Callable[[Request], Response]) -> Response:
        if request.path.endswith("/getaccesstokens"):
            return call(request)
        token = request.bearer_token
        expires = state.tokens.get(token or "")
        if expires is None or expires < state.clock.now():
            raise fail(401, "Unauthorized: missing, invalid or expired access token")
        return call(request)

    return middleware


def _page(request: Request, rows: list[dict[str, Any]], key: str) -> Response:
    try:
        start = max(0, int(request.query.get("start", "0")))
        length = min(PAGE_MAX, max(1, int(request.query.get("length", str(PAGE_MAX)))))
    except ValueError:
        raise fail(400, "start and length must be whole numbers") from None
    return json_response(
        {"status": True, "total_count": len(rows), key: rows[start : start + length]}
    )


def _routes(app: App, state: DuellState) -> None:
    @app.post("/v1/getaccesstokens")
    def token(request: Request) -> Response:
        form = request.form()
        number, secret = form.get("client_number", ""), form.get("client_token", "")
        if not number or state.clients.get(number) != secret:
            raise fail(401, "Invalid client number or client token")
        with state.lock:
            issued = f"{state.rng.getrandbits(128):032x}"
        state.redactor.add(issued)
        state.tokens[issued] = state.clock.now() + TOKEN_LIFE
        return json_response({"status": True, "token": issued, "expires_in": int(TOKEN_LIFE)})

    @app.get("/v1/product/list")
    def products(request: Request) -> Response:
        rows = sorted(state.products.values(), key=lambda r: int(r["product_id"]))
        return _page(request, rows, "products")

    @app.post("/v1/product/save")
    def save_products(request: Request) -> Response:
        body = request.json()
        rows = body.get("product_data") if isinstance(body, dict) else None
        if not isinstance(rows, list) or not rows:
            raise fail(400, "product_data must be a non-empty list")
        for i, row in enumerate(rows):
            if not isinstance(row, dict) or not str(row.get("product_number") or "").strip():
                raise fail(400, f"product_data[{i}]: product_number is required")
        with state.lock:
            for row in rows:
                state.save_product(row)
        return json_response({"status": True, "message": f"{len(rows)} products saved"})

    @app.get("/v1/customer/list")
    def customers(request: Request) -> Response:
        rows = sorted(state.customers.values(), key=lambda r: int(r["customer_id"]))
        return _page(request, rows, "customers")

    @app.put("/v1/customer")
    def save_customer(request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict) or not str(body.get("customer_name") or "").strip():
            raise fail(400, "customer_name is required")
        phone = str(body.get("phone") or "")
        if phone and len([c for c in phone if c.isdigit()]) < 8:
            raise fail(400, "phone must have at least 8 digits")
        with state.lock:
            cid = state.save_customer(body)
        return json_response({"status": True, "customer_id": cid})

    @app.get("/v1/all/product/stock")
    def stock(request: Request) -> Response:
        token = request.query.get("department", "")
        dept = state.departments.get(token)
        if dept is None:
            raise fail(400, f"Unknown department token '{token}'")
        levels = dept.get("stock") or {}
        rows = [
            {
                "product_number": n,
                "department": [{"department_token": token, "stock": levels.get(n, 0)}],
            }
            for n in sorted(state.products)
        ]
        return _page(request, rows, "data")


def state_of(app: object) -> DuellState:
    if not isinstance(app, DuellApp):
        raise TypeError("not a DUELL emulator app")
    return app.state


def connection(base_url: str, settings: Mapping[str, Any]) -> list[dict[str, str]]:
    clients = settings.get("clients") or [DEMO_CLIENT]
    return [
        {
            "baseUrl": base_url + "/v1/",
            "clientNumber": c["client_number"],
            "clientToken": c["client_token"],
        }
        for c in clients
    ]


EMULATOR = Emulator("duell", "/duell", build_app, "DUELL POS API", connection=connection)
