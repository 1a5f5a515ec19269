"""CLI and config edge cases an operator hits: each once gave a traceback, a
wrong exit code, non-JSON under --json, or showed a secret."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from ledgerbridge import Connector, RunOption, hookimpl
from ledgerbridge.core.cli import make_cli
from ledgerbridge.core.plugins import get_registry
from ledgerbridge.core.secrets import SecretStore
from tests.core.conftest import write_json
from tests.core.memplugin import Scenario

SECRET = "topsecret-value"


def cli(ws: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(make_cli(), ["--workspace", str(ws), *args], input=input)


def tenant(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    cli(ws, "tenant", "add", "acme")
    cfg = write_json(tmp_path / "c.json", {"prefix": "AC", "apiKey": {"secret": "key"}})
    cli(ws, "enable", "acme", "mem", "--config", cfg)
    cli(ws, "secret", "set", "acme", "key", input=SECRET + "\n")
    return ws


class Broken:
    """A plugin whose connector's build_flows trips over the secret it holds."""

    @hookimpl
    def register_connectors(self, register: Any) -> None:
        def flows(ctx: Any) -> list[Any]:
            key = ctx.secrets.get("key")
            raise KeyError(f"no client for key {key}")

        register(Connector("broken", "Broken", {"type": "object"}, build_flows=flows))

    @hookimpl
    def register_commands(self, cli: Any) -> None:
        raise RuntimeError("broken command registration")


def test_a_plugin_bug_aborts_the_run_with_a_masked_message(mem: Scenario, tmp_path: Path) -> None:
    get_registry().add(Broken(), "broken")
    ws = tenant(tmp_path)
    cfg = write_json(tmp_path / "b.json", {})
    cli(ws, "enable", "acme", "broken", "--config", cfg)
    r = cli(ws, "run", "acme", "broken", "--json")
    assert r.exit_code == 3, r.output
    out = json.loads(r.output)["runs"][0]
    assert out["status"] == "aborted" and "KeyError" in out["message"]
    assert SECRET not in r.output and "••••" in out["message"]


def test_a_plugin_whose_commands_fail_does_not_break_the_cli(mem: Scenario, tmp_path: Path) -> None:
    get_registry().add(Broken(), "broken")
    assert cli(tmp_path, "--help").exit_code == 0
    r = cli(tmp_path, "plugins", "--json")
    problems = json.loads(r.output)["problems"]
    assert any("register_commands failed: RuntimeError" in p for p in problems)


def test_a_secret_beside_a_reference_is_refused_and_never_shown(
    mem: Scenario, tmp_path: Path
) -> None:
    ws = tenant(tmp_path)
    bad = write_json(
        tmp_path / "bad.json", {"prefix": "AC", "apiKey": {"secret": "key", "value": SECRET}}
    )
    r = cli(ws, "enable", "acme", "mem", "--config", bad)
    assert r.exit_code == 2 and "key 'apiKey'" in r.output and SECRET not in r.output
    assert SECRET not in (ws / "tenants" / "acme.json").read_text()


def test_missing_config_file_is_a_usage_error(mem: Scenario, tmp_path: Path) -> None:
    ws = tenant(tmp_path)
    r = cli(ws, "enable", "acme", "mem", "--config", str(tmp_path / "nope.json"))
    assert r.exit_code == 2 and "Cannot read the config file" in r.output


def test_json_stays_json_when_there_is_nothing_to_say(mem: Scenario, tmp_path: Path) -> None:
    ws = tenant(tmp_path)
    mem.put("k0", "n", "2026-01-01T00:00:00Z")
    run_id = json.loads(cli(ws, "run", "acme", "--json").output)["runs"][0]["run_id"]
    r = cli(ws, "replay", str(run_id), "--failed", "--json")
    assert r.exit_code == 0 and json.loads(r.output) == {"runs": []}
    r = cli(ws, "errors", "--json")
    assert r.exit_code == 0
    assert json.loads(r.output) == {"errors": [], "incomplete_runs": []}


def test_replaying_a_dry_run_stays_dry(mem: Scenario, tmp_path: Path) -> None:
    ws = tenant(tmp_path)
    mem.put("k0", "n", "2026-01-01T00:00:00Z")
    mem.reject.add("k0")
    run_id = json.loads(cli(ws, "run", "acme", "--dry-run", "--json").output)["runs"][0]["run_id"]
    mem.reject.clear()
    r = cli(ws, "replay", str(run_id), "--failed")
    assert "(dry run)" in r.output and mem.writes == []


def test_every_connector_misconfigured_is_exit_2(mem: Scenario, tmp_path: Path) -> None:
    ws = tenant(tmp_path)
    acme = json.loads((ws / "tenants" / "acme.json").read_text())
    acme["connectors"]["mem"]["config"]["prefix"] = "lower"
    (ws / "tenants" / "acme.json").write_text(json.dumps(acme))
    r = CliRunner().invoke(make_cli(), ["--workspace", str(ws), "run", "acme"])
    assert r.exit_code == 2


class Clash:
    @hookimpl
    def register_connectors(self, register: Any) -> None:
        register(
            Connector(
                "clash",
                "Clash",
                {"type": "object"},
                build_flows=lambda ctx: [],
                run_options=(RunOption("dry-run", "mine"),),
            )
        )


def test_a_run_option_named_like_a_built_in_is_ignored(mem: Scenario, tmp_path: Path) -> None:
    get_registry().add(Clash(), "clash")
    ws = tenant(tmp_path)
    mem.put("k0", "n", "2026-01-01T00:00:00Z")
    r = cli(ws, "run", "acme", "mem", "--dry-run")
    assert r.exit_code == 0 and "(dry run)" in r.output
    problems = json.loads(cli(ws, "plugins", "--json").output)["problems"]
    assert any("run option --dry-run is ignored" in p for p in problems)


def _rotate(path: str, name: str) -> None:
    store = SecretStore(Path(path))
    for i in range(25):
        store.set("acme", name, f"{name}-{i}")


def test_concurrent_secret_updates_are_not_lost(tmp_path: Path) -> None:
    path = str(tmp_path / "secrets.json")
    procs = [multiprocessing.Process(target=_rotate, args=(path, n)) for n in ("a", "b", "c")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert SecretStore(Path(path)).values("acme") == {"a": "a-24", "b": "b-24", "c": "c-24"}
