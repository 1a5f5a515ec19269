"""Problems of the whole run, told apart and named: which credential Visma
Connect refused (and the fix, where to change it), and a URL setting that
cannot be right (exit 3 naming it, whatever the number of records)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_support import REAL_TENANT_ID, MakeEnv
from vn_builders import Customer, Invoice

from ledgerbridge.plugins.visma_net.api import REJECTED
from ledgerbridge.plugins.visma_net.emulator.testing import DEMO_TENANT, connection

CUSTOMER_TENANT = "contract-tenant-0001"


def invoices(n: int) -> list[Invoice]:
    return [Invoice(str(10023 + i), customer=Customer(code=f"C{i}")) for i in range(n)]


# -- 1. which credential was refused ---------------------------------------------


def test_a_wrong_client_secret_names_the_client_not_the_tenant(
    make_env: MakeEnv, lb_cli: Any
) -> None:
    env = make_env(secrets={"visma_client_secret": "not-the-secret"})
    env.export(invoices(1))
    summary = env.run()
    assert summary.status == "aborted"
    message = summary.message or ""
    assert message.startswith(
        "Visma Connect did not accept client id 'ledgerbridge-demo' with the client secret "
        "stored as 'visma_client_secret' (invalid_client)"
    )
    assert "ledgerbridge secret set acme visma_client_secret" in message
    assert "clientId" in message and "ledgerbridge enable acme visma_net --config FILE" in message
    assert REJECTED not in message and "tenant id" not in message
    assert "integration partner" not in message
    assert "not-the-secret" not in message


def connect(env: Any, lb_cli: Any, tmp_path: Path, **settings: Any) -> None:
    """The tenant's credentials in a connection named visma, which its
    visma_net config names (as `ledgerbridge connection add` leaves them)."""
    conn = connection(env.sandbox)
    stored = {
        "tenantId": {"secret": "visma_tenant_id"},
        "clientId": conn["clientId"],
        "clientSecret": {"secret": "visma_client_secret"},
        "apiBaseUrl": conn["apiBaseUrl"],
        "tokenUrl": conn["tokenUrl"],
        **settings,
    }
    file = tmp_path / "visma-connection.json"
    file.write_text(json.dumps(stored), encoding="utf-8")
    added = lb_cli(
        "connection",
        "add",
        "acme",
        "visma",
        "--system",
        "visma_net",
        "--config",
        str(file),
        "--replace",
    )
    assert added.exit_code == 0, added.output
    config = {k: v for k, v in env.config.items() if k not in stored}
    env.tenant_factory("acme", connector="visma_net", config={"connection": "visma", **config})


def test_with_a_named_connection_the_fix_names_the_connection(
    make_env: MakeEnv, lb_cli: Any, tmp_path: Path
) -> None:
    env = make_env()
    connect(env, lb_cli, tmp_path)
    env.tenant_factory("acme", secrets={"visma_client_secret": "not-the-secret"})
    env.export(invoices(1))
    message = env.run().message or ""
    assert message.startswith("Visma Connect did not accept client id 'ledgerbridge-demo'")
    assert "ledgerbridge secret set acme visma_client_secret" in message
    assert (
        "correct clientId in the settings file and save it with `ledgerbridge connection add "
        "acme visma --system visma_net --config FILE --replace`"
    ) in message
    env.tenant_factory("acme", secrets={"visma_client_secret": "demo-secret"})
    connect(env, lb_cli, tmp_path, tokenUrl="http://sandbox.ledgerbridge/connect/token")
    wrong = env.run().message or ""
    assert wrong.startswith("tokenUrl is wrong: http://sandbox.ledgerbridge/connect/token")
    assert "check tokenUrl in the connection visma of acme" in wrong


def test_a_refused_tenant_id_gets_the_seed_message_and_the_secret_to_set(
    make_env: MakeEnv,
) -> None:
    env = make_env(secrets={"visma_tenant_id": REAL_TENANT_ID})
    env.export(invoices(1))
    summary = env.run()
    message = summary.message or ""
    assert summary.status == "aborted"
    assert message.startswith(f"{REJECTED}. Visma Connect accepted client id 'ledgerbridge-demo'")
    assert "invalid_grant" in message
    assert "ledgerbridge secret set acme visma_tenant_id" in message
    assert "Visma App Store" in message and "integration partner" not in message
    assert REAL_TENANT_ID not in message


def test_a_customer_tenant_id_gets_a_token_and_then_the_company_fix(make_env: MakeEnv) -> None:
    client = {
        "client_id": "ledgerbridge-demo",
        "client_secret": "demo-secret",
        "tenants": [DEMO_TENANT],
        "customer_tenants": [CUSTOMER_TENANT],
    }
    env = make_env(settings={"clients": [client]}, secrets={"visma_tenant_id": CUSTOMER_TENANT})
    env.export(invoices(1))
    summary = env.run()
    message = summary.message or ""
    assert summary.status == "aborted"
    assert message.startswith(f"{REJECTED}. Visma Connect issued a token")
    assert "customer's (contract's) tenant id instead of the company's" in message
    assert "ledgerbridge secret set acme visma_tenant_id" in message
    assert CUSTOMER_TENANT not in message
    tokens = env.sandbox.journal.find(method="POST", path="/connect/token")
    assert [e.status for e in tokens] == [200, 200]  # issued, renewed once, then given up


def test_the_emulator_answers_each_refusal_as_visma_connect(make_env: MakeEnv) -> None:
    env = make_env()
    with env.sandbox.client("visma_net") as http:
        form = {
            "grant_type": "client_credentials",
            "client_id": "ledgerbridge-demo",
            "client_secret": "demo-secret",
            "scope": "vismanet_erp_service_api:read",
            "tenant_id": DEMO_TENANT,
        }
        assert http.post("/connect/token", data=form).status_code == 200
        bad_secret = http.post("/connect/token", data={**form, "client_secret": "x"})
        unknown = http.post("/connect/token", data={**form, "client_id": "nobody"})
        tenant = http.post("/connect/token", data={**form, "tenant_id": "someone-else"})
    assert (bad_secret.status_code, bad_secret.json()) == (400, {"error": "invalid_client"})
    assert (unknown.status_code, unknown.json()) == (400, {"error": "invalid_client"})
    assert tenant.status_code == 400 and tenant.json()["error"] == "invalid_grant"


# -- 2. URL settings that cannot be right ---------------------------------------------


class Unreachable(httpx.BaseTransport):
    """The network: hosts named *.invalid do not resolve; the rest is the sandbox."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host.endswith(".invalid"):
            self.refused += 1
            raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)
        return self.inner.handle_request(request)


