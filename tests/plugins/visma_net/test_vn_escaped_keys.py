"""Customer codes and document numbers that need escaping in a URL path
(`/`, `%`, spaces, non-ASCII) are found again on the next run, against the
emulator routing escaped path segments as Visma.net does: `A%2FB` is one
segment whose value is `A/B`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from e2e_support import MakeEnv, VismaEnv
from vn_builders import Customer, Invoice, export_xml, make_pdf, write_export

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.sandbox import Sandbox
from ledgerbridge.plugins.visma_net.api import created_id
from ledgerbridge.plugins.visma_net.emulator.testing import api_client, make_sandbox

AWKWARD = ["A/B", "50% OFF", "NORD ÖST", "x%2Fy", "a?b#c"]


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.fixture
def env(make_env: MakeEnv) -> VismaEnv:
    return make_env(clock=FakeClock(ts("2024-06-01T10:00:00")))


@pytest.mark.parametrize("code", AWKWARD)
def test_an_awkward_customer_code_is_found_again_and_updated(env: VismaEnv, code: str) -> None:
    env.export([Invoice("10023", customer=Customer(code=code, changed="2024-06-01T09:00:00"))])
    first = env.run()
    assert (first.succeeded, first.failed) == (2, 0), first.errors
    assert env.state.customers.get(code) is not None
    env.clock.advance(3600)
    renamed = Customer(code=code, name="Renamed AB", changed="2024-06-01T10:30:00")
    env.export([Invoice("10024", customer=renamed)])
    second = env.run()
    assert second.failed == 0, second.errors
    assert second.flows[0].updated == 1  # found by its code, not created again
    assert env.state.customers.get(code)["name"] == "Renamed AB"
    assert len(env.posts("/v1/customer")) == 1
    assert len(env.state.invoices) == 2


def test_an_awkward_invoice_number_gets_its_pdf_and_is_not_resent(env: VismaEnv) -> None:
    env.configure(
        includePdfCopy=True, startText="overrideNumberSeries=true\nperiodDateSource=AccountingDate"
    )
    xml = export_xml([Invoice("2024/10 23", pdf=make_pdf())])
    # a file name may not hold a slash; the invoice number may
    write_export(env.folder, "e.xml", xml.replace("faktura-2024/10 23.pdf", "faktura.pdf"))
    first = env.run()
    assert first.failed == 0, first.errors
    (doc,) = env.docs("invoices", "2024/10 23")
    assert doc["referenceNumber"] == "2024/10 23"
    assert len(env.state.attachments) == 1
    again = env.run(full=True)
    assert (again.succeeded, again.failed, again.skipped) == (0, 0, 2)
    assert len(env.state.invoices) == 1


def test_the_emulator_routes_escaped_segments_as_one_value() -> None:
    sandbox, _ = make_sandbox()
    with api_client(sandbox) as api:
        made = api.post("/v1/customer", json={"number": {"value": "A/B"}, "name": {"value": "x"}})
        assert made.status_code == 201
        assert made.headers["Location"].endswith("/v1/customer/A%2FB")
        assert created_id_of(made.headers["Location"]) == "A/B"
        assert api.get("/v1/customer/A%2FB").json()["number"] == "A/B"
        # an unescaped slash is two segments: no such customer route
        assert api.get("/v1/customer/A/B").status_code == 404


def test_routing_on_the_raw_path_over_loopback_too() -> None:
    sandbox, _ = make_sandbox()
    sandbox.serve()
    try:
        _loopback_round_trip(sandbox)
    finally:
        sandbox.stop()


def _loopback_round_trip(sandbox: Sandbox) -> None:
    import httpx

    from ledgerbridge.plugins.visma_net.emulator.testing import get_token

    base = sandbox.base_url("visma_net")
    with httpx.Client(base_url=base) as plain:
        token = get_token(plain)
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as api:
        body = {"number": {"value": "50% / OFF"}, "name": {"value": "x"}}
        assert api.post("/v1/customer", json=body).status_code == 201
        got = api.get("/v1/customer/50%25%20%2F%20OFF")
        assert got.status_code == 200 and got.json()["number"] == "50% / OFF"


def created_id_of(location: str) -> str:
    import httpx

    response = httpx.Response(201, headers={"Location": location})
    response.request = httpx.Request("POST", location)
    return created_id(response)
