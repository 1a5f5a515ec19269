"""A payroll SOAP service emulated in-process, shaped like Nmbrs' CompanyService
(an .asmx service: document/literal, `AuthHeaderWithDomain{Username, Token,
Domain}` header in the service namespace, SOAPAction `{namespace}/{op}`).

Operation and type names are from Nmbrs' CompanyService WSDL v2.1
(`/work/shared/specs/nmbrs/CompanyService-v2.1-2020.wsdl`, saved from
github.com/DariuszWietecha/node-sqs-soap-nmbrsapi-workflow
test/data/CompanyService-wsdl.xml @ 225696ae), with the v3 namespace the
live service uses; the error texts are the emulator's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.core.sandbox import App, Request, Response, soap

NS = "https://api.nmbrs.nl/soap/v3/CompanyService"
PATH = "/soap/v3/CompanyService.asmx"
BASE_URL = "https://payroll.example.test/soap/v3/"
USERNAME = "anna@example.com"
TOKEN = "nmbrs-api-token-5f1e9c"
DOMAIN = "acme"
BAD_CREDENTIALS = "Invalid credentials: the user or token is not valid"

RUNS = [
    {
        "ID": 9001,
        "Number": 3,
        "Year": 2024,
        "PeriodStart": 3,
        "PeriodEnd": 3,
        "Description": "Maart",
        "RunAt": "2024-03-28T10:15:00",
        "IsLocked": True,
    },
    {
        "ID": 9002,
        "Number": 4,
        "Year": 2024,
        "PeriodStart": 4,
        "PeriodEnd": 4,
        "RunAt": "2024-04-26T09:00:00",
        "IsLocked": False,
    },
]
JOURNAL = (
    '<?xml version="1.0" encoding="utf-16"?><transactions><transaction><header>'
    "<date>20240331</date></header><lines><line><dim1>4000</dim1>"
    "<debitcredit>debit</debitcredit><value>3150.00</value></line></lines>"
    "</transaction></transactions>"
)


@dataclass
class PayrollState:
    """What the emulator saw, and the failures to answer next, in order:
    ("fault", "Server"|"Client", message[, detail]) answered with 500,
    ("fault200", ...) the same with 200, or ("status", 503) with an HTML page."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[Any, ...]] = field(default_factory=list)


def build_payroll(state: PayrollState) -> App:
    app = App("payroll")

    @app.post(PATH)
    def company_service(request: Request) -> Response:
        try:
            env = soap.parse_request(request)
        except soap.SoapError as exc:
            return soap.fault_response("Client", str(exc))
        auth = soap.header_block(env, "AuthHeaderWithDomain") or {}
        state.calls.append(
            {
                "operation": env.operation_name,
                "version": env.version,
                "action": env.action,
                "namespace": env.namespace,
                "auth": auth,
                "params": soap.to_dict(env.operation),
                "content_type": request.headers.get("content-type"),
            }
        )
        if env.action != f"{NS}/{env.operation_name}":
            message = f"Server did not recognize the value of HTTP Header SOAPAction: {env.action}."
            return soap.fault_response("Client", message, version=env.version)
        if state.failures:
            return _failure(state.failures.pop(0), env.version)
        if (auth.get("Username"), auth.get("Token"), auth.get("Domain")) != (
            USERNAME,
            TOKEN,
            DOMAIN,
        ):
            return soap.fault_response("Client", BAD_CREDENTIALS, version=env.version)
        return _operation(env)

    return app


def _failure(failure: tuple[Any, ...], version: str) -> Response:
    kind = failure[0]
    if kind == "status":
        return Response(failure[1], [("Content-Type", "text/html")], b"<html>busy</html>")
    detail = failure[3] if len(failure) > 3 else None
    payload = soap.fault(failure[1], failure[2], version=version, detail=detail)
    status = 200 if kind == "fault200" else 500
    return soap.soap_response(payload, version=version, status=status)


def _operation(env: soap.Envelope) -> Response:
    params = soap.to_dict(env.operation)
    if env.operation_name == "Run_GetList":
        runs = [r for r in RUNS if str(r["Year"]) == params.get("Year")]
        result: Any = {"RunInfo": runs}
    elif env.operation_name == "Journals_GetByRunCompany_v2":
        result = JOURNAL
    elif env.operation_name == "CostCenter_Insert":
        result = 77
    else:
        return soap.fault_response(
            "Client", f"Unknown operation {env.operation_name}", version=env.version
        )
    payload = soap.operation_response(env.operation_name, NS, result, version=env.version)
    return soap.soap_response(payload, version=env.version)
