"""The DUELL API emulator: token login, 100-row pages, stock per department, errors."""

from __future__ import annotations

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.sandbox import Sandbox
from ledgerbridge.plugins.pos_zreport.duell.emulator import DEMO_CLIENT, EMULATOR

PRODUCTS = [{"product_number": str(n), "product_name": f"Vare {n}"} for n in range(1, 251)]


def _sandbox() -> Sandbox:
    return Sandbox(
        [EMULATOR],
        clock=FakeClock(),
        settings={
            "duell": {
                "products": PRODUCTS,
                "departments": {"dep-1": {"name": "Sentrum", "stock": {"1": 12}}},
            }
        },
    )


def test_login_pages_of_at_most_100_and_stock_per_department() -> None:
    sandbox = _sandbox()
    with sandbox.client("duell") as plain:
        assert plain.get("/v1/product/list").status_code == 401
        bad = plain.post(
            "/v1/getaccesstokens", data={"client_number": "722490", "client_token": "x"}
        )
        assert bad.status_code == 401 and bad.json()["status"] is False
        token = plain.post("/v1/getaccesstokens", data=DEMO_CLIENT).json()["token"]
    with sandbox.client("duell", headers={"Authorization": f"Bearer {token}"}) as api:
        page = api.get("/v1/product/list", params={"start": 200, "length": 500}).json()
        assert page["total_count"] == 250 and len(page["products"]) == 50
        first = api.get("/v1/product/list", params={"length": 500}).json()
        assert len(first["products"]) == 100  # capped
        ignored = api.get("/v1/product/list", params={"filter[product_number]": "7"}).json()
        assert ignored["total_count"] == 250  # a filter DUELL does not honour
        stock = api.get("/v1/all/product/stock", params={"department": "dep-1"}).json()
        assert stock["data"][0] == {
            "product_number": "1",
            "department": [{"department_token": "dep-1", "stock": 12}],
        }
        assert api.get("/v1/all/product/stock", params={"department": "x"}).status_code == 400
        saved = api.post(
            "/v1/product/save",
            json={"product_data": [{"product_number": "1", "product_name": "Ny"}]},
        )
        assert saved.json()["status"] is True
        assert (
            api.put("/v1/customer", json={"customer_name": "A", "phone": "123"}).status_code == 400
        )
    sandbox.clock.advance(3601)  # type: ignore[attr-defined]
    with sandbox.client("duell", headers={"Authorization": f"Bearer {token}"}) as api:
        assert api.get("/v1/product/list").status_code == 401  # expired
    sandbox.stop()
