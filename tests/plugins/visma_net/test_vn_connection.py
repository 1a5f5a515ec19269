"""visma_net on connections: a config naming the tenant's Visma.net connection,
a config as released (credentials inline) still working, one hourly budget
shared with the tenant's other Visma.net connectors, and a rate-limited export
over several full windows that uses each window to the last call without a
429 and never leaves an invoice without its PDF."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import CONNECTOR, TENANT, VismaEnv, new_env
from vn_builders import Customer, Invoice, make_pdf

from ledgerbridge import Connector, Flow, Record, WriteResult, hookimpl
from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.registry import collect
from ledgerbridge.core.state.db import StateDB
from ledgerbridge.plugins.visma_net.api import REJECTED
from ledgerbridge.plugins.visma_net.emulator.testing import connection
from ledgerbridge.plugins.visma_net.plugin import check_config
from ledgerbridge.testing import CliInvoker, PluginRegistrar

MakeEnv = Callable[..., VismaEnv]
HOUR = 3600


@pytest.fixture
def make_env(lb_workspace: Any, lb_tenant: Any, lb_run: Any, tmp_path: Path) -> Iterator[MakeEnv]:
    made: list[VismaEnv] = []

    def make(settings: dict[str, Any] | None = None, **config: Any) -> VismaEnv:
        env = new_env(
            lb_workspace, lb_tenant, lb_run, FakeClock(), tmp_path / "export", settings, **config
        )
        made.append(env)
        return env

    yield make
    for env in made:
        env.sandbox.stop()


def use_connection(env: VismaEnv, lb_cli: CliInvoker, tmp_path: Path, **extra: Any) -> None:
    """Move the tenant's Visma.net credentials into a connection named "visma"
    and point the visma_net config at it, as an operator would."""
    conn = connection(env.sandbox)
    settings = {
        "tenantId": {"secret": "visma_tenant_id"},
        "clientId": conn["clientId"],
        "clientSecret": {"secret": "visma_client_secret"},
        "apiBaseUrl": conn["apiBaseUrl"],
        "tokenUrl": conn["tokenUrl"],
    }
    file = tmp_path / "visma-connection.json"
    file.write_text(json.dumps(settings), encoding="utf-8")
    args = [f"--{k.replace('_', '-')}={v}" for k, v in extra.items()]
    added = lb_cli(
        "connection", "add", TENANT, "visma", "--system", "visma_net", "--config", str(file), *args
    )
    assert added.exit_code == 0, added.output
    config = {k: v for k, v in env.config.items() if k not in settings}
    env.tenant_factory(TENANT, connector=CONNECTOR, config={"connection": "visma", **config})


def invoices(count: int, start: int = 20000, pdf: bool = True) -> list[Invoice]:
    return [
        Invoice(str(start + n), pdf=make_pdf((f"Faktura {start + n}",)) if pdf else None)
        for n in range(count)
    ]


def api_calls(env: VismaEnv) -> list[Any]:
    return [e for e in env.sandbox.journal.entries() if e.path != "/connect/token"]


def per_window(env: VismaEnv) -> list[int]:
    """API calls Visma.net counted in each hour, in order (a 401 for an expired
    token is refused before the count, a 429 is not counted)."""
    counted = [e for e in api_calls(env) if e.status not in (401, 429)]
    served = Counter(int(e.timestamp // HOUR) for e in counted)
    return [served[w] for w in sorted(served)]


def attachments_by_invoice(env: VismaEnv) -> Counter[str]:
    """Attachments Visma.net accepted, by document number."""
    posted = [e for e in env.sandbox.journal.entries() if e.path.endswith("/attachment")]
    return Counter(e.path.split("/")[-2] for e in posted if e.status in (200, 201, 204))


def document_numbers(env: VismaEnv) -> set[str]:
    return {str(d["referenceNumber"]) for d in env.docs("invoices")}


# -- configs ---------------------------------------------------------------------------


def test_a_config_as_released_keeps_working(make_env: MakeEnv) -> None:
    env = make_env()
    released = {  # every key the released visma_net accepted for its credentials
        "tenantId": {"secret": "visma_tenant_id"},
        "clientId": env.config["clientId"],
        "clientSecret": {"secret": "visma_client_secret"},
        "officeCode": "12345",
        "exportFolder": str(env.folder),
        "vatCodes": {"25%": "01"},
        "apiBaseUrl": env.config["apiBaseUrl"],
        "tokenUrl": env.config["tokenUrl"],
    }
    assert check_config(released) == []
    env.tenant_factory(TENANT, connector=CONNECTOR, config=released)
    env.export([Invoice("10023")])
    summary = env.run()
    assert (summary.status, summary.succeeded) == ("succeeded", 2)
    assert len(env.docs("invoices", "10023")) == 1


def test_a_config_naming_a_connection(
    make_env: MakeEnv, lb_cli: CliInvoker, tmp_path: Path
) -> None:
    env = make_env(includePdfCopy=True)
    use_connection(env, lb_cli, tmp_path)
    env.export([Invoice("10023", pdf=make_pdf())])
    summary = env.run()
    assert (summary.status, summary.succeeded) == ("succeeded", 2), summary.errors
    (number,) = document_numbers(env)
    assert attachments_by_invoice(env) == Counter({number: 1})
    shown = lb_cli("connection", "show", TENANT, "visma", "--json").output
    assert json.loads(shown)["used_by"] == ["visma_net"]
    tenant_file = (env.workspace.tenants_dir / "acme.json").read_text(encoding="utf-8")
    for text in (shown, tenant_file, env.db_dump()):
        assert connection(env.sandbox)["tenantId"] not in text
        assert connection(env.sandbox)["clientSecret"] not in text


def test_a_released_config_moves_into_a_connection(
    make_env: MakeEnv, lb_cli: CliInvoker, lb_plugin: PluginRegistrar
) -> None:
    lb_plugin(Probe())
    env = make_env()
    inline = {k: env.config[k] for k in ("tenantId", "clientId", "clientSecret", "apiBaseUrl")}
    env.tenant_factory(TENANT, connector="vn_probe", config=dict(inline))
    moved = lb_cli(
        *("connection", "add", TENANT, "visma", "--system", "visma_net"),
        *("--from-connector", "visma_net", "--from-connector", "vn_probe"),
    )
    assert moved.exit_code == 2  # vn_probe has no tokenUrl: the two logins differ
    assert "settings of vn_probe differ from those of visma_net" in moved.output
    moved = lb_cli(
        "connection",
        "add",
        TENANT,
        "visma",
        "--system",
        "visma_net",
        "--from-connector",
        "visma_net",
    )
    assert moved.exit_code == 0, moved.output
    assert "visma_net of acme now names the connection visma." in moved.output
    config = env.workspace.tenant(TENANT).connector_config(CONNECTOR)
    assert config["connection"] == "visma" and "clientSecret" not in config
    stored = env.workspace.tenant(TENANT).connections["visma"]
    assert stored["config"]["clientSecret"] == {"secret": "visma_client_secret"}
    env.export([Invoice("10023")])
    assert env.run().status == "succeeded"


@pytest.mark.parametrize(
    ("config", "problems"),
    [
        (
            {"connection": "visma", "clientId": "x"},
            ["key 'clientId': not allowed with 'connection'"],
        ),
        ({}, ["key 'connection': missing; rule: the config names the tenant's Visma.net"]),
        (
            {"clientId": "x"},
            ["key 'tenantId': missing; rule: required when", "key 'clientSecret': missing"],
        ),
    ],
)
def test_a_config_names_a_connection_or_carries_the_credentials(
    config: dict[str, Any], problems: list[str]
) -> None:
    base = {"officeCode": "12345", "exportFolder": "x", "vatCodes": {"25%": "01"}}
    found = check_config({**base, **config})
    assert len(found) == len(problems), found
    for problem, text in zip(problems, found, strict=True):
        assert text.startswith(problem)
    if not config:
        assert "ledgerbridge connection add TENANT visma --system visma_net" in found[0]


# -- the connection test -----------------------------------------------------------------


def test_connection_test_gets_a_token_and_reads(
    make_env: MakeEnv, lb_cli: CliInvoker, tmp_path: Path
) -> None:
    env = make_env()
    env.sandbox.serve()  # on loopback: `connection test` uses the network
    use_connection(env, lb_cli, tmp_path)
    ok = lb_cli("connection", "test", TENANT, "visma")
    assert ok.exit_code == 0, ok.output
    assert "✔ acme/visma (Visma.net ERP): Visma Connect issued a token" in ok.output
    assert "GET v1/currency" in ok.output
    env.workspace.secrets.set(TENANT, "visma_tenant_id", "7f3c9e2a-not-our-company")
    refused = lb_cli("connection", "test", TENANT, "visma")
    assert refused.exit_code == 3
    assert REJECTED in refused.output and "7f3c9e2a-not-our-company" not in refused.output


# -- one budget for the tenant's Visma.net connectors ------------------------------------------


class Probe:
    """A second connector of the tenant talking to the same Visma.net company
    (as nmbrs_journals and pos_zreport will): it reads one customer per record,
    through the Visma.net API component visma_net registers."""

    class Reads:
        system = "visma_net"

        def __init__(self, api: Any) -> None:
            self.api = api

        def write(self, payload: Any, record: Record, binding: Any) -> WriteResult:
            self.api.get_customer(payload)
            return WriteResult(record.key, "unchanged")

        def lookup(self, payload: Any, record: Record) -> WriteResult | None:
            return None

    class Source:
        def read(self, since: str | None) -> Iterator[Record]:
            for n in range(10):
                yield Record("probe", f"p{n}", {"customer": "C1"}, f"2026-01-01T00:00:{n:02d}Z")

    class Mapper:
        def map(self, record: Record) -> Any:
            return record.data["customer"]

    def flows(self, ctx: RunContext) -> list[Flow]:
        api = collect().target("visma_net.api", ctx)
        return [Flow("probe", "probe", self.Source(), self.Mapper(), self.Reads(api))]

    @hookimpl
    def register_connectors(self, register: Callable[[Connector], None]) -> None:
        schema = {"type": "object", "properties": {"connection": {"type": "string"}}}
        register(Connector("vn_probe", "probe", schema, self.flows, systems=("visma_net",)))


def test_connectors_of_a_tenant_share_the_hourly_budget(
    make_env: MakeEnv, lb_cli: CliInvoker, lb_plugin: PluginRegistrar, tmp_path: Path
) -> None:
    lb_plugin(Probe())
    env = make_env(settings={"rate_limit": 20})
    use_connection(env, lb_cli, tmp_path)
    env.tenant_factory(TENANT, connector="vn_probe", config={"connection": "visma"})
    env.export(invoices(3, pdf=False))
    assert env.run().succeeded == 4  # 1 customer, 3 invoices
    (used,) = per_window(env)
    assert 10 < used < 20
    probe = env.runner(TENANT, "vn_probe", transport=env.sandbox.transport(), clock=env.clock)
    assert probe.succeeded == 10
    assert [e.status for e in api_calls(env)].count(429) == 0
    assert per_window(env) == [20, used - 10]  # the probe waited for the next hour
    assert env.clock.sleeps == [HOUR]


# -- a rate-limited export over several windows ---------------------------------------------


def test_rate_limited_export_uses_every_window_without_a_429(make_env: MakeEnv) -> None:
    env = make_env(settings={"rate_limit": 100}, includePdfCopy=True)
    env.export([*invoices(160, start=30000), Invoice("39999", customer=Customer(code="C2"))])
    summary = env.run()
    assert (summary.status, summary.failed) == ("succeeded", 0), summary.errors
    calls = api_calls(env)
    assert [e.status for e in calls].count(429) == 0
    windows = per_window(env)
    assert len(windows) >= 4, windows  # three full hours and the rest
    assert all(n >= 98 for n in windows[:-1]), windows
    assert len(env.docs("invoices")) == 161
    assert set(attachments_by_invoice(env).values()) == {1}
    assert len(attachments_by_invoice(env)) == 160


def test_a_spent_budget_set_to_stop_never_leaves_an_invoice_without_its_pdf(
    make_env: MakeEnv, lb_cli: CliInvoker, tmp_path: Path
) -> None:
    env = make_env(settings={"rate_limit": 40}, includePdfCopy=True)
    use_connection(env, lb_cli, tmp_path, when_spent="stop")
    env.export(invoices(40, start=40000))
    first = env.run()
    assert env.clock.sleeps == []  # it stopped instead of waiting an hour
    created = {d["received"]["externalReference"] for d in env.docs("invoices")}
    assert 10 < len(created) < 40
    assert set(attachments_by_invoice(env)) == document_numbers(env)  # each with its PDF
    assert [e.status for e in api_calls(env)].count(429) == 0
    assert first.failed == 0 or all(e["retryable"] for e in first.errors)
    while len(env.docs("invoices")) < 40:  # an hour later, the next runs go on
        env.clock.advance(HOUR)
        env.run()
    assert Counter(d["received"]["externalReference"] for d in env.docs("invoices")) == Counter(
        {str(40000 + n): 1 for n in range(40)}
    )
    assert set(attachments_by_invoice(env).values()) == {1}
    assert [e.status for e in api_calls(env)].count(429) == 0


def test_a_spent_budget_set_to_stop_ends_the_run_with_pending_records_untouched(
    make_env: MakeEnv, lb_cli: CliInvoker, tmp_path: Path
) -> None:
    env = make_env(settings={"rate_limit": 40}, includePdfCopy=True)
    use_connection(env, lb_cli, tmp_path, when_spent="stop")
    env.export(invoices(40, start=40000))
    summary = env.run()
    assert summary.failed == 0 and summary.status == "stopped"
    assert "budget is spent until" in (summary.message or "")
    from ledgerbridge.core.cli.runs import exit_code

    assert exit_code([summary], []) == 3  # the run could not complete: cron sees it
    state = StateDB(env.workspace.db_path)
    try:
        assert list(state.outcomes(summary.run_id, status="failed")) == []
    finally:
        state.close()
