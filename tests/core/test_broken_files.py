"""Files an operator writes or edits: a config file not in UTF-8, with a
byte-order mark or not JSON, and a tenant file broken by hand. Each is a
config error (exit 2) naming the file and the fix; a broken tenant file
hides no other tenant."""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path

from click.testing import CliRunner, Result

from ledgerbridge.core.cli import make_cli
from ledgerbridge.testing import CliInvoker
from tests.core.memplugin import Scenario
from tests.core.test_connections import SECRET_REF, MemoPlugin, memo  # noqa: F401

CONFIG = {"prefix": "AC", "apiKey": {"secret": "key"}}
FIX = "save it as UTF-8 (a UTF-8 byte-order mark is accepted and ignored)"


def cli(ws: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(make_cli(), ["--workspace", str(ws), *args], input=input)


def workspace(tmp_path: Path, *tenants: str) -> Path:
    ws = tmp_path / "ws"
    for name in tenants:
        assert cli(ws, "tenant", "add", name).exit_code == 0
    return ws


def config_file(tmp_path: Path, raw: bytes) -> str:
    path = tmp_path / "config.json"
    path.write_bytes(raw)
    return str(path)


def saved_config(ws: Path, tenant: str) -> dict[str, object]:
    data = json.loads((ws / "tenants" / f"{tenant}.json").read_text("utf-8"))
    return dict(data["connectors"]["mem"]["config"])


def test_a_latin1_config_is_refused_naming_file_place_and_fix(
    mem: Scenario, tmp_path: Path
) -> None:
    ws = workspace(tmp_path, "acme")
    text = '{\n  "prefix": "Å",\n  "apiKey": {"secret": "key"}\n}\n'
    path = config_file(tmp_path, text.encode("latin-1"))
    r = cli(ws, "enable", "acme", "mem", "--config", path)
    assert r.exit_code == 2, r.output
    assert f"The config file {path} is not UTF-8: byte 0xC5 at line 2 column 14" in r.output
    assert FIX in r.output and "Traceback" not in r.output
    assert "mem" not in json.loads((ws / "tenants" / "acme.json").read_text("utf-8"))["connectors"]


def test_a_utf16_config_is_refused_with_or_without_its_mark(mem: Scenario, tmp_path: Path) -> None:
    ws = workspace(tmp_path, "acme")
    for raw, why in (
        (json.dumps(CONFIG).encode("utf-16"), "it starts with a UTF-16 byte-order mark"),
        (json.dumps(CONFIG).encode("utf-16-le"), "it holds NUL bytes"),
        (
            codecs.BOM_UTF32_LE + json.dumps(CONFIG).encode("utf-32-le"),
            "it starts with a UTF-32 byte-order",
        ),
    ):
        path = config_file(tmp_path, raw)
        r = cli(ws, "config", "validate", "acme", "mem", "--config", path)
        assert r.exit_code == 2, r.output
        assert f"The config file {path} is not UTF-8: {why}" in r.output
        assert FIX in r.output


def test_a_utf8_byte_order_mark_is_read_and_ignored(mem: Scenario, tmp_path: Path) -> None:
    ws = workspace(tmp_path, "acme")
    path = config_file(tmp_path, codecs.BOM_UTF8 + json.dumps(CONFIG).encode("utf-8"))
    r = cli(ws, "enable", "acme", "mem", "--config", path)
    assert r.exit_code == 0, r.output
    assert saved_config(ws, "acme") == CONFIG
    assert (ws / "tenants" / "acme.json").read_bytes()[:1] == b"{"  # saved without the mark


def test_invalid_json_names_the_file_line_and_column(mem: Scenario, tmp_path: Path) -> None:
    ws = workspace(tmp_path, "acme")
    path = config_file(tmp_path, b'{\n  "prefix": "AC",\n  "apiKey": {"secret": "key"},\n}\n')
    r = cli(ws, "enable", "acme", "mem", "--config", path)
    assert r.exit_code == 2
    assert f"The config file {path} is not valid JSON: line 4 column 1" in r.output
    r = cli(ws, "enable", "acme", "mem", "--config", config_file(tmp_path, b"[1, 2]"))
    assert r.exit_code == 2 and "holds a JSON array" in r.output


def test_a_config_on_standard_input_is_checked_the_same_way(mem: Scenario, tmp_path: Path) -> None:
    ws = workspace(tmp_path, "acme")
    r = CliRunner().invoke(
        make_cli(),
        ["--workspace", str(ws), "enable", "acme", "mem", "--config", "-"],
        input=json.dumps(CONFIG).encode("utf-16"),
    )
    assert r.exit_code == 2
    assert "The config file standard input is not UTF-8: it starts with a UTF-16" in r.output


def test_connection_add_refuses_a_latin1_settings_file(
    memo: MemoPlugin,  # noqa: F811
    lb_cli: CliInvoker,
    tmp_path: Path,
) -> None:
    settings = {"baseUrl": "https://memo.example", "apiKey": SECRET_REF, "region": "Göteborg"}
    path = config_file(tmp_path, json.dumps(settings, ensure_ascii=False).encode("latin-1"))
    result = lb_cli("connection", "add", "acme", "memo", "--system", "memo", "--config", path)
    assert result.exit_code == 2
    assert f"The config file {path} is not UTF-8: byte 0xF6" in result.output
    assert FIX in result.output


def break_tenant(ws: Path, name: str, raw: bytes) -> Path:
    path = ws / "tenants" / f"{name}.json"
    path.write_bytes(raw)
    return path


BROKEN = (
    (b'{"name": "beta", "connectors": {', "is not valid JSON: line 1 column 33"),
    ('{"name": "beta", "description": "Bjørn"}'.encode("latin-1"), "is not UTF-8: byte 0xF8"),
    (b'{"name": "beta", "connectors": ["mem"]}', "key 'connectors': has the wrong type"),
    (b'{"name": "acme", "connectors": {}}', "key 'name': value 'acme' is not the file's name"),
    (b'{"name": "beta", "connectors": {"mem": {"config": 5}}}', "'connectors.mem.config'"),
)


def test_a_broken_tenant_file_is_a_config_error_for_that_tenant(
    mem: Scenario, tmp_path: Path
) -> None:
    ws = workspace(tmp_path, "acme", "beta")
    for raw, problem in BROKEN:
        path = break_tenant(ws, "beta", raw)
        for args in (("tenant", "show", "beta"), ("run", "beta"), ("status", "beta")):
            r = cli(ws, *args)
            assert r.exit_code == 2, (args, r.output)
            assert f"The tenant file {path}" in r.output and problem in r.output, r.output
            assert "Traceback" not in r.output and "unexpected" not in r.output


def test_a_broken_tenant_file_hides_no_other_tenant(mem: Scenario, tmp_path: Path) -> None:
    ws = workspace(tmp_path, "acme", "beta")
    cfg = config_file(tmp_path, json.dumps(CONFIG).encode("utf-8"))
    assert cli(ws, "enable", "acme", "mem", "--config", cfg).exit_code == 0
    assert cli(ws, "secret", "set", "acme", "key", input="k3y-value\n").exit_code == 0
    path = break_tenant(ws, "beta", b'{"name": "beta", "connectors": {')

    status = cli(ws, "status")
    assert status.exit_code == 2
    assert re.search(r"^acme +mem ", status.output, re.M) and "never run" in status.output
    assert f"✘ tenant beta: The tenant file {path} is not valid JSON" in status.output

    data = json.loads(cli(ws, "status", "--json").stdout)
    assert [(i["tenant"], i["connector"]) for i in data["status"]] == [("acme", "mem")]
    assert data["tenant_errors"][0]["tenant"] == "beta"
    assert "line 1 column 33" in data["tenant_errors"][0]["problem"]

    listing = cli(ws, "tenant", "list")
    assert listing.exit_code == 2
    assert (
        re.search(r"^acme +mem", listing.output, re.M)
        and "✘ tenant beta: The tenant file" in listing.output
    )
    as_json = json.loads(cli(ws, "tenant", "list", "--json").stdout)
    assert [t["name"] for t in as_json["tenants"]] == ["acme"]
    assert [e["tenant"] for e in as_json["tenant_errors"]] == ["beta"]

    ran = cli(ws, "run", "acme")  # the good tenant still runs
    assert ran.exit_code == 0, ran.output
