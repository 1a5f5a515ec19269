"""Connections: configured once per tenant and system, validated, shown without
secrets, used by every connector of the tenant that talks to the system, with
one rate budget that holds across runs and connectors."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerbridge import Connector, Flow, Record, WriteResult, hookimpl
from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.connections import Connection
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http import ApiClient
from ledgerbridge.core.systems import RateLimit, System
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.testing import CliInvoker, ConnectorRunner, PluginRegistrar

API_KEY = "memo-key-7f3c9e2a-very-secret"
SECRET_REF = {"secret": "memo_key"}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["baseUrl", "apiKey"],
    "properties": {
        "baseUrl": {"type": "string", "pattern": "^https?://", "description": "The API's URL."},
        "apiKey": {
            "type": "object",
            "x-secret": True,
            "required": ["secret"],
            "additionalProperties": False,
            "properties": {"secret": {"type": "string"}},
        },
        "region": {"enum": ["eu", "us"]},
    },
}


class MemoApi:
    """The vendor: notes by key, the API key checked on every request."""

    def __init__(self) -> None:
        self.notes: dict[str, Any] = {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("X-Api-Key") != API_KEY:
            return httpx.Response(401, json={"message": "bad key"})
        if request.method == "GET":
            return httpx.Response(200, json={"account": "memo-demo", "key": API_KEY})
        body = json.loads(request.content)
        self.notes[body["ref"]] = body
        return httpx.Response(201, json={"id": body["ref"]})


def client(conn: Connection) -> ApiClient:
    return ApiClient(
        conn.get("baseUrl"),
        name="memo",
        clock=conn.clock,
        redactor=conn.redactor,
        transport=conn.transport,
        headers={"X-Api-Key": conn.secret("apiKey")},
        rate_budget=conn.rate_budget(),
    )


class Notes:
    def __init__(self, keys: list[str]) -> None:
        self.keys = keys

    def read(self, since: str | None) -> Iterator[Record]:
        for n, key in enumerate(self.keys, start=1):
            yield Record("note", key, {"text": f"note {key}"}, f"2026-01-01T00:00:0{n}Z")


class NoteMapper:
    def map(self, record: Record) -> dict[str, Any]:
        return {"ref": record.key, **record.data}


class NoteTarget:
    system = "memo"

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def write(self, payload: Any, record: Record, binding: Any) -> WriteResult:
        self.api.post_json("notes", payload)
        return WriteResult(record.key)

    def lookup(self, payload: Any, record: Record) -> WriteResult | None:
        return None


class MemoPlugin:
    """The system "memo" (3 requests in 10 minutes) and two connectors that talk to it."""

    def __init__(self) -> None:
        self.api = MemoApi()
        self.tested: list[Connection] = []
        self.seen: list[Connection] = []

    def check(self, conn: Connection) -> str:
        self.tested.append(conn)
        answer = client_with(conn, self.api).get_json("me")
        return f"signed in to {answer['account']} with {answer['key']}"  # a careless test

    def flows(self, keys: list[str]) -> Callable[[RunContext], list[Flow]]:
        def build(ctx: RunContext) -> list[Flow]:
            conn = ctx.connection("memo")
            self.seen.append(conn)
            return [Flow("notes", "note", Notes(keys), NoteMapper(), NoteTarget(client(conn)))]

        return build

    @hookimpl
    def register_systems(self, register: Callable[[System], None]) -> None:
        register(
            System(
                "memo",
                "Memo API",
                SCHEMA,
                test=self.check,
                rate_limit=RateLimit(
                    "3 requests in 10 minutes", kind="window", limit=3, window=600
                ),
            )
        )

    @hookimpl
    def register_connectors(self, register: Callable[[Connector], None]) -> None:
        schema = {
            "type": "object",
            "properties": {"connection": {"type": "string"}, **SCHEMA["properties"]},
            "additionalProperties": False,
        }
        for name, keys in (("memo_a", ["a1", "a2"]), ("memo_b", ["b1", "b2"])):
            register(Connector(name, name, schema, self.flows(keys), systems=("memo",)))


def client_with(conn: Connection, api: MemoApi) -> ApiClient:
    return ApiClient(
        conn.get("baseUrl"),
        name="memo",
        clock=conn.clock,
        redactor=conn.redactor,
        transport=httpx.MockTransport(api),
        headers={"X-Api-Key": conn.secret("apiKey")},
    )


@pytest.fixture
def memo(lb_plugin: PluginRegistrar, lb_workspace: Workspace) -> MemoPlugin:
    plugin = MemoPlugin()
    lb_plugin(plugin)
    lb_workspace.add_tenant("acme")
    lb_workspace.secrets.set("acme", "memo_key", API_KEY)
    return plugin


def write_json(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def add_memo(lb_cli: CliInvoker, tmp_path: Path, *extra: str, **settings: Any) -> Any:
    config = {"baseUrl": "https://memo.example", "apiKey": SECRET_REF, **settings}
    file = write_json(tmp_path, "memo.json", config)
    return lb_cli("connection", "add", "acme", "memo", "--system", "memo", "--config", file, *extra)


def enable(lb_cli: CliInvoker, tmp_path: Path, connector: str, config: dict[str, Any]) -> Any:
    return lb_cli(
        "enable", "acme", connector, "--config", write_json(tmp_path, f"{connector}.json", config)
    )


# -- add, list, show, remove ---------------------------------------------------------


def test_add_lists_every_problem_at_once_and_saves_nothing(
    memo: MemoPlugin, lb_cli: CliInvoker, lb_workspace: Workspace, tmp_path: Path
) -> None:
    bad = {"baseUrl": "memo.example", "apiKey": API_KEY, "region": "mars", "colour": "red"}
    file = write_json(tmp_path, "bad.json", bad)
    result = lb_cli("connection", "add", "acme", "memo", "--system", "memo", "--config", file)
    assert result.exit_code == 2
    out = result.output
    assert "key 'apiKey': value •••• is not allowed here" in out  # pasted secret: refused
    assert "key 'baseUrl': value 'memo.example' does not match" in out
    assert "key 'region': value 'mars' is not one of the allowed values" in out
    assert "colour" in out
    assert API_KEY not in out
    assert lb_workspace.tenant("acme").connections == {}


def test_add_refuses_an_unknown_system_and_a_bad_name(
    memo: MemoPlugin, lb_cli: CliInvoker, tmp_path: Path
) -> None:
    file = write_json(tmp_path, "c.json", {})
    unknown = lb_cli("connection", "add", "acme", "x", "--system", "nope", "--config", file)
    assert unknown.exit_code == 2 and "Unknown system 'nope' (systems: " in unknown.output
    assert "memo" in unknown.output.split("(systems: ")[1]
    bad_name = lb_cli("connection", "add", "acme", "Memo!", "--system", "memo", "--config", file)
    assert bad_name.exit_code == 2 and "is not allowed" in bad_name.output


def test_add_list_show_never_show_a_secret(
    memo: MemoPlugin, lb_cli: CliInvoker, lb_workspace: Workspace, tmp_path: Path
) -> None:
    added = add_memo(lb_cli, tmp_path, "--when-spent", "stop", "--description", "Memo prod")
    assert added.exit_code == 0, added.output
    assert "Added connection memo (Memo API) for acme." in added.output
    assert add_memo(lb_cli, tmp_path).exit_code == 2  # already there
    assert add_memo(lb_cli, tmp_path, "--replace", "--when-spent", "stop").exit_code == 0
    assert enable(lb_cli, tmp_path, "memo_a", {"connection": "memo"}).exit_code == 0

    listed = json.loads(lb_cli("connection", "list", "acme", "--json").output)
    assert listed == {
        "connections": [
            {
                "name": "memo",
                "system": "memo",
                "used_by": ["memo_a"],
                "when_spent": "stop",
                "description": "",
            }
        ]
    }
    assert "memo_a" in lb_cli("connection", "list", "acme").output
    shown = lb_cli("connection", "show", "acme", "memo", "--json").output
    assert json.loads(shown)["config"]["apiKey"] == "•••• (secret memo_key)"
    text = lb_cli("connection", "show", "acme", "memo").output
    assert "apiKey: •••• (secret memo_key)" in text and "rate limit: 3 requests in 10" in text
    tenant = lb_cli("tenant", "show", "acme", "--json").output
    assert json.loads(tenant)["connections"] == {"memo": "memo"}
    for out in (shown, text, tenant, (lb_workspace.tenants_dir / "acme.json").read_text()):
        assert API_KEY not in out


def test_remove_refuses_while_a_connector_uses_it(
    memo: MemoPlugin, lb_cli: CliInvoker, lb_workspace: Workspace, tmp_path: Path
) -> None:
    add_memo(lb_cli, tmp_path)
    enable(lb_cli, tmp_path, "memo_a", {"connection": "memo"})
    refused = lb_cli("connection", "remove", "acme", "memo")
    assert refused.exit_code == 2
    assert "used by memo_a of acme" in refused.output and "--force" in refused.output
    assert "memo" in lb_workspace.tenant("acme").connections
    forced = lb_cli("connection", "remove", "acme", "memo", "--force")
    assert forced.exit_code == 0 and "memo_a still name it" in forced.output
    assert lb_workspace.tenant("acme").connections == {}
    assert lb_cli("connection", "remove", "acme", "memo").exit_code == 2  # gone


def test_enable_checks_the_connection_a_config_names(
    memo: MemoPlugin, lb_cli: CliInvoker, tmp_path: Path
) -> None:
    missing = enable(lb_cli, tmp_path, "memo_a", {"connection": "memo"})
    assert missing.exit_code == 2
    assert "connection 'memo' does not exist for tenant acme" in missing.output
    assert "ledgerbridge connection add acme memo --system memo" in missing.output
    add_memo(lb_cli, tmp_path)
    assert enable(lb_cli, tmp_path, "memo_a", {"connection": "memo"}).exit_code == 0
    assert lb_cli("config", "validate", "acme", "memo_a").exit_code == 0


def test_systems_and_schema_commands(memo: MemoPlugin, lb_cli: CliInvoker) -> None:
    systems = json.loads(lb_cli("connection", "systems", "--json").output)["systems"]
    memo_system = next(s for s in systems if s["name"] == "memo")
    assert memo_system["secrets"] == ["apiKey"] and memo_system["test"] is True
    assert json.loads(lb_cli("connection", "schema", "memo").output) == SCHEMA


# -- test ---------------------------------------------------------------------------


def test_connection_test_runs_the_systems_check_and_masks_secrets(
    memo: MemoPlugin, lb_cli: CliInvoker, tmp_path: Path
) -> None:
    add_memo(lb_cli, tmp_path)
    ok = lb_cli("connection", "test", "acme", "memo")
    assert ok.exit_code == 0, ok.output
    assert "✔ acme/memo (Memo API): signed in to memo-demo with ••••" in ok.output
    assert API_KEY not in ok.output
    assert memo.tested[0].secret("apiKey") == API_KEY  # the check got the real value


def test_connection_test_reports_a_refusal_and_exits_3(
    memo: MemoPlugin, lb_cli: CliInvoker, lb_workspace: Workspace, tmp_path: Path
) -> None:
    add_memo(lb_cli, tmp_path)
    lb_workspace.secrets.set("acme", "memo_key", "a-wrong-key-0000")
    result = lb_cli("connection", "test", "acme", "memo", "--json")
    assert result.exit_code == 3
    answer = json.loads(result.output)
    assert answer["ok"] is False and "401" in answer["detail"]
    assert "a-wrong-key-0000" not in result.output


def test_connection_test_lists_invalid_settings(
    memo: MemoPlugin, lb_cli: CliInvoker, lb_workspace: Workspace, tmp_path: Path
) -> None:
    add_memo(lb_cli, tmp_path)
    lb_workspace.secrets.delete("acme")
    tenant = lb_workspace.tenant("acme")
    tenant.connections["memo"]["config"]["baseUrl"] = "ftp://x"  # edited by hand
    lb_workspace.save_tenant(tenant)
    result = lb_cli("connection", "test", "acme", "memo")
    assert result.exit_code == 2
    assert "secret 'memo_key' is not set" in result.output
    assert "key 'baseUrl'" in result.output
    assert memo.tested == []


# -- at run time -------------------------------------------------------------------------


def test_connectors_of_a_tenant_share_the_connection_and_its_budget(
    memo: MemoPlugin,
    lb_cli: CliInvoker,
    lb_run: ConnectorRunner,
    lb_clock: FakeClock,
    tmp_path: Path,
) -> None:
    add_memo(lb_cli, tmp_path)
    enable(lb_cli, tmp_path, "memo_a", {"connection": "memo"})
    enable(lb_cli, tmp_path, "memo_b", {"connection": "memo"})
    transport = httpx.MockTransport(memo.api)
    assert lb_run("acme", "memo_a", transport=transport).succeeded == 2
    assert lb_clock.sleeps == []
    assert lb_run("acme", "memo_b", transport=transport).succeeded == 2
    # 3 in 10 minutes: memo_a's 2 requests and memo_b's first fit; its second waits
    assert lb_clock.sleeps == [600.0]
    assert sorted(memo.api.notes) == ["a1", "a2", "b1", "b2"]
    assert [c.key for c in memo.seen] == ["acme/memo", "acme/memo"]
    shown = json.loads(lb_cli("connection", "show", "acme", "memo", "--json").output)
    assert shown["budget"][0]["key"] == "acme/memo" and shown["budget"][0]["limit"] == 3


def test_a_config_carrying_the_settings_itself_still_works(
    memo: MemoPlugin, lb_cli: CliInvoker, lb_run: ConnectorRunner, tmp_path: Path
) -> None:
    enable(lb_cli, tmp_path, "memo_a", {"baseUrl": "https://memo.example", "apiKey": SECRET_REF})
    summary = lb_run("acme", "memo_a", transport=httpx.MockTransport(memo.api))
    assert summary.succeeded == 2
    (conn,) = memo.seen
    assert (conn.name, conn.key) == (None, "acme/memo")


def test_a_connector_without_a_connection_stops_with_the_fix(
    memo: MemoPlugin, lb_cli: CliInvoker, lb_run: ConnectorRunner, tmp_path: Path
) -> None:
    enable(lb_cli, tmp_path, "memo_a", {})
    summary = lb_run("acme", "memo_a", transport=httpx.MockTransport(memo.api))
    assert summary.status == "aborted"
    assert "memo_a needs a connection to Memo API for tenant acme" in (summary.message or "")
    assert "ledgerbridge connection add acme NAME --system memo" in (summary.message or "")


def test_a_broken_connection_stops_the_run_with_every_problem(
    memo: MemoPlugin,
    lb_cli: CliInvoker,
    lb_run: ConnectorRunner,
    lb_workspace: Workspace,
    tmp_path: Path,
) -> None:
    add_memo(lb_cli, tmp_path)
    enable(lb_cli, tmp_path, "memo_a", {"connection": "memo"})
    lb_workspace.secrets.delete("acme")
    summary = lb_run("acme", "memo_a", transport=httpx.MockTransport(memo.api))
    assert summary.status == "aborted"
    assert "The connection memo of acme is not valid" in (summary.message or "")
    assert "secret 'memo_key' is not set" in (summary.message or "")
    assert memo.api.requests == []


def test_secrets_of_a_connection_are_masked_in_the_run(
    memo: MemoPlugin, lb_cli: CliInvoker, lb_run: ConnectorRunner, tmp_path: Path
) -> None:
    add_memo(lb_cli, tmp_path)
    enable(lb_cli, tmp_path, "memo_a", {"connection": "memo"})

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AuthError(f"the key {request.headers['X-Api-Key']} was refused")

    summary = lb_run("acme", "memo_a", transport=httpx.MockTransport(refuse))
    assert summary.status == "aborted"
    assert API_KEY not in (summary.message or "") and "••••" in (summary.message or "")


@pytest.mark.parametrize("where", ["connection", "run"])
def test_stop_instead_of_waiting_for_the_window(
    memo: MemoPlugin,
    lb_cli: CliInvoker,
    lb_workspace: Workspace,
    lb_clock: FakeClock,
    tmp_path: Path,
    where: str,
) -> None:
    from ledgerbridge.core.context import RunOptions
    from ledgerbridge.core.engine import RunRequest, run_connector

    add_memo(lb_cli, tmp_path, *(["--when-spent", "stop"] if where == "connection" else []))
    enable(lb_cli, tmp_path, "memo_a", {"connection": "memo"})
    enable(lb_cli, tmp_path, "memo_b", {"connection": "memo"})
    transport = httpx.MockTransport(memo.api)

    def run(connector: str, **options: Any) -> Any:
        request = RunRequest(
            lb_workspace, "acme", connector, RunOptions(**options), transport, lb_clock
        )
        return run_connector(request)

    run("memo_a")
    summary = run("memo_b", **({"when_budget_spent": "stop"} if where == "run" else {}))
    assert lb_clock.sleeps == []  # stopped instead of waiting 10 minutes
    assert sorted(memo.api.notes) == ["a1", "a2", "b1"]
    assert summary.succeeded == 1
    stopped = [e for e in summary.errors if "budget is spent until" in e["error"]]
    assert len(stopped) == summary.failed  # b2 (until the engine ends the run on it)
    lb_clock.advance(600)
    assert run("memo_b").succeeded == 1  # b2, ten minutes later
    assert sorted(memo.api.notes) == ["a1", "a2", "b1", "b2"]


def test_add_takes_settings_from_a_file_or_from_connectors_not_both(
    memo: MemoPlugin, lb_cli: CliInvoker, tmp_path: Path
) -> None:
    neither = lb_cli("connection", "add", "acme", "memo", "--system", "memo")
    assert neither.exit_code == 2 and "either --config FILE or --from-connector" in neither.output
    enable(lb_cli, tmp_path, "memo_a", {"baseUrl": "https://memo.example", "apiKey": SECRET_REF})
    file = write_json(tmp_path, "m.json", {"baseUrl": "https://memo.example", "apiKey": SECRET_REF})
    both = lb_cli(
        *("connection", "add", "acme", "memo", "--system", "memo", "--config", file),
        *("--from-connector", "memo_a"),
    )
    assert both.exit_code == 2
    nothing = lb_cli(
        "connection", "add", "acme", "m", "--system", "memo", "--from-connector", "memo_b"
    )
    assert nothing.exit_code == 2 and "'memo_b' is not enabled for tenant acme" in nothing.output
