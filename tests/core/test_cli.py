"""The CLI as an operator uses it: tenants, config, secrets, run, status, errors, replay."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from click.testing import CliRunner, Result

from ledgerbridge.core.cli import make_cli
from tests.core.conftest import write_json
from tests.core.memplugin import Scenario


def cli(ws: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(make_cli(), ["--workspace", str(ws), *args], input=input)


def setup_tenant(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    assert cli(ws, "tenant", "add", "acme").exit_code == 0
    cfg = write_json(tmp_path / "c.json", {"prefix": "AC", "apiKey": {"secret": "key"}})
    r = cli(ws, "enable", "acme", "mem", "--config", cfg)
    assert r.exit_code == 0, r.output
    assert "Secret key is not set yet" in r.output
    r = cli(ws, "secret", "set", "acme", "key", input="topsecret-value\n")
    assert r.exit_code == 0 and "topsecret-value" not in r.output
    return ws


def test_tenant_lifecycle_and_secret_masking(mem: Scenario, tmp_path: Path) -> None:
    ws = setup_tenant(tmp_path)
    r = cli(ws, "tenant", "list", "--json")
    assert json.loads(r.output)["tenants"] == [
        {"name": "acme", "description": "", "connectors": ["mem"]}
    ]
    shown = cli(ws, "tenant", "show", "acme").output
    assert "topsecret-value" not in shown and "•••• (secret key)" in shown
    assert json.loads(cli(ws, "secret", "list", "acme", "--json").output) == {
        "secrets": {"key": "••••"}
    }
    mode = stat.S_IMODE(os.stat(ws / "secrets.json").st_mode)
    assert mode == 0o600
    assert cli(ws, "tenant", "remove", "acme", "--yes").exit_code == 0
    assert "topsecret-value" not in (ws / "secrets.json").read_text()


def test_invalid_config_lists_every_problem_and_is_not_saved(mem: Scenario, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    cli(ws, "tenant", "add", "acme")
    bad = write_json(
        tmp_path / "bad.json",
        {"prefix": "lower", "apiKey": "pasted-secret", "size": 0, "colour": "red"},
    )
    r = cli(ws, "enable", "acme", "mem", "--config", bad)
    assert r.exit_code == 2
    assert "key 'prefix': value 'lower' does not match" in r.output
    assert "Upper-case prefix." in r.output
    assert "key 'apiKey': value •••• is not allowed here" in r.output
    assert "key 'size'" in r.output and "colour" in r.output
    assert "pasted-secret" not in r.output
    assert "mem" not in json.loads((ws / "tenants" / "acme.json").read_text())["connectors"]


def test_config_validate_reports_missing_secret(mem: Scenario, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    cli(ws, "tenant", "add", "acme")
    cfg = write_json(tmp_path / "c.json", {"prefix": "AC", "apiKey": {"secret": "key"}})
    cli(ws, "enable", "acme", "mem", "--config", cfg)
    r = cli(ws, "config", "validate", "acme", "mem")
    assert r.exit_code == 2 and "secret 'key' is not set" in r.output
    cli(ws, "secret", "set", "acme", "key", input="v4lue-secret\n")
    assert cli(ws, "config", "validate", "acme", "mem").exit_code == 0


def test_run_json_exit_codes_errors_and_replay(mem: Scenario, tmp_path: Path) -> None:
    ws = setup_tenant(tmp_path)
    for i in range(3):
        mem.put(f"k{i}", f"n{i}", f"2026-01-0{i + 1}T00:00:00Z")
    mem.reject.add("k1")
    r = cli(ws, "run", "acme", "--json")
    assert r.exit_code == 1, r.output
    out = json.loads(r.output)["runs"][0]
    assert {
        k: out[k] for k in ("tenant", "connector", "status", "succeeded", "failed", "skipped")
    } == {
        "tenant": "acme",
        "connector": "mem",
        "status": "failed",
        "succeeded": 2,
        "failed": 1,
        "skipped": 0,
    }
    assert out["errors"][0]["record"] == "item k1" and out["errors"][0]["fix"] == "change the name"
    text = cli(ws, "errors").output
    assert "item k1 (items)" in text and "fix: change the name" in text
    mem.reject.clear()
    r = cli(ws, "replay", str(out["run_id"]), "--failed")
    assert r.exit_code == 0, r.output
    assert "✔ acme/mem" in r.output and "1 succeeded" in r.output
    assert mem.writes.count("k1") == 1
    status = json.loads(cli(ws, "status", "--json").output)["status"][0]
    assert status["links"] == 3 and status["pending_writes"] == 0


def test_run_summary_line_and_dry_run(mem: Scenario, tmp_path: Path) -> None:
    ws = setup_tenant(tmp_path)
    mem.put("a", "x", "2026-01-01T00:00:00Z")
    r = cli(ws, "run", "acme", "mem", "--dry-run")
    assert r.exit_code == 0 and "would create 1" in r.output and "(dry run)" in r.output
    assert mem.writes == []
    r = cli(ws, "run", "acme", "mem")
    assert "✔ acme/mem run 2: 1 succeeded, 0 failed, 0 skipped" in r.output


def test_remote_down_exits_3(mem: Scenario, tmp_path: Path) -> None:
    ws = setup_tenant(tmp_path)
    for i in range(8):
        mem.put(f"k{i}", "n", f"2026-01-01T00:00:0{i}Z")
    mem.down = True
    r = cli(ws, "run", "acme", "mem")
    assert r.exit_code == 3 and "seems unavailable" in r.output
    assert "topsecret-value" not in r.output


def test_unknown_tenant_and_connector_are_usage_errors(mem: Scenario, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    r = cli(ws, "run", "nobody")
    assert r.exit_code == 2 and "ledgerbridge tenant add nobody" in r.output
    cli(ws, "tenant", "add", "acme")
    r = cli(ws, "run", "acme", "nope")
    assert r.exit_code == 2 and "Unknown connector 'nope'" in r.output


def test_plugins_and_connectors_listing(mem: Scenario, tmp_path: Path) -> None:
    r = cli(tmp_path, "connectors", "--json")
    assert {
        "name": "mem",
        "title": "In-memory test connector",
        "plugin": "memtest",
        "description": "",
        "run_options": [],
    } in json.loads(r.output)["connectors"]
    r = cli(tmp_path, "schema", "mem")
    assert json.loads(r.output)["required"] == ["prefix"]


def test_dismissed_failure_stops_holding_the_cursor(mem: Scenario, tmp_path: Path) -> None:
    ws = setup_tenant(tmp_path)
    for i in range(4):
        mem.put(f"k{i}", f"n{i}", f"2026-01-0{i + 1}T00:00:00Z")
    mem.reject.add("k1")
    first = json.loads(cli(ws, "run", "acme", "--json").output)["runs"][0]
    r = cli(ws, "dismiss", str(first["run_id"]), "k1", "--reason", "test document")
    assert r.exit_code == 0 and "Dismissed items k1" in r.output
    mem.yielded.clear()
    second = json.loads(cli(ws, "run", "acme", "--json").output)["runs"][0]
    assert (second["failed"], second["skipped"]) == (0, 3)  # k1 dismissed, k2 and k3 unchanged
    mem.yielded.clear()
    third = json.loads(cli(ws, "run", "acme", "--json").output)["runs"][0]
    assert mem.yielded == [] and third["failed"] == 0  # the cursor moved past k1
    mem.reject.clear()
    mem.put("k1", "changed", "2026-01-09T00:00:00Z")  # a new version is tried again
    fourth = json.loads(cli(ws, "run", "acme", "--json").output)["runs"][0]
    assert fourth["succeeded"] == 1 and "k1" in mem.writes


def test_dismiss_refuses_records_that_did_not_fail(mem: Scenario, tmp_path: Path) -> None:
    ws = setup_tenant(tmp_path)
    mem.put("k0", "n", "2026-01-01T00:00:00Z")
    run_id = json.loads(cli(ws, "run", "acme", "--json").output)["runs"][0]["run_id"]
    r = cli(ws, "dismiss", str(run_id), "k0", "--reason", "x")
    assert r.exit_code == 2 and "did not fail in run" in r.output
