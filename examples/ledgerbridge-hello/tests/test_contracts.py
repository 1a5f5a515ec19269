"""The hello components against the contracts every source, mapper and target keeps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ledgerbridge import Record
from ledgerbridge.testing import MapperContract, SourceContract, TargetContract

from ledgerbridge_hello.mapper import GreetingMapper
from ledgerbridge_hello.plugin import SAMPLE_CONTACTS
from ledgerbridge_hello.source import ContactsSource
from ledgerbridge_hello.target import OutboxTarget

# One good row more than the sample, and one the source must reject.
CONTACTS = SAMPLE_CONTACTS + "4,Selma Lagerlöf,,2026-01-07T08:15:00Z\n5,Bad Date,,last week\n"


class TestContactsSource(SourceContract):
    @pytest.fixture
    def source(self, tmp_path: Path) -> ContactsSource:
        path = tmp_path / "contacts.csv"
        path.write_text(CONTACTS, encoding="utf-8")
        return ContactsSource(path)


class TestGreetingMapper(MapperContract):
    @pytest.fixture
    def mapper(self) -> GreetingMapper:
        return GreetingMapper("Hej")

    @pytest.fixture
    def records(self) -> list[Record]:
        return [
            Record("contact", "1", {"id": "1", "name": "Astrid", "email": "a@example.se"}),
            Record("contact", "2", {"id": "2", "name": "", "email": ""}),  # fails: no name
        ]


class TestOutboxTarget(TargetContract):
    @pytest.fixture
    def target(self, tmp_path: Path) -> OutboxTarget:
        return OutboxTarget(tmp_path / "outbox")

    @pytest.fixture
    def record(self) -> Record:
        return Record("contact", "1/a", {"id": "1/a", "name": "Astrid"}, "2026-01-05T09:00:00Z")

    @pytest.fixture
    def payload(self, record: Record) -> Any:
        return GreetingMapper("Hej").map(record)
