"""The Nmbrs SOAP operations the connector calls, typed.

From CompanyService (WSDL v2.1, /work/shared/specs/nmbrs/
CompanyService-v2.1-2020.wsdl; names and parameter order in
data/nmbrs-operations.json):

    List_GetAll()                                   the companies (ArrayOfCompany)
    Run_GetList(CompanyId, Year)                    a year's payroll runs (ArrayOfRunInfo)
    Journals_GetByRunCompany_v2(CompanyId, RunId, intYear)      the journal XML
    Journals_GetByRunCostCenterCostUnitPerYear(companyId, runId, year)
                                                    the same with cost center/unit
    CostCenter_GetList(CompanyId), CostUnit_GetList(CompanyId)  their codes and names

The year is always passed: the variants without it take "the active year of
the company", which is wrong for a late run of last year after the year
roll-over.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledgerbridge.core.http import SoapClient, xs_boolean
from ledgerbridge.plugins.nmbrs_journals.nmbrs.system import (
    COMPANY_SERVICE,
    DEBTOR_SERVICE,
    namespace,
)

COMPANY_TYPES: dict[str, Callable[[str], Any]] = {"ID": int, "Number": int}
RUN_TYPES: dict[str, Callable[[str], Any]] = {
    "ID": int,
    "Number": int,
    "Year": int,
    "PeriodStart": int,
    "PeriodEnd": int,
    "IsLocked": xs_boolean,
}


class NmbrsApi:
    """Reads only: every call is idempotent, so faults of the service and
    dropped connections are retried."""

    def __init__(self, client: SoapClient, base: str) -> None:
        self.client = client
        self.company = client.service(COMPANY_SERVICE, namespace(base, "CompanyService"))
        self.debtor = client.service(DEBTOR_SERVICE, namespace(base, "DebtorService"))

    def companies(self) -> list[dict[str, Any]]:
        result = self.company.call("List_GetAll", {}, idempotent=True)
        return list(result.items("Company", types=COMPANY_TYPES))

    def runs(self, company_id: int, year: int) -> list[dict[str, Any]]:
        params = {"CompanyId": company_id, "Year": year}
        result = self.company.call("Run_GetList", params, idempotent=True)
        return list(result.items("RunInfo", types=RUN_TYPES))

    def journal(self, company_id: int, run_id: int, year: int, dimensions: bool) -> str:
        """The journal XML of a run; with cost center / cost unit when the
        administration books on them."""
        if dimensions:
            op = "Journals_GetByRunCostCenterCostUnitPerYear"
            params: dict[str, Any] = {"companyId": company_id, "runId": run_id, "year": year}
        else:
            op = "Journals_GetByRunCompany_v2"
            params = {"CompanyId": company_id, "RunId": run_id, "intYear": year}
        return self.company.call(op, params, idempotent=True).text or ""

    def cost_centers(self, company_id: int) -> dict[str, str]:
        """Code -> description of the company's cost centers (kostenplaatsen)."""
        result = self.company.call("CostCenter_GetList", {"CompanyId": company_id}, idempotent=True)
        return {
            str(c.get("Code")): str(c.get("Description") or "") for c in result.items("CostCenter")
        }

    def cost_units(self, company_id: int) -> dict[str, str]:
        """Code -> description of the company's cost units (kostensoorten)."""
        result = self.company.call("CostUnit_GetList", {"CompanyId": company_id}, idempotent=True)
        return {
            str(c.get("Code")): str(c.get("Description") or "") for c in result.items("CostUnit")
        }
