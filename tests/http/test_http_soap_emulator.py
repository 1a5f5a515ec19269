"""Round trips against a SOAP emulator in-process: over httpx.WSGITransport,
and mounted in the sandbox (fault injection, the request journal)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from http_soap_support import (
    BAD_CREDENTIALS,
    BASE_URL,
    DOMAIN,
    NS,
    TOKEN,
    USERNAME,
    PayrollState,
    build_payroll,
)

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http import (
    AUTH,
    ApiError,
    Failure,
    RetryPolicy,
    SoapClient,
    SoapHeaderAuth,
    TransientApiError,
    Verdict,
    parse_xml,
    xs_boolean,
    xs_datetime,
)
from ledgerbridge.core.redact import MASK, Redactor
from ledgerbridge.core.sandbox import Emulator, EmulatorOptions, Sandbox

RUN_TYPES = {"ID": int, "Number": int, "Year": int, "IsLocked": xs_boolean, "RunAt": xs_datetime}


def nmbrs_like(failure: Failure) -> Verdict | None:
    """What the connector's classifier would say: bad credentials come as a
    soap:Client fault and are an auth fault, not a refusal of the record."""
    if failure.fault is not None and failure.fault.reason.startswith("Invalid credentials"):
        return AUTH
    return None


def header_auth(token: str = TOKEN) -> SoapHeaderAuth:
    return SoapHeaderAuth(
        "AuthHeaderWithDomain",
        {"Username": USERNAME, "Token": token, "Domain": DOMAIN},
        rejected_message="The payroll service refused the user and token: renew the API token.",
    )


@pytest.fixture
def state() -> PayrollState:
    return PayrollState()


@pytest.fixture(params=["1.1", "1.2"])
def client(request, state: PayrollState, clock: FakeClock, redactor: Redactor) -> Iterator[Any]:
    soap = SoapClient(
        BASE_URL,
        name="payroll",
        clock=clock,
        redactor=redactor,
        version=request.param,
        auth=header_auth(),
        transport=httpx.WSGITransport(app=build_payroll(state)),
        retry=RetryPolicy(max_attempts=3, base_delay=1, jitter="none"),
        classifier=nmbrs_like,
    )
    yield soap.service("CompanyService.asmx", NS)
    soap.close()


def test_typed_round_trip(client, state: PayrollState) -> None:
    result = client.call("Run_GetList", {"CompanyId": 42, "Year": 2024}, idempotent=True)
    runs = result.items("RunInfo", types=RUN_TYPES)
    assert [(r["ID"], r["IsLocked"], r["RunAt"].month) for r in runs] == [
        (9001, True, 3),
        (9002, False, 4),
    ]
    assert "Description" not in runs[1]
    call = state.calls[0]
    version = client.client.version
    assert call["version"] == version
    assert call["action"] == f"{NS}/Run_GetList"
    assert call["auth"] == {"Username": USERNAME, "Token": TOKEN, "Domain": DOMAIN}
    assert call["params"] == {"CompanyId": "42", "Year": "2024"}


def test_a_string_result_holding_xml(client) -> None:
    result = client.call(
        "Journals_GetByRunCompany_v2", {"CompanyId": 42, "RunId": 9001, "intYear": 2024}
    )
    assert result.text is not None and 'encoding="utf-16"' in result.text
    journal = parse_xml(result.text)  # the declaration of a decoded string is dropped
    assert journal.findtext("transaction/lines/line/dim1") == "4000"


def test_server_faults_and_busy_pages_are_retried(client, state, clock: FakeClock) -> None:
    state.failures += [("fault", "Server", "Database timeout"), ("status", 503)]
    result = client.call("Run_GetList", {"CompanyId": 42, "Year": 2024}, idempotent=True)
    assert len(result.items("RunInfo")) == 2
    assert len(state.calls) == 3 and clock.sleeps == [1.0, 2.0]


def test_a_fault_sent_with_200_is_still_a_fault(client, state, clock: FakeClock) -> None:
    state.failures += [("fault200", "Server", "busy")]
    client.call("Run_GetList", {"CompanyId": 42, "Year": 2024}, idempotent=True)
    assert len(state.calls) == 2 and clock.sleeps == [1.0]


def test_client_fault_is_refused_with_its_detail(client, state, clock: FakeClock) -> None:
    state.failures += [("fault", "Client", "2006: InvalidPeriod", {"Period": "13"})]
    with pytest.raises(ApiError) as info:
        client.call("Run_GetList", {"CompanyId": 42, "Year": 2024}, idempotent=True)
    assert "2006: InvalidPeriod" in str(info.value)
    assert info.value.fault is not None and info.value.fault.kind == "sender"
    assert info.value.fault.detail == {"Period": "13"}
    assert info.value.definite and len(state.calls) == 1 and clock.sleeps == []


def test_a_write_is_not_resent_after_a_server_fault(client, state) -> None:
    state.failures += [("fault", "Server", "Database timeout")]
    with pytest.raises(TransientApiError) as info:
        client.call("CostCenter_Insert", {"CompanyId": 42, "CostCenter": {"Code": "KP01"}})
    assert info.value.may_have_reached_server and len(state.calls) == 1


def test_bad_credentials_are_an_auth_fault_never_retried(
    state: PayrollState, clock: FakeClock, redactor: Redactor, caplog
) -> None:
    wrong = "wrong-token-1f2e3d"
    soap = SoapClient(
        BASE_URL,
        name="payroll",
        clock=clock,
        redactor=redactor,
        auth=header_auth(wrong),
        transport=httpx.WSGITransport(app=build_payroll(state)),
        classifier=nmbrs_like,
    )
    caplog.set_level(logging.DEBUG, logger="ledgerbridge.http")
    with pytest.raises(AuthError) as info:
        soap.call(
            "CompanyService.asmx", "Run_GetList", {"CompanyId": 1}, namespace=NS, idempotent=True
        )
    assert "renew the API token" in str(info.value)
    assert BAD_CREDENTIALS in str(info.value.__cause__)
    assert len(state.calls) == 1 and clock.sleeps == []
    assert wrong not in caplog.text and wrong not in str(info.value.__cause__)
    soap.close()


def test_a_wrong_soap_action_is_the_services_refusal(state, clock, redactor) -> None:
    soap = SoapClient(
        BASE_URL,
        name="payroll",
        clock=clock,
        redactor=redactor,
        auth=header_auth(),
        transport=httpx.WSGITransport(app=build_payroll(state)),
        action=lambda ns, op: f"urn:wrong/{op}",
    )
    with pytest.raises(ApiError, match="did not recognize the value of HTTP Header SOAPAction"):
        soap.call("CompanyService.asmx", "Run_GetList", {"CompanyId": 1}, namespace=NS)
    soap.close()


# ---------------------------------------------------------------- in the sandbox


def sandboxed(clock: FakeClock) -> tuple[Sandbox, PayrollState]:
    state = PayrollState()

    def factory(options: EmulatorOptions) -> Any:
        return build_payroll(state)

    box = Sandbox([Emulator("payroll", "/payroll", factory, "payroll SOAP")], clock=clock)
    return box, state


def test_through_the_sandbox_with_faults_and_the_journal(
    clock: FakeClock, redactor: Redactor
) -> None:
    box, state = sandboxed(clock)
    box.faults.add("POST /soap/v3/CompanyService.asmx: 503 x1")
    soap = SoapClient(
        box.base_url("payroll") + "/soap/v3/",
        name="payroll",
        clock=clock,
        redactor=redactor,
        auth=header_auth(),
        transport=box.transport(),
        retry=RetryPolicy(max_attempts=3, base_delay=1, jitter="none"),
    )
    result = soap.call(
        "CompanyService.asmx",
        "Run_GetList",
        {"CompanyId": 42, "Year": 2024},
        namespace=NS,
        idempotent=True,
    )
    assert len(result.items("RunInfo")) == 2
    entries = box.journal.find(path="/soap/v3/CompanyService.asmx")
    assert [e.status for e in entries] == [503, 200]
    assert clock.sleeps == [1.0]
    recorded = json.dumps([e.to_dict() for e in entries], ensure_ascii=False)
    assert TOKEN not in recorded and MASK in recorded
    assert len(state.calls) == 1  # the injected 503 never reached the emulator
    soap.close()
    box.stop()