@pytest.mark.parametrize("records", [1, 6])
@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("apiBaseUrl", "https://visma-api.invalid"),
        ("tokenUrl", "https://connect.invalid/connect/token"),
    ],
)
def test_an_unreachable_url_is_one_run_level_error_naming_the_setting(
    make_env: MakeEnv, setting: str, value: str, records: int
) -> None:
    env = make_env(**{setting: value})
    env.export(invoices(records))
    network = Unreachable(env.sandbox.transport())
    summary = env.runner("acme", "visma_net", transport=network, clock=env.clock)
    assert summary.status == "aborted"
    assert (summary.succeeded, summary.failed) == (0, 0)  # no record failed: the run did
    message = summary.message or ""
    assert message.startswith(f"{setting} is wrong, or its host is down: {value}")
    assert f"Fix: check {setting} in the config of acme/visma_net" in message
    assert "ledgerbridge enable acme visma_net --config FILE" in message
    assert network.refused == 5  # the retries of one request, not one per record


@pytest.mark.parametrize("records", [1, 6])
def test_a_wrong_api_path_is_one_run_level_error(make_env: MakeEnv, records: int) -> None:
    base = env_base = make_env().config["apiBaseUrl"]
    env = make_env(apiBaseUrl=env_base + "/api/controller")
    env.export(invoices(records))
    summary = env.run()
    assert summary.status == "aborted"
    assert (summary.succeeded, summary.failed) == (0, 0)
    assert (summary.message or "").startswith(
        f"apiBaseUrl is wrong: {base}/api/controller answered 404 Not Found"
    )
    assert env.writes() == []


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("/connect/token", "answered 404 Not Found"),  # outside the emulator: nothing there
        ("/visma_net/oauth/token", "answered 401 Unauthorized without an OAuth error"),
    ],
)
def test_a_wrong_token_path_is_one_run_level_error(
    make_env: MakeEnv, path: str, answer: str
) -> None:
    env = make_env()
    env.configure(tokenUrl="http://sandbox.ledgerbridge" + path)
    env.export(invoices(3))
    summary = env.run()
    assert summary.status == "aborted"
    message = summary.message or ""
    assert message.startswith(f"tokenUrl is wrong: http://sandbox.ledgerbridge{path} {answer}")
    assert REJECTED not in message  # not a credential problem


def test_the_cli_exits_3_naming_the_setting_whatever_the_number_of_records(
    make_env: MakeEnv, lb_cli: Any
) -> None:
    env = make_env()
    env.sandbox.serve()
    for records in (1, 6):
        env.configure(apiBaseUrl=env.config["apiBaseUrl"] + "/nowhere")
        env.export(invoices(records))
        result = lb_cli("run", "acme", "visma_net")
        assert result.exit_code == 3, result.output
        assert "apiBaseUrl is wrong" in result.output
        assert "0 succeeded, 0 failed" in result.output


def test_a_customer_missing_on_the_first_request_is_still_just_missing(
    make_env: MakeEnv,
) -> None:
    env = make_env()
    env.export(invoices(1))
    summary = env.run()
    assert (summary.status, summary.succeeded) == ("succeeded", 2)
    currencies = env.sandbox.journal.find(method="GET", path="/v1/currency")
    probes = [e for e in currencies if e.query.get("pageSize") == ["1"]]
    assert probes == []  # Visma.net's own "not found" (a fault code) needs no check
