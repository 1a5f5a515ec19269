"""Visma PM projects -> cost center items in eAccounting (one way, the seed).

All projects go, open and closed ("Alla projekt förs över, både öppna och
stängda"), into the cost center the config names (`projectCostCenter`):

    eAccounting CostCenterItemApi    Visma PM project
    Name (at most 50)                name
    ShortName (at most 9)            number ("Förkortning" = Projektnummer)
    IsActive                         open (not isClosed)

They are paired at first sync by number + name, as the seed links them, so
an item a user already made is linked, not copied. An item with the same
name *or* the same number but not both is the seed's ErrorCode 4000
(CostCenterItemAlreadyExistsException): the project fails with the seed's
explanation. Items have no change stamp [S26], so changes are found by the
content hash of what was last written.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ledgerbridge.core.components import Candidate, Flow, WriteResult
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.http import ApiError
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.plugins.eaccounting.company import CostCenter
from ledgerbridge.plugins.eaccounting.eaccounting.api import EAccountingApi, describe_error
from ledgerbridge.plugins.eaccounting.pm.api import SeveraApi

ENTITY = "project"
MATCH = ("number", "name")
MAX_NAME, MAX_SHORT_NAME = 50, 9
ALREADY_EXISTS = "4000"


def canonical(number: Any, name: Any, active: Any) -> dict[str, Any]:
    text = None if name is None else str(name).strip() or None
    return {
        "number": None if number in (None, "") else str(number).strip(),
        "name": text,
        "active": bool(active),
    }


def label(data: Mapping[str, Any]) -> str:
    return f"project {data.get('number') or '(no number)'} {data.get('name') or ''}".strip()


class PmProjectSource:
    """Every PM project, open or closed, changed since the cursor."""

    system = "pm"
    title = "Visma PM"

    def __init__(self, api: SeveraApi) -> None:
        self.api = api

    def read(self, since: str | None) -> Iterator[Record]:
        docs = sorted(self.api.projects(since), key=lambda d: str(d.get("lastUpdatedDateTime")))
        for doc in docs:
            stamp = str(doc.get("lastUpdatedDateTime") or "")
            yield Record(
                ENTITY,
                str(doc["guid"]),
                canonical(doc.get("number"), doc.get("name"), not doc.get("isClosed")),
                updated_at=stamp,
                version=stamp,
                cursor=stamp,
            )


class CostCenterItemMapper:
    """A project -> a `CostCenterItemApi` body, its lengths checked before sending."""

    def __init__(self, center: CostCenter) -> None:
        self.center = center

    def map(self, record: Record) -> dict[str, Any]:
        data = record.data
        who = label(data)
        number, name = data.get("number"), str(data.get("name") or "")
        if not number:
            raise RecordError(
                f"Could not add Case {who} to Visma eAccounting: the project has no "
                "project number, which becomes the cost center item's short name",
                field="number",
                rule="a project has a project number",
                fix="give the project a number in Visma PM and run again",
            )
        if len(str(number)) > MAX_SHORT_NAME:
            raise RecordError(
                f"Could not add Case {who} to Visma eAccounting: the project number "
                f"{number} is {len(str(number))} characters, and it becomes the cost center "
                f"item's short name (Förkortning), which holds at most {MAX_SHORT_NAME}",
                field="number",
                value=number,
                rule=f"a project number has at most {MAX_SHORT_NAME} characters",
                fix=f"give the project a number of at most {MAX_SHORT_NAME} digits in Visma PM "
                "and run again",
            )
        if len(name) > MAX_NAME:
            raise RecordError(
                f"Could not add Case {who} to Visma eAccounting. ErrorCode: 2000, "
                "DeveloperErrorMessage: ValidateModelAttributeException - The field Name must "
                f"be a string with a maximum length of {MAX_NAME}. (the name is {len(name)} "
                "characters)",
                field="name",
                value=name,
                rule=f"a project name has at most {MAX_NAME} characters",
                fix="shorten the project name in Visma PM (Projects > the project > its name) "
                f"to {MAX_NAME} characters and run again",
            )
        return {
            "CostCenterId": self.center.id,
            "Name": name,
            "ShortName": str(number),
            "IsActive": bool(data["active"]),
        }


class CostCenterItemTarget:
    """Creates (POST) or replaces (PUT) an item of the configured cost center."""

    system = "eaccounting"
    title = "Visma eAccounting"

    def __init__(self, api: EAccountingApi, center: CostCenter) -> None:
        self.api, self.center = api, center

    def label(self, payload: Mapping[str, Any]) -> str:
        return f"project {payload.get('ShortName')} {payload.get('Name')}"

    def write(
        self, payload: dict[str, Any], record: Record, binding: Binding | None
    ) -> WriteResult:
        try:
            if binding is None:
                doc = self.api.create_cost_center_item(payload)
                return WriteResult(str(doc["Id"]), "created")
            self.api.replace_cost_center_item(binding.remote_id, payload)
            return WriteResult(binding.remote_id, "updated")
        except ApiError as exc:
            if exc.vendor_code != ALREADY_EXISTS:
                raise
            raise self._exists(exc, record) from None

    def _exists(self, exc: ApiError, record: Record) -> RecordError:
        data = record.data
        return RecordError(
            f"Could not add Case {label(data)} to Visma eAccounting. {describe_error(exc)}",
            field=exc.field_errors[0].field if exc.field_errors else "name",
            value=data.get("name"),
            rule="a cost center item's name and short name are unique, and a project is "
            "linked to the item with both its name and its number "
            "(PM project name = Namn, PM project number = Förkortning)",
            fix=f"check whether cost center {self.center.name} in eAccounting already has an "
            "item with this name and/or number: they must match the project completely "
            "(both, or neither), and no two items may share a name or number",
        )

    def _items(self) -> list[dict[str, Any]]:
        for center in self.api.cost_centers():
            if str(center.get("Id")) == self.center.id:
                return list(center.get("Items") or [])
        return []

    def lookup(self, payload: dict[str, Any], record: Record) -> WriteResult | None:
        for item in self._items():
            if str(item.get("ShortName")) == payload["ShortName"]:
                return WriteResult(str(item["Id"]), "unchanged")
        return None

    def candidates(self) -> Iterator[Candidate]:
        for item in self._items():
            data = canonical(item.get("ShortName"), item.get("Name"), item.get("IsActive"))
            yield Candidate(str(item["Id"]), data)


def project_flows(ea: EAccountingApi, pm: SeveraApi, center: CostCenter) -> list[Flow]:
    """The one project flow: PM projects into the configured cost center,
    paired at first sync by number + name."""
    return [
        Flow(
            "pm_projects",
            ENTITY,
            PmProjectSource(pm),
            CostCenterItemMapper(center),
            CostCenterItemTarget(ea, center),
            description=f"Visma PM projects -> items of eAccounting cost center {center.name}",
            match=MATCH,
        )
    ]
