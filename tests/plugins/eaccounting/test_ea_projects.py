"""PM projects -> cost center items of the configured cost center, read from
what eAccounting received: all projects open and closed (active = open),
name = name, short name = project number (at most 9), paired by number +
name, and the seed's project errors failing alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from customer_harness import CustomerHarness, harness

from ledgerbridge.core.workspace import Workspace
from ledgerbridge.plugins.eaccounting.eaccounting.emulator import testing as ea
from ledgerbridge.testing.pytest_plugin import ConnectorRunner, SandboxFactory, TenantFactory

CUSTOMER = "11111111-1111-4111-8111-111111111111"
Make = Callable[..., CustomerHarness]


def project(number: int | None, name: str, closed: bool = False) -> dict[str, Any]:
    return {"name": name, "number": number, "isClosed": closed, "customer": {"guid": CUSTOMER}}


def pm_seed(*projects: dict[str, Any]) -> dict[str, Any]:
    customer = {"guid": CUSTOMER, "name": "Kund AB", "number": 1, "isActive": False}
    return {"customers": [customer], "projects": list(projects)}


@pytest.fixture
def make(
    lb_workspace: Workspace,
    lb_tenant: TenantFactory,
    lb_run: ConnectorRunner,
    lb_sandbox: SandboxFactory,
) -> Make:
    def build(
        *projects: dict[str, Any],
        items: list[dict[str, Any]] | None = None,
        config: dict[str, Any] | None = None,
    ) -> CustomerHarness:
        settings = {"severa": pm_seed(*projects), "eaccounting": {"cost_center_items": items or []}}
        sandbox = lb_sandbox("severa", "eaccounting", settings=settings)
        return harness(lb_workspace, lb_tenant, lb_run, sandbox, "pm", config=config)

    return build


def items_sent(h: CustomerHarness, method: str = "POST") -> list[Any]:
    return [
        e.body
        for e in h.sandbox.journal.entries()
        if e.method == method and "/v2/costcenteritems" in e.path and e.status and e.status < 300
    ]


def test_all_projects_open_and_closed_become_items_of_the_configured_cost_center(
    make: Make,
) -> None:
    h = make(project(1001, "Flytt Stockholm"), project(1002, "Flytt Göteborg", closed=True))
    summary = h.run()
    assert summary.failed == 0, summary.errors
    sent = sorted(items_sent(h), key=lambda b: b["ShortName"])
    projekt = ea.cost_center_id(2)  # "Projekt", the config's projectCostCenter
    assert sent == [
        {"CostCenterId": projekt, "Name": "Flytt Stockholm", "ShortName": "1001", "IsActive": True},
        {"CostCenterId": projekt, "Name": "Flytt Göteborg", "ShortName": "1002", "IsActive": False},
    ]
    before = len(items_sent(h)) + len(items_sent(h, "PUT"))
    assert h.run().failed == 0
    assert len(items_sent(h)) + len(items_sent(h, "PUT")) == before, "a re-run writes nothing"


def test_the_cost_center_can_be_named_by_its_number(make: Make) -> None:
    h = make(project(7, "Internt"), config={"projectCostCenter": 1})
    assert h.run().failed == 0
    (body,) = items_sent(h)
    assert body["CostCenterId"] == ea.cost_center_id(1)


def test_a_project_closed_in_pm_deactivates_its_item(make: Make) -> None:
    h = make(project(1001, "Flytt Stockholm"))
    assert h.run().failed == 0
    state = h.sandbox.apps["severa"].state  # type: ignore[attr-defined]
    (doc,) = state.projects.all()
    state.update("projects", doc["guid"], lambda old: {**old, "isClosed": True})
    assert h.run().failed == 0
    (put,) = items_sent(h, "PUT")
    assert put["IsActive"] is False and put["ShortName"] == "1001"


def test_a_project_number_over_9_characters_is_a_clear_error_and_the_rest_goes_on(
    make: Make,
) -> None:
    h = make(project(1234567890, "Långt nummer"), project(1003, "Kort nummer"))
    summary = h.run()
    (error,) = summary.errors
    assert error["field"] == "number" and error["value"] == "1234567890"
    assert "short name (Förkortning), which holds at most 9" in error["message"]
    assert "at most 9 digits" in error["fix"]
    assert [b["ShortName"] for b in items_sent(h)] == ["1003"]


def test_a_project_name_over_50_characters_is_the_seeds_error_checked_before_sending(
    make: Make,
) -> None:
    h = make(project(1004, "P" * 51), project(1005, "Kort"))
    (error,) = h.run().errors
    assert error["field"] == "name"
    assert error["message"].startswith("Could not add Case project 1004")
    assert "The field Name must be a string with a maximum length of 50" in error["message"]
    assert [b["ShortName"] for b in items_sent(h)] == ["1005"]


def test_an_item_with_the_same_number_and_name_is_linked_not_copied(make: Make) -> None:
    existing = {"CostCenterId": ea.cost_center_id(2), "Name": "flytt stockholm",
                "ShortName": "1001", "IsActive": True}  # fmt: skip
    h = make(project(1001, "Flytt Stockholm"), items=[existing])
    assert h.run().failed == 0
    assert items_sent(h) == []  # paired; the names differ only in case
    assert [b["Name"] for b in items_sent(h, "PUT")] == ["Flytt Stockholm"]


def test_an_item_with_the_same_name_but_another_number_is_the_seeds_error_4000(
    make: Make,
) -> None:
    existing = {"CostCenterId": ea.cost_center_id(2), "Name": "Flytt Stockholm",
                "ShortName": "999", "IsActive": True}  # fmt: skip
    h = make(project(1001, "Flytt Stockholm"), project(1002, "Annat"), items=[existing])
    (error,) = h.run().errors
    assert "ErrorCode: 4000" in error["message"]
    assert "CostCenterItemAlreadyExistsException" in error["message"]
    assert error["message"].startswith("Could not add Case project 1001 Flytt Stockholm")
    assert "must match the project completely" in error["fix"]
    assert [b["ShortName"] for b in items_sent(h)] == ["1002"]
