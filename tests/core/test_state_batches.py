"""A group of outcomes written in batches (`state/sql.py` `insert_many`,
`insert_ids`, `delete_many`; on PostgreSQL multi-row statements) leaves the
very state that recording its records one at a time leaves, on both
databases: the same links and sides, outcomes, intents and cursor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledgerbridge.core.state.db import LinkWrite, StateDB, open_state
from ledgerbridge.core.state.links import SideWrite
from ledgerbridge.core.state.location import state_location

AT = "2026-03-01T00:00:00Z"


@pytest.fixture
def db(tmp_path: Path, state_url: str | None) -> Iterator[StateDB]:
    state = open_state(state_location(tmp_path, state_url))
    yield state
    state.close()


def _link(key: str, remote: str, fresh: bool, **side: Any) -> LinkWrite:
    entity = "article" if int(key[1:]) % 4 == 1 else "item"  # a link's own row differs
    return LinkWrite(
        entity,
        (
            SideWrite("src", "item", key, f"h-{key}", None, "read"),
            SideWrite("dst", "item", remote, f"h-{key}", f"v-{remote}", "written", **side),
        ),
        fresh=fresh,
    )


def _seed(db: StateDB) -> int:
    """Some records linked and some intents pending from an earlier run."""
    run = db.start_run("t", "c", started_at=AT)
    for i in range(0, 1200, 10):  # every tenth key linked before
        db.record_outcome(**_outcome(run, i, link=_link(f"k{i}", f"R{i}", True, data={"n": i})))
    intents = [
        {
            "tenant": "t",
            "connector": "c",
            "flow": "f",
            "key": f"k{i}",
            "idempotency_key": f"i{i}",
            "record_hash": "h",
            "run_id": run,
            "at": AT,
        }
        for i in range(0, 1200, 3)  # every third key has an intent pending
    ]
    db.add_outboxes(intents)
    return run


def _outcome(run: int, i: int, **more: Any) -> dict[str, Any]:
    return {
        "run_id": run,
        "tenant": "t",
        "connector": "c",
        "flow": "f",
        "entity": "item",
        "key": f"k{i}",
        "status": "succeeded",
        "action": "created",
        "at": AT,
        **more,
    }


def _group(run: int) -> list[dict[str, Any]]:
    """1,200 records (more than one statement's chunk on PostgreSQL) mixing
    unlinked creates (fresh links), linked updates, records without a link,
    intents ended and kept, a remote id two records were given (a side met
    twice in one batch), and a draft that became an invoice (`replaces`)."""
    out = []
    for i in range(1200):
        more: dict[str, Any] = {"remote_id": f"R{i}", "cursor": f"c{i:05d}"}
        if i % 10 == 0:  # linked before: an update, its data kept where none is sent
            more["link"] = _link(f"k{i}", f"R{i}", False)
        elif i % 7 == 0:  # no link written (a skip, a failure)
            more.update(status="failed", action="create", error={"message": f"bad {i}"})
        elif i in (401, 403):  # the target gave both the same id: the later link has it
            more["link"] = _link(f"k{i}", "R-same", True, data={"n": i})
        elif i == 601:
            more["link"] = LinkWrite(
                "item",
                (SideWrite("src", "item", "k601", "h"), SideWrite("dst", "item", "R601")),
                replaces=SideWrite("src", "item", "k600"),
            )
        else:
            more["link"] = _link(f"k{i}", f"R{i}", True, data={"n": i} if i % 2 else None)
        more["clear_outbox"] = i % 3 == 0 and i % 9 != 0  # some intents end, some stay
        out.append(_outcome(run, i, **more))
    return out


def _snapshot(db: StateDB) -> dict[str, Any]:
    links = {}
    for link in db.links("t", "c").list():
        sides = tuple(
            (s.system, s.entity, s.key, s.hash, s.version, s.origin, repr(s.data))
            for s in link.sides
        )
        links[sides[0]] = (link.entity, sides)
    outcomes = [
        (o.key, o.status, o.action, o.remote_id, o.error) for r in (1, 2) for o in db.outcomes(r)
    ]
    return {
        "links": links,
        "outcomes": outcomes,
        "outbox": db.outbox_keys("t", "c", "f"),
        "cursor": db.cursor("t", "c", "f"),
    }


def test_a_group_written_in_batches_leaves_what_one_record_at_a_time_does(
    db: StateDB, tmp_path: Path
) -> None:
    one_by_one = StateDB(tmp_path / "reference.db")
    for state in (one_by_one, db):
        run = _seed(state)
        assert run == 1
        second = state.start_run("t", "c", started_at=AT)
        group = _group(second)
        if state is one_by_one:
            for outcome in group:
                state.record_outcome(**outcome)
        else:
            state.record_outcomes(group)
    expected = _snapshot(one_by_one)
    assert _snapshot(db) == expected
    # and what that is, spelled out where a batch would most likely go wrong
    links = db.links("t", "c")
    same = links.find("dst", "item", "R-same")
    assert same is not None and same.side("src", "item").key == "k403"  # type: ignore[union-attr]
    updated = links.find("src", "item", "k10")
    assert updated is not None and updated.side("dst", "item").data == {"n": 10}  # type: ignore[union-attr]
    assert links.find("src", "item", "k600") is None and links.find("src", "item", "k601")
    assert links.find("src", "item", "k7") is None  # failed: no link
    assert "k3" not in expected["outbox"] and {"k9", "k7"} & expected["outbox"] == {"k9"}
    assert expected["cursor"] == "c01199"
    assert len(expected["outcomes"]) == 120 + 1200
    one_by_one.close()


def test_a_batch_of_intents_repeating_a_key_keeps_the_last(db: StateDB) -> None:
    run = db.start_run("t", "c", started_at=AT)
    intent = {"tenant": "t", "connector": "c", "flow": "f", "run_id": run, "at": AT}
    db.add_outboxes(
        [
            {**intent, "key": k, "idempotency_key": f"i{n}", "record_hash": f"h{n}"}
            for n, k in enumerate(["a", "b", "a", "c"])
        ]
    )
    assert db.outbox_keys("t", "c", "f") == {"a", "b", "c"}
    entry = db.outbox_entry("t", "c", "f", "a")
    assert entry is not None and entry["idempotency_key"] == "i2"
