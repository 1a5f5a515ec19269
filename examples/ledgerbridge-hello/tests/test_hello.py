"""The hello plugin end to end, with the fixtures ledgerbridge's test kit provides."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from ledgerbridge import Record, RecordError, Rejected
from ledgerbridge.core.config import validate_config
from ledgerbridge.testing import CliInvoker, ConnectorRunner, PluginRegistrar, TenantFactory

from ledgerbridge_hello import plugin
from ledgerbridge_hello.mapper import GreetingMapper
from ledgerbridge_hello.source import ContactsSource
from ledgerbridge_hello.target import OutboxTarget


@pytest.fixture
def hello(lb_plugin: PluginRegistrar, lb_tenant: TenantFactory, tmp_path: Path) -> Path:
    """Tenant acme with the hello connector on the sample contacts; returns the outbox."""
    lb_plugin(plugin)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(plugin.SAMPLE_CONTACTS, encoding="utf-8")
    outbox = tmp_path / "outbox"
    config = {"contactsFile": str(contacts), "outputFolder": str(outbox), "greeting": "Hej"}
    lb_tenant("acme", connector="hello", config=config)
    return outbox


def test_first_run_writes_a_file_per_contact_second_run_nothing(
    hello: Path, lb_run: ConnectorRunner
) -> None:
    first = lb_run("acme", "hello")
    assert (first.status, first.succeeded, first.failed) == ("succeeded", 3, 0)
    assert json.loads((hello / "contact-2.json").read_text()) == {
        "contact": "2",
        "to": "tove@example.fi",
        "text": "Hej, Tove Jansson!",
    }
    second = lb_run("acme", "hello")
    assert (second.status, second.succeeded, second.failed) == ("succeeded", 0, 0)


def test_a_changed_contact_updates_its_file(
    hello: Path, lb_run: ConnectorRunner, tmp_path: Path
) -> None:
    lb_run("acme", "hello")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        contacts.read_text() + "2,Tove Marika Jansson,tove@example.fi,2026-01-08T12:00:00Z\n"
    )
    summary = lb_run("acme", "hello")
    assert summary.flows[0].updated == 1
    assert "Tove Marika Jansson" in (hello / "contact-2.json").read_text()


def test_a_write_whose_answer_was_lost_is_found_not_repeated(
    hello: Path, lb_run: ConnectorRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[str] = []
    real_write = OutboxTarget.write

    def write_then_drop(self: OutboxTarget, payload: Any, record: Record, binding: Any) -> Any:
        writes.append(record.key)
        real_write(self, payload, record, binding)
        raise TimeoutError("the answer never came")

    monkeypatch.setattr(OutboxTarget, "write", write_then_drop)
    assert lb_run("acme", "hello").failed == 3
    monkeypatch.setattr(OutboxTarget, "write", real_write)
    again = lb_run("acme", "hello")
    assert (again.succeeded, again.failed, again.flows[0].created) == (3, 0, 0)
    assert writes == ["1", "2", "3"]


def test_a_bad_row_fails_alone_naming_line_field_rule_and_fix(
    hello: Path, lb_run: ConnectorRunner, tmp_path: Path
) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        contacts.read_text() + "4,Karen Blixen,,yesterday\n5,,x@example.dk,2026-01-09T00:00:00Z\n"
    )
    summary = lb_run("acme", "hello")
    assert (summary.succeeded, summary.failed) == (3, 2)
    by_record = {e["record"]: e for e in summary.errors}
    assert by_record["contact 4"]["field"] == "updated_at"
    assert "line 5 of contacts.csv" in by_record["contact 4"]["message"]
    assert by_record["contact 4"]["fix"] == "correct updated_at on line 5 of contacts.csv"
    assert by_record["contact 5"]["field"] == "name"


def test_source_reads_from_since_in_order(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "id,name,email,updated_at\nb,B,,2026-01-02\na,A,,2026-01-01T00:00:00+01:00\n"
        "c,C,no-at-sign,2026-01-03\n"
    )
    items = list(ContactsSource(path).read(None))
    assert [(i.key, i.updated_at) for i in items] == [
        ("a", "2025-12-31T23:00:00Z"),
        ("b", "2026-01-02T00:00:00Z"),
        ("c", "2026-01-03T00:00:00Z"),
    ]
    assert isinstance(items[2], Rejected) and items[2].error.field == "email"
    assert [i.key for i in ContactsSource(path).read("2026-01-02T00:00:00Z")] == ["b", "c"]


def test_a_missing_file_stops_the_run_with_a_fix(
    lb_plugin: PluginRegistrar, lb_tenant: TenantFactory, lb_run: ConnectorRunner, tmp_path: Path
) -> None:
    lb_plugin(plugin)
    config = {"contactsFile": str(tmp_path / "nope.csv"), "outputFolder": str(tmp_path)}
    lb_tenant("acme", connector="hello", config=config)
    summary = lb_run("acme", "hello")
    assert summary.status == "aborted"
    assert "nope.csv does not exist; fix: point contactsFile" in (summary.message or "")


def test_mapper_refuses_a_contact_without_a_name() -> None:
    with pytest.raises(RecordError) as caught:
        GreetingMapper("Hi").map(Record("contact", "7", {"name": " "}))
    assert (caught.value.field, caught.value.fix) == (
        "name",
        "fill in the name of contact 7 in the contacts file",
    )


def test_config_schema_refuses_unknown_keys_and_names_missing_ones() -> None:
    problems = validate_config(plugin.CONFIG_SCHEMA, {"contactsFile": "c.csv", "colour": "red"})
    assert any("outputFolder" in p and "missing" in p for p in problems)
    assert any("colour" in p for p in problems)


def test_demo_writes_sample_input_and_a_valid_config(tmp_path: Path) -> None:
    setup = plugin.demo(SimpleNamespace(folder=tmp_path / "demo"))
    assert validate_config(plugin.CONFIG_SCHEMA, dict(setup.config)) == []
    assert Path(setup.config["contactsFile"]).read_text() == plugin.SAMPLE_CONTACTS


def test_hello_command_previews_greetings(
    lb_plugin: PluginRegistrar, lb_cli: CliInvoker, tmp_path: Path
) -> None:
    lb_plugin(plugin)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(plugin.SAMPLE_CONTACTS + "4,,,2026-02-01\n", encoding="utf-8")
    result = lb_cli("hello", str(contacts), "--greeting", "Moi")
    assert result.exit_code == 0, result.output
    assert "2: Moi, Tove Jansson!" in result.output
    assert "4: error: contact 4 has no name; field name" in result.output
