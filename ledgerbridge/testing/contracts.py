"""Contract tests: the promises every source, mapper and target must keep.

Subclass one in your own tests and provide its fixtures; pytest collects the
inherited tests (name your class `Test...`)::

    class TestContactsSource(SourceContract):
        @pytest.fixture
        def source(self, tmp_path):
            path = tmp_path / "contacts.csv"
            path.write_text(SAMPLE)
            return ContactsSource(path)

The engine relies on each of these promises: a source that returns a list
holds the whole data set in memory, a hash that changes between reads sends
every document again, a mapper that is not deterministic makes unchanged
records look changed, and a target whose `lookup` cannot find what it wrote
writes a document twice after a crash.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from ledgerbridge.core.clock import utc_iso
from ledgerbridge.core.components import Mapper, Source, Target, WriteResult
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.records import Record, Rejected
from ledgerbridge.core.state.bindings import Binding

__all__ = ["MapperContract", "SourceContract", "TargetContract", "binding_for"]


def _records(items: Sequence[Record | Rejected]) -> list[Record]:
    return [i for i in items if isinstance(i, Record)]


def _read_all(source: Source, since: str | None = None) -> list[Record | Rejected]:
    return list(source.read(since))


class SourceContract:
    """Fixture to provide: `source`, a source with at least one record to read."""

    def test_read_yields_records_or_rejected(self, source: Source) -> None:
        items = _read_all(source)
        wrong = [type(i).__name__ for i in items if not isinstance(i, Record | Rejected)]
        assert not wrong, f"read() must yield only Record or Rejected, got {wrong}"
        assert _records(items), "the `source` fixture must yield at least one Record to check"

    def test_read_is_lazy(self, source: Source) -> None:
        result = source.read(None)
        assert isinstance(result, Iterator), (
            f"read() returned a {type(result).__name__}; yield records (a generator or pages) "
            "so the engine never holds the whole data set"
        )

    def test_keys_and_entities_are_non_empty_strings(self, source: Source) -> None:
        for item in _read_all(source):
            for slot in ("entity", "key"):
                value = getattr(item, slot)
                assert isinstance(value, str) and value.strip(), (
                    f"{type(item).__name__} {slot} must be a non-empty string, got {value!r}"
                )

    def test_keys_are_unique_per_entity(self, source: Source) -> None:
        seen: set[tuple[str, str]] = set()
        for record in _records(_read_all(source)):
            ident = (record.entity, record.key)
            assert ident not in seen, f"{record.label()} was yielded twice in one read"
            seen.add(ident)

    def test_data_is_json_serialisable(self, source: Source) -> None:
        for record in _records(_read_all(source)):
            try:
                json.dumps(record.data)
            except (TypeError, ValueError) as exc:
                raise AssertionError(f"{record.label()}: data is not JSON: {exc}") from None

    def test_rejected_carries_a_record_error(self, source: Source) -> None:
        for item in _read_all(source):
            if isinstance(item, Rejected):
                assert isinstance(item.error, RecordError) and item.error.message.strip(), (
                    f"Rejected {item.entity} {item.key} must carry a RecordError with a message"
                )

    def test_hashes_are_stable_across_reads(self, source: Source) -> None:
        first = {(r.entity, r.key): r.hash for r in _records(_read_all(source))}
        second = {(r.entity, r.key): r.hash for r in _records(_read_all(source))}
        assert first == second, "reading twice gave different records or hashes"

    def test_since_leaves_out_older_records(self, source: Source) -> None:
        stamps = [r.updated_at for r in _records(_read_all(source)) if r.updated_at is not None]
        if not stamps:
            return  # no updated_at: every run reads everything, which is allowed
        since = max(stamps)
        older = [
            f"{i.entity} {i.key} ({i.updated_at})"
            for i in _read_all(source, since)
            if i.updated_at is not None and i.updated_at < since
        ]
        assert not older, f"read(since={since!r}) yielded older items: {older}"


class MapperContract:
    """Fixtures to provide: `mapper`, and `records`, a list of records to map
    (include one that must fail, to check its error)."""

    def serialise(self, payload: Any) -> str:
        """How a payload is compared; override when yours is not JSON data."""
        return json.dumps(payload, sort_keys=True)

    def test_maps_to_json_or_raises_record_error(
        self, mapper: Mapper, records: list[Record]
    ) -> None:
        assert records, "the `records` fixture must hold at least one record"
        for record in records:
            try:
                payload = mapper.map(record)
            except RecordError as err:
                assert err.message.strip(), f"{record.label()}: RecordError without a message"
                continue
            try:
                self.serialise(payload)
            except (TypeError, ValueError) as exc:
                raise AssertionError(f"{record.label()}: payload is not JSON: {exc}") from None

    def test_mapping_is_deterministic(self, mapper: Mapper, records: list[Record]) -> None:
        for record in records:
            first, second = _try_map(mapper, record), _try_map(mapper, record)
            if isinstance(first, RecordError) or isinstance(second, RecordError):
                assert str(first) == str(second), f"{record.label()}: mapping is not deterministic"
                continue
            assert self.serialise(first) == self.serialise(second), (
                f"{record.label()}: mapping twice gave different payloads"
            )

    def test_mapping_leaves_the_record_alone(self, mapper: Mapper, records: list[Record]) -> None:
        for record in records:
            before = record.hash
            _try_map(mapper, record)
            assert record.hash == before, f"{record.label()}: map() changed the record's data"


def _try_map(mapper: Mapper, record: Record) -> Any:
    try:
        return mapper.map(record)
    except RecordError as err:
        return err


def binding_for(target: Target, record: Record, result: WriteResult) -> Binding:
    """The binding the engine keeps after `result`, to test updates with."""
    return Binding(
        system=target.system,
        entity=record.entity,
        local_key=record.key,
        remote_id=result.remote_id,
        hash=record.hash,
        remote_updated_at=result.remote_updated_at,
        updated_at=utc_iso(0),
    )


class TargetContract:
    """Fixtures to provide: `target` (fresh and empty for each test), and a
    `payload` with the `record` it was mapped from."""

    def test_has_a_system_name(self, target: Target) -> None:
        system = getattr(target, "system", None)
        assert isinstance(system, str) and system.strip(), "target.system must be a non-empty str"

    def test_lookup_before_write_finds_nothing(
        self, target: Target, payload: Any, record: Record
    ) -> None:
        assert target.lookup(payload, record) is None, (
            "lookup() found a document before anything was written; is the target fresh?"
        )

    def test_write_returns_a_remote_id(self, target: Target, payload: Any, record: Record) -> None:
        result = target.write(payload, record, None)
        assert isinstance(result, WriteResult), f"write() returned {type(result).__name__}"
        assert isinstance(result.remote_id, str) and result.remote_id, "remote_id must be set"

    def test_lookup_after_write_finds_the_same_document(
        self, target: Target, payload: Any, record: Record
    ) -> None:
        written = target.write(payload, record, None)
        found = target.lookup(payload, record)
        assert found is not None, "lookup() did not find what write() wrote: a crash duplicates"
        assert found.remote_id == written.remote_id, (
            f"lookup() found {found.remote_id!r}, write() wrote {written.remote_id!r}"
        )

    def test_write_with_a_binding_updates(
        self, target: Target, payload: Any, record: Record
    ) -> None:
        created = target.write(payload, record, None)
        updated = target.write(payload, record, binding_for(target, record, created))
        assert updated.remote_id == created.remote_id, "an update must keep the remote id"
        assert updated.action in ("updated", "unchanged"), (
            f"write() with a binding reported {updated.action!r}, not 'updated' or 'unchanged'"
        )
