"""The sandbox by hand: `sandbox serve` prints every emulator's URLs and the
credentials it accepts, loads seed data per emulator from `--seed-file`
(refused with every problem named), and the journal's times are ISO 8601."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.sandbox import Sandbox, cli

from .conftest import NOTES, get_token, new_note

SEED = {
    "visma_net": {
        "clients": [{"client_id": "acme-app", "client_secret": "acme-s3cret", "tenants": ["acme"]}],
        "customers": [{"number": "ACME", "name": "Åkeri Öst AB"}],
    },
    "severa": {"clients": [{"client_id": "acme-pm", "client_secret": "pm-s3cret"}]},
}


def serve(
    monkeypatch: pytest.MonkeyPatch, args: list[str], during: Any = None
) -> tuple[Result, dict[str, Any]]:
    """Run `sandbox serve` with the installed emulators; `during(box, output)`
    runs while it serves, with what it printed so far."""
    seen: dict[str, Any] = {}

    class Spy(Sandbox):
        def serve(self, host: str = "127.0.0.1", port: int = 0) -> int:
            seen["box"] = self
            return super().serve(host, port)

    def wait() -> None:
        seen["url"] = seen["box"].url
        if during is not None:
            seen["during"] = during(seen["box"])

    monkeypatch.setattr(cli, "Sandbox", Spy)
    monkeypatch.setattr(cli, "wait_for_interrupt", wait)
    return CliRunner().invoke(cli.sandbox, ["serve", "--port", "0", *args]), seen


def block(output: str, emulator: str) -> dict[str, str]:
    """The config values printed under one emulator's line."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  {emulator} "))
    values: dict[str, str] = {}
    for line in lines[start + 1 :]:
        if not line.startswith("      ") or line.strip() == "--":
            break
        key, value = line.split(None, 1)
        values[key] = value.strip()
    return values


def test_serve_prints_each_emulators_urls_and_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    result, seen = serve(monkeypatch, [])
    assert result.exit_code == 0, result.output
    url = seen["url"]
    assert block(result.output, "visma_net") == {
        "apiBaseUrl": f"{url}/visma_net",
        "tokenUrl": f"{url}/visma_net/connect/token",
        "clientId": "ledgerbridge-demo",
        "clientSecret": "demo-secret",
        "tenantId": "demo-tenant-0001",
    }
    assert block(result.output, "eaccounting")["authorizeUrl"] == (
        f"{url}/eaccounting/connect/authorize"
    )
    assert block(result.output, "severa") == {
        "apiBaseUrl": f"{url}/severa/rest-api/",
        "clientId": "ledgerbridge-pm-demo",
        "clientSecret": "pm-demo-secret",
    }


def test_a_seed_file_gives_the_operators_own_clients_and_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seed_file = tmp_path / "rehearsal.json"
    seed_file.write_text(json.dumps(SEED), encoding="utf-8")

    def use_it(box: Sandbox) -> tuple[int, str]:
        with httpx.Client(base_url=box.base_url("visma_net"), timeout=5) as http:
            form = {
                "grant_type": "client_credentials",
                "client_id": "acme-app",
                "client_secret": "acme-s3cret",
                "scope": "vismanet_erp_service_api:read",
                "tenant_id": "acme",
            }
            token = http.post("/connect/token", data=form).json()["access_token"]
            got = http.get("/v1/customer/ACME", headers={"Authorization": f"Bearer {token}"})
            return got.status_code, got.json()["name"]

    result, seen = serve(monkeypatch, ["--seed-file", str(seed_file)], use_it)
    assert result.exit_code == 0, result.output
    assert seen["during"] == (200, "Åkeri Öst AB")
    assert f"seed data: {seed_file} (severa, visma_net)" in result.output
    assert block(result.output, "visma_net")["clientId"] == "acme-app"
    assert block(result.output, "visma_net")["tenantId"] == "acme"
    assert block(result.output, "severa")["clientId"] == "acme-pm"
    assert block(result.output, "eaccounting")["clientId"] == "ledgerbridge-demo"  # not seeded


def test_a_bad_seed_file_is_refused_with_every_problem(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seed_file = tmp_path / "bad.json"
    bad = {
        "visma_net": {"clients": [{"client_id": "x"}], "custmers": []},
        "sevra": {},
        "eaccounting": {"consent": "maybe"},
    }
    seed_file.write_text(json.dumps(bad), encoding="utf-8")
    result, seen = serve(monkeypatch, ["--seed-file", str(seed_file)])
    assert result.exit_code == 1
    assert "box" not in seen  # nothing was served
    for problem in (
        "visma_net: Additional properties are not allowed ('custmers' was unexpected)",
        "visma_net: clients[0]: 'client_secret' is a required property",
        "visma_net: clients[0]: 'tenants' is a required property",
        "sevra: no such emulator is installed (installed: duell, eaccounting, nmbrs, severa, "
        "visma_net)",
        "eaccounting: consent: 'maybe' is not one of ['allow', 'deny']",
    ):
        assert f"  - {problem}" in result.output, result.output


def test_seed_data_that_breaks_a_vendor_rule_names_the_emulator(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seed_file = tmp_path / "rule.json"
    seed_file.write_text(json.dumps({"eaccounting": {"customers": [{"Name": 5}]}}), "utf-8")
    result, _ = serve(monkeypatch, ["--seed-file", str(seed_file)])
    assert result.exit_code == 1
    assert f"the seed file {seed_file} cannot be used: eaccounting: " in result.output
    not_json = tmp_path / "x.json"
    not_json.write_text("{visma_net: ", "utf-8")
    result, _ = serve(monkeypatch, ["--seed-file", str(not_json)])
    assert (
        result.exit_code == 1 and f"{not_json} is not valid JSON: line 1 column 2" in result.output
    )


def test_journal_times_are_iso_8601(clock: FakeClock) -> None:
    clock.advance(0.25)
    box = Sandbox([NOTES], clock=clock)
    box.serve()
    try:
        with httpx.Client(base_url=box.base_url("notes"), timeout=5) as http:
            http.headers["Authorization"] = f"Bearer {get_token(http)}"
            http.post("/v1/notes", json=new_note())
        entries = httpx.get(f"{box.url}/_sandbox/journal").json()["entries"]
        runner = CliRunner()
        text = runner.invoke(cli.sandbox, ["journal", "--url", box.url]).output
    finally:
        box.stop()
    expected = box.journal.entries()[0].time
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", expected)
    assert expected.endswith(".250Z")
    assert entries[0]["time"] == expected
    assert entries[0]["timestamp"] == clock.now()
    assert f"     1 {expected} notes" in text
