"""What the connector checks in eAccounting before a run moves anything.

JSON Schema checks the config's shape; these need the company itself, so the
run checks them first (`build_flows`) and refuses to start with a
`ConfigError` naming the setting and the fix, before anything is read or
written:

- the company is not Norwegian: the seed says the integration is not
  supported in Norway's eAccounting ("Integrationen stöds inte i Norges
  motsvarighet till eEkonomi"). `CompanySettingsApi.CountryCode` says
  where the company is.
- the cost center of `projectCostCenter` exists, is active, and the company
  uses cost centers (`UsesCostCenter`), so PM projects have somewhere to go.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledgerbridge.core.errors import ConfigError
from ledgerbridge.plugins.eaccounting.eaccounting.api import EAccountingApi

NOT_SUPPORTED = ("NO",)  # the seed: not supported in Norway


@dataclass(frozen=True)
class CostCenter:
    """The cost center PM projects go into."""

    id: str
    number: int
    name: str


def check_company(api: EAccountingApi) -> Mapping[str, Any]:
    """The company settings, refusing a company the integration does not support."""
    company = api.company_settings()
    country = str(company.get("CountryCode") or "").upper()
    if country in NOT_SUPPORTED:
        raise ConfigError(
            f"The eAccounting company {company.get('Name') or ''} is a Norwegian company "
            f"(CountryCode {country}): the Visma PM integration is not supported in Norway's "
            "Visma eAccounting, only in Sweden's (eEkonomi).",
            [
                "connections.eaccounting: the connection signs in to a Norwegian company; "
                "fix: sign in to the Swedish eAccounting company instead "
                "(ledgerbridge auth TENANT eaccounting)"
            ],
        )
    return company


def project_cost_center(
    api: EAccountingApi, wanted: int | str, company: Mapping[str, Any]
) -> CostCenter:
    """The configured cost center, by number or name (case-insensitive)."""
    if company.get("UsesCostCenter") is False:
        raise ConfigError(
            "The eAccounting company does not use cost centers, so Visma PM projects "
            "cannot become cost center items.",
            [
                "projectCostCenter: fix: turn on cost centers (Resultatenheter) in "
                "eAccounting's settings, then run again"
            ],
        )
    centers = api.cost_centers()
    for center in centers:
        same = (
            center.get("Number") == wanted
            if isinstance(wanted, int)
            else str(center.get("Name") or "").strip().casefold() == wanted.strip().casefold()
        )
        if not same:
            continue
        if not center.get("IsActive", True):
            raise ConfigError(
                f"The eAccounting cost center {center.get('Name')} (number "
                f"{center.get('Number')}) that projects go into is inactive.",
                [
                    f"projectCostCenter: {wanted!r}: fix: activate the cost center in "
                    "eAccounting (Bokföring > Resultatenheter), or name an active one"
                ],
            )
        return CostCenter(str(center["Id"]), int(center.get("Number") or 0), str(center["Name"]))
    known = ", ".join(f"{c.get('Number')} {c.get('Name')}" for c in centers) or "none"
    raise ConfigError(
        f"The eAccounting company has no cost center {wanted!r} for Visma PM projects "
        f"(its cost centers: {known}).",
        [
            f"projectCostCenter: {wanted!r}: fix: add the cost center in eAccounting "
            "(Bokföring > Resultatenheter), or set projectCostCenter to the number or name "
            "of one it has"
        ],
    )
