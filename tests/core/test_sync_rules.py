"""The engine's rules around links, one at a time: replaces, partitioned
cursors, refusals, the idempotency key, update if newer, flow declarations."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ledgerbridge import Connector, Flow, Record, WriteResult, hookimpl
from ledgerbridge.core.context import RunContext
from ledgerbridge.core.engine import RunSummary
from ledgerbridge.core.http import ApiError
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.core.state.db import open_state
from ledgerbridge.core.workspace import Workspace
from ledgerbridge.testing.memory import CopyMapper, MemorySystem, MemoryTarget
from tests.core.cli_support import on_both_databases


@dataclass
class Scene:
    records: list[Record] = field(default_factory=list)
    since: list[Any] = field(default_factory=list)
    partitioned: bool = False
    flow: dict[str, Any] = field(default_factory=dict)
    target: Any = None
    source: Any = None


SCENE = Scene()


class ListSource:
    system = "shop"
    title = "The shop"

    @property
    def partitioned(self) -> bool:
        return SCENE.partitioned

    def read(self, since: Any) -> Iterator[Record]:
        SCENE.since.append(since)
        for r in SCENE.records:
            if SCENE.partitioned:
                cursor = since.get(r.partition or "")
                if cursor is not None and (r.cursor or "") <= cursor:
                    continue
            elif since is not None and (r.cursor or "") <= since:
                continue
            yield r


@pytest.fixture
def lb_workspace(
    tmp_path: Path, state_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    """The test kit's workspace with its state on SQLite, then on PostgreSQL
    (for `lb_cli` too)."""
    on_both_databases(state_url, monkeypatch)
    ws = Workspace(tmp_path / "lb-workspace", state_url)
    ws.ensure()
    return ws


def build_flows(ctx: RunContext) -> list[Flow]:
    source = SCENE.source or ListSource()
    return [Flow("orders", "order", source, CopyMapper(), SCENE.target, **SCENE.flow)]


@hookimpl
def register_connectors(register: Any) -> None:
    register(Connector("rules", "Rules", {"type": "object"}, build_flows))


@pytest.fixture
def run(lb_plugin: Any, lb_tenant: Any, lb_run: Any) -> Callable[..., RunSummary]:
    global SCENE
    SCENE = Scene(target=MemoryTarget(MemorySystem("ledger", prefix="L")))
    lb_plugin(sys.modules[__name__], "rules")
    lb_tenant("acme", connector="rules", config={})
    return lambda **options: lb_run("acme", "rules", **options)


def order(key: str, cursor: str, partition: str | None = None, **extra: Any) -> Record:
    return Record(
        "order", key, {"total": extra.pop("total", 10)}, cursor=cursor, partition=partition, **extra
    )


def test_a_record_takes_over_the_link_of_the_one_it_replaces(
    run: Callable[..., RunSummary], lb_workspace: Any
) -> None:
    SCENE.records = [order("draft-1", "001")]
    run()
    SCENE.records = [order("inv-9", "002", total=12, replaces="draft-1")]
    summary = run()
    ledger = SCENE.target.memory
    assert (ledger.creates, ledger.updates) == (1, 1) and summary.flows[0].updated == 1
    links = open_state(lb_workspace.state).links("acme", "rules")
    link = links.find("shop", "order", "inv-9")
    assert link is not None and link.side("ledger").key == "L1"
    assert links.find("shop", "order", "draft-1") is None


def test_cursors_are_kept_per_partition_so_a_late_partition_is_not_skipped(
    run: Callable[..., RunSummary], lb_workspace: Any
) -> None:
    SCENE.partitioned = True
    SCENE.records = [order("a1", "2024-03", "company-1"), order("b1", "2024-01", "company-2")]
    run()
    state = open_state(lb_workspace.state)
    assert state.partition_cursors("acme", "rules", "orders") == {
        "company-1": "2024-03",
        "company-2": "2024-01",
    }
    # company 2's February run arrives late: older than company 1's cursor
    SCENE.records.append(order("b2", "2024-02", "company-2"))
    summary = run()
    assert summary.flows[0].created == 1
    assert SCENE.since[-1] == {"company-1": "2024-03", "company-2": "2024-01"}


def test_a_failure_holds_back_only_its_own_partition(
    run: Callable[..., RunSummary], lb_workspace: Any
) -> None:
    class Picky(MemoryTarget):
        def write(self, payload: Any, record: Record, binding: Binding | None) -> WriteResult:
            if record.key == "a1":
                raise RuntimeError("down for company 1")
            return super().write(payload, record, binding)

    SCENE.target = Picky(MemorySystem("ledger"))
    SCENE.partitioned = True
    SCENE.records = [order("a1", "1", "c1"), order("a2", "2", "c1"), order("b1", "1", "c2")]
    summary = run()
    assert summary.failed == 1
    cursors = open_state(lb_workspace.state).partition_cursors("acme", "rules", "orders")
    assert cursors == {"c2": "1"}


def refusal(status: int, definite: bool = False) -> ApiError:
    return ApiError(
        api="Ledger API",
        method="POST",
        url="https://ledger.example/orders",
        status=status,
        message="total must be positive",
        definite=definite,
    )


@pytest.mark.parametrize(
    ("status", "definite", "refused"),
    [
        (400, False, True),
        (422, False, True),
        (408, False, False),
        (429, False, False),
        (503, False, False),
        (500, True, True),  # the client's classifier said so (a SOAP client fault)
    ],
)
def test_a_vendor_4xx_is_a_refusal_that_clears_the_intent(
    run: Callable[..., RunSummary], lb_workspace: Any, status: int, definite: bool, refused: bool
) -> None:
    class Refusing(MemoryTarget):
        def write(self, payload: Any, record: Record, binding: Binding | None) -> WriteResult:
            raise refusal(status, definite)

    SCENE.target = Refusing(MemorySystem("ledger"))
    SCENE.records = [order("o1", "1")]
    summary = run()
    (err,) = summary.errors
    assert err["retryable"] is (not refused)
    assert "total must be positive" in err["message"]
    pending = open_state(lb_workspace.state).outbox_count("acme", "rules")
    assert pending == (0 if refused else 1)


def test_the_idempotency_key_reaches_a_target_that_takes_it(
    run: Callable[..., RunSummary],
) -> None:
    keys: list[str] = []

    class Keyed(MemoryTarget):
        def write(  # type: ignore[override]
            self, payload: Any, record: Record, binding: Binding | None, idempotency_key: str
        ) -> WriteResult:
            keys.append(idempotency_key)
            return super().write(payload, record, binding)

    SCENE.target = Keyed(MemorySystem("ledger"))
    SCENE.records = [order("o1", "1"), order("o2", "2")]
    run()
    assert len(keys) == 2 and len(set(keys)) == 2 and all(len(k) == 32 for k in keys)


def test_update_if_newer_keeps_a_remote_change_made_after_ours(
    run: Callable[..., RunSummary],
) -> None:
    SCENE.flow = {"update_if_newer": True}
    SCENE.records = [order("o1", "1", version="00000005")]
    run()
    ledger = SCENE.target.memory
    key = "L1"
    ledger.edit(key, total=99)  # someone else's change
    SCENE.records = [order("o1", "2", total=11, version="00000001")]  # older than theirs
    summary = run()
    assert summary.flows[0].skipped == 1 and ledger.rows[key]["total"] == 99
    SCENE.records = [order("o1", "3", total=12, version="00000009")]  # newer
    summary = run()
    assert summary.flows[0].updated == 1 and ledger.rows[key]["total"] == 12
    # untouched since our own write: any source change is sent, whatever its time
    SCENE.records = [order("o1", "4", total=13, version="00000002")]
    assert run().flows[0].updated == 1 and ledger.rows[key]["total"] == 13


def test_dry_run_reports_a_conflict_without_writing(run: Callable[..., RunSummary]) -> None:
    SCENE.flow = {"master": "ledger"}
    SCENE.records = [order("o1", "1")]
    run()
    SCENE.records = [order("o1", "2", total=20)]
    summary = run(dry_run=True)
    assert summary.flows[0].conflicts == 1 and SCENE.target.memory.updates == 0


@pytest.mark.parametrize(
    ("declared", "problem"),
    [
        ({"mode": "sometimes"}, "mode 'sometimes' is not one of upsert"),
        ({"master": "crm"}, "master 'crm' is neither its source system 'shop'"),
    ],
)
def test_a_flow_declared_wrong_aborts_the_run_naming_the_flow(
    run: Callable[..., RunSummary], declared: dict[str, Any], problem: str
) -> None:
    SCENE.flow = declared
    SCENE.records = [order("o1", "1")]
    summary = run()
    assert summary.status == "aborted" and "flow 'orders': " + problem in (summary.message or "")
    assert SCENE.target.memory.writes == 0


def test_an_intent_that_may_still_be_in_flight_is_not_resent_blind(
    run: Callable[..., RunSummary], lb_workspace: Any, lb_clock: Any
) -> None:
    """A run killed while a slow server was still working on a write: the
    lookup finds nothing yet, and resending could make two documents."""
    from ledgerbridge.testing.memory import Crash

    class Slow(MemoryTarget):
        in_flight_seconds = 90.0

        def write(self, payload: Any, record: Record, binding: Binding | None) -> WriteResult:
            raise Crash("killed while the server works on it")

    SCENE.target = Slow(MemorySystem("ledger"))
    SCENE.records = [order("o1", "1")]
    with pytest.raises(Crash):
        run()
    SCENE.target = MemoryTarget(MemorySystem("ledger"))
    SCENE.target.in_flight_seconds = 90.0  # type: ignore[attr-defined]
    lb_clock.advance(5)
    summary = run()
    (err,) = summary.errors
    assert err["retryable"] is True and "may still be in progress at Ledger" in err["message"]
    assert SCENE.target.memory.writes == 0
    assert open_state(lb_workspace.state).outbox_count("acme", "rules") == 1
    lb_clock.advance(90)  # the window has passed and it is still not there: send it
    summary = run()
    assert summary.failed == 0 and SCENE.target.memory.creates == 1


def test_records_waiting_for_an_earlier_write_do_not_stop_the_run(
    run: Callable[..., RunSummary], lb_clock: Any
) -> None:
    """Six writes of a killed run may still be in flight: each waits, none
    counts as a sign that the remote is down, and a new record is still sent."""
    from ledgerbridge.testing.memory import Crash

    class Killed(MemoryTarget):
        in_flight_seconds = 90.0

        def write(self, payload: Any, record: Record, binding: Binding | None) -> WriteResult:
            if record.key.startswith("o"):
                raise Crash("killed while the server works on it")
            return super().write(payload, record, binding)

    waiting = [order(f"o{i}", "1") for i in range(6)]
    SCENE.target = Killed(MemorySystem("ledger"))
    for record in waiting:  # each run is killed on its first write: six intents left
        SCENE.records = [record]
        with pytest.raises(Crash):
            run()
    SCENE.target = MemoryTarget(MemorySystem("ledger"))
    SCENE.target.in_flight_seconds = 90.0  # type: ignore[attr-defined]
    SCENE.records = [*waiting, order("n1", "1")]
    lb_clock.advance(5)
    summary = run()
    assert summary.status != "stopped", summary.message
    assert summary.failed == 6 and all(e["retryable"] for e in summary.errors)
    assert SCENE.target.memory.creates == 1  # n1, after six that wait


def test_the_window_runs_from_the_killed_runs_last_sign_of_life(
    run: Callable[..., RunSummary], lb_workspace: Any, lb_clock: Any
) -> None:
    """A write queued behind others is sent long after its intent was kept:
    the window starts at the killed run's last recorded outcome when that is
    later than the intent."""
    from ledgerbridge.core.clock import utc_iso
    from ledgerbridge.testing.memory import Crash

    class Killed(MemoryTarget):
        def write(self, payload: Any, record: Record, binding: Binding | None) -> WriteResult:
            raise Crash("killed while the server works on it")

    SCENE.target = Killed(MemorySystem("ledger"))
    SCENE.records = [order("late", "1")]
    with pytest.raises(Crash):
        run()
    db = open_state(lb_workspace.state)
    killed = db.runs("acme", "rules", limit=1)[0].id
    # the killed run went on for two minutes after the intent (other records)
    db.record_outcome(
        run_id=killed,
        tenant="acme",
        connector="rules",
        flow="orders",
        entity="order",
        key="other",
        status="succeeded",
        at=utc_iso(lb_clock.now() + 120),
    )
    SCENE.target = MemoryTarget(MemorySystem("ledger"))
    SCENE.target.in_flight_seconds = 90.0  # type: ignore[attr-defined]
    lb_clock.advance(150)  # past intent + 90 s, within last sign of life + 90 s
    (err,) = run().errors
    assert "may still be in progress" in err["message"] and SCENE.target.memory.creates == 0
    lb_clock.advance(70)
    assert run().failed == 0 and SCENE.target.memory.creates == 1


class FileSource(ListSource):
    """Records in two "files", each an origin; settled ones are not read."""

    def __init__(self) -> None:
        self.handed: list[frozenset[str]] = []
        self.read_now: list[str] = []

    def skip_origins(self, settled: Any) -> None:
        self.handed.append(frozenset(settled))

    def origins_read(self) -> list[str]:
        return self.read_now

    def read(self, since: Any) -> Iterator[Record]:
        skip = self.handed[-1]
        self.read_now = [o for o in ("f1", "f2", "empty") if o not in skip]
        for r in SCENE.records:
            if r.origin not in skip:
                yield r


def test_origins_settle_only_when_every_record_of_them_did(
    run: Callable[..., RunSummary],
) -> None:
    class Refusing(MemoryTarget):
        def write(self, payload: Any, record: Record, binding: Binding | None) -> WriteResult:
            if record.data["total"] < 0:
                raise ApiError(api="ledger", method="POST", url="/x", status=400, message="no")
            return super().write(payload, record, binding)

    source = SCENE.source = FileSource()
    SCENE.target = Refusing(MemorySystem("ledger"))
    bad = order("b", "2", origin="f2", total=-1)
    SCENE.records = [order("a", "1", origin="f1"), bad]
    run(dry_run=True)
    run()
    assert source.handed == [frozenset(), frozenset()]  # a dry run keeps nothing
    run()
    assert source.handed[-1] == {"f1", "empty"}  # f2 failed: read again
    SCENE.records = [order("a", "1", origin="f1"), order("b", "2", origin="f2")]
    run()
    run()
    assert source.handed[-1] == {"f1", "f2", "empty"}
    run(full=True)
    assert source.handed[-1] == frozenset()  # --full reads everything


def test_an_older_version_than_the_one_synced_is_skipped_as_stale(
    run: Callable[..., RunSummary],
) -> None:
    SCENE.records = [order("a", "1", version="2024-06-10T10:00:00", total=20)]
    run()
    SCENE.records = [order("a", "2", version="2024-05-01T10:00:00", total=10)]
    summary = run(full=True)
    assert summary.succeeded == 0 and summary.skipped == 1
    assert SCENE.target.memory.writes == 1
