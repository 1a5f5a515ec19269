"""The Nmbrs SOAP emulator as one WSGI app: CompanyService and DebtorService
(.asmx, document/literal, SOAP 1.1 and 1.2) under `/soap/v3/` (and
`/soap/v2.1/`), with the v3 namespaces the live service uses.

Every call must carry `AuthHeaderWithDomain{Username, Token, Domain}` of a
seeded user (state.py), and a SOAPAction of `{namespace}/{operation}`, as
an .asmx service checks. Answers follow the WSDL's types
(data/nmbrs-operations.json). Refusals are SOAP faults, their texts the
emulator's own, opening with Nmbrs' error code where the facts file has
one (/work/shared/specs/FACTS.md): 2004 UnauthorizedCompany for a company
the user may not see, 2006 InvalidPeriod for a run that is not the
company's in that year, 2009 UnauthorizedDebtor for an unknown debtor.
The token is registered with the sandbox's redactor, so the request
journal never shows it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from ledgerbridge.core.sandbox import App, EmulatorOptions, Request, Response, soap
from ledgerbridge.plugins.nmbrs_journals.nmbrs.emulator.state import (
    Company,
    NmbrsState,
    build_state,
)

SERVICES = ("CompanyService", "DebtorService")
VERSIONS = ("v3", "v2.1")
BAD_CREDENTIALS = "Invalid credentials: the username, token or domain was not accepted"


@lru_cache(maxsize=1)
def operations() -> dict[str, Any]:
    """The operations' WSDL extract shipped with the plugin."""
    text = (
        resources.files("ledgerbridge.plugins.nmbrs_journals")
        .joinpath("data/nmbrs-operations.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


class NmbrsApp(App):
    def __init__(self, state: NmbrsState) -> None:
        super().__init__("nmbrs")
        self.state = state


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def build_app(options: EmulatorOptions) -> NmbrsApp:
    state = build_state(options.settings)
    for user in state.users:
        options.redactor.add(user["token"])
    app = NmbrsApp(state)
    for version in VERSIONS:
        for service in SERVICES:
            app.post(f"/soap/{version}/{service}.asmx")(_endpoint(state, version, service))
    return app


def state_of(app: object) -> NmbrsState:
    if not isinstance(app, NmbrsApp):
        raise TypeError(f"not an Nmbrs emulator app: {type(app).__name__}")
    return app.state


def _endpoint(state: NmbrsState, version: str, service: str) -> Callable[[Request], Response]:
    namespace = f"https://api.nmbrs.nl/soap/{version}/{service}"
    known = operations()["services"][service]

    def endpoint(request: Request) -> Response:
        try:
            env = soap.parse_request(request)
        except soap.SoapError as exc:
            return soap.fault_response("Client", f"Server was unable to read request. {exc}")
        name = env.operation_name
        if env.action != f"{namespace}/{name}" or name not in known or env.namespace != namespace:
            return soap.fault_response(
                "Client",
                f"Server did not recognize the value of HTTP Header SOAPAction: {env.action}.",
                version=env.version,
            )
        state.record_call(f"{service}.{name}")
        auth = soap.header_block(env, "AuthHeaderWithDomain") or {}
        if not state.user_ok(auth.get("Username"), auth.get("Token"), auth.get("Domain")):
            return soap.fault_response("Client", BAD_CREDENTIALS, version=env.version)
        try:
            params = _params(env, known[name]["params"])
            result = HANDLERS[(service, name)](state, params)
        except Refused as exc:
            text = f"{exc.code} {exc.message}" if exc.code else exc.message
            return soap.fault_response("Client", text, version=env.version)
        payload = soap.operation_response(name, namespace, result, version=env.version)
        return soap.soap_response(payload, version=env.version)

    endpoint.__name__ = f"{service}_{version}".replace(".", "_")
    return endpoint


def _params(env: soap.Envelope, names: list[str]) -> dict[str, int]:
    """The operation's s:int parameters (all minOccurs=1 in the WSDL)."""
    given = soap.to_dict(env.operation)
    out = {}
    for name in names:
        raw = given.get(name)
        try:
            out[name] = int(str(raw).strip())
        except ValueError:
            raise Refused(
                "",
                "Server was unable to read request. ---> There is an error in XML document: "
                f"<{name}> is {'missing' if raw is None else repr(raw)}, an int is required.",
            ) from None
    return out


def _company(state: NmbrsState, company_id: int) -> Company:
    company = state.companies.get(company_id)
    if company is None or company.unauthorized:
        raise Refused("2004", f"UnauthorizedCompany: no access to company {company_id}.")
    return company


def _list_all(state: NmbrsState, _: Mapping[str, int]) -> Any:
    return {"Company": [c.info() for c in state.companies.values() if not c.unauthorized]}


def _by_debtor(state: NmbrsState, p: Mapping[str, int]) -> Any:
    if p["DebtorId"] not in state.debtors:
        raise Refused("2009", f"UnauthorizedDebtor: no access to debtor {p['DebtorId']}.")
    found = [c for c in state.companies.values() if c.debtor == p["DebtorId"]]
    return {"Company": [c.info() for c in found if not c.unauthorized]}


def _runs(state: NmbrsState, p: Mapping[str, int]) -> Any:
    company = _company(state, p["CompanyId"])
    runs = sorted((r for r in company.runs if r.year == p["Year"]), key=lambda r: r.number)
    return {"RunInfo": [r.info() for r in runs]}


def _journal(with_dimensions: bool, names: tuple[str, str, str]) -> Callable[..., Any]:
    company_key, run_key, year_key = names

    def handler(state: NmbrsState, p: Mapping[str, int]) -> Any:
        company = _company(state, p[company_key])
        run = company.run(p[run_key])
        if run is None or run.year != p[year_key]:
            raise Refused(
                "2006",
                f"InvalidPeriod: run {p[run_key]} is not a run of company {company.id} "
                f"in {p[year_key]}.",
            )
        return company.journal(run, with_dimensions)

    return handler


def _codes(kind: str) -> Callable[..., Any]:
    element = "CostCenter" if kind == "cost_centers" else "CostUnit"

    def handler(state: NmbrsState, p: Mapping[str, int]) -> Any:
        company = _company(state, p["CompanyId"])
        items = getattr(company, kind)
        fields = operations()["types"][element]
        return {
            element: [
                {f: (i + 1 if f in ("Id",) else item.get(f.lower(), "")) for f in fields}
                for i, item in enumerate(items)
            ]
        }

    return handler


def _debtors(state: NmbrsState, _: Mapping[str, int]) -> Any:
    return {"Debtor": [_debtor(d) for d in state.debtors.values()]}


def _debtor_get(state: NmbrsState, p: Mapping[str, int]) -> Any:
    found = state.debtors.get(p["DebtorId"])
    if found is None:
        raise Refused("2009", f"UnauthorizedDebtor: no access to debtor {p['DebtorId']}.")
    return _debtor(found)


def _debtor(d: Mapping[str, Any]) -> dict[str, Any]:
    return {"Id": d["id"], "Number": d.get("number", str(d["id"])), "Name": d.get("name", "")}


HANDLERS: dict[tuple[str, str], Callable[[NmbrsState, Mapping[str, int]], Any]] = {
    ("CompanyService", "List_GetAll"): _list_all,
    ("CompanyService", "List_GetByDebtor"): _by_debtor,
    ("CompanyService", "Run_GetList"): _runs,
    ("CompanyService", "Journals_GetByRunCompany_v2"): _journal(
        False, ("CompanyId", "RunId", "intYear")
    ),
    ("CompanyService", "Journals_GetByRunCostCenterCostUnitPerYear"): _journal(
        True, ("companyId", "runId", "year")
    ),
    ("CompanyService", "CostCenter_GetList"): _codes("cost_centers"),
    ("CompanyService", "CostUnit_GetList"): _codes("cost_units"),
    ("DebtorService", "List_GetAll"): _debtors,
    ("DebtorService", "Debtor_Get"): _debtor_get,
}
