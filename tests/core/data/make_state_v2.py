"""Make a schema-v2 state database with the released (v2) code, for the v3 migration test:
git worktree add /tmp/v2 842b620 && PYTHONPATH=/tmp/v2 python make_state_v2.py state-v2.db
"""

import sys

from ledgerbridge.core.state.db import BindingWrite, StateDB

path = sys.argv[1]
db = StateDB(path)
assert db.schema_version() == 2
run = db.start_run("acme", "visma_net", started_at="2026-11-30T10:00:00Z")
for i, (entity, key, remote, stamp) in enumerate(
    [
        ("customer", "C1", "C1", "2026-11-30T10:00:01Z"),
        ("customer", "C/2 %", "10002", None),
        ("invoice", "10023", "INV-10023", "2026-11-30T10:00:03Z"),
        ("invoice", "10024", "INV-10024", None),
    ]
):
    db.record_outcome(
        run_id=run,
        tenant="acme",
        connector="visma_net",
        flow=entity + "s",
        entity=entity,
        key=key,
        status="succeeded",
        at=f"2026-11-30T10:00:0{i}Z",
        action="created",
        remote_id=remote,
        binding=BindingWrite("visma_net", entity, key, remote, f"h{i}", stamp),
        cursor=f"2026-11-30T09:00:0{i}Z#{key}",
        clear_outbox=True,
    )
db.record_outcome(
    run_id=run,
    tenant="beta",
    connector="hello",
    flow="greetings",
    entity="contact",
    key="7",
    status="succeeded",
    at="2026-11-30T10:00:09Z",
    action="created",
    remote_id="7.json",
    binding=BindingWrite("hello_outbox", "contact", "7", "7.json", "h7", None),
    cursor="2026-01-01",
)
db.add_outbox(
    tenant="acme",
    connector="visma_net",
    flow="invoices",
    key="10025",
    idempotency_key="k25",
    record_hash="h25",
    run_id=run,
    at="2026-11-30T10:00:05Z",
)
db.record_outcome(
    run_id=run,
    tenant="acme",
    connector="visma_net",
    flow="invoices",
    entity="invoice",
    key="10026",
    status="failed",
    at="2026-11-30T10:00:06Z",
    error={"message": "no VAT code"},
    hash="h26",
)
db.dismiss(
    tenant="acme",
    connector="visma_net",
    flow="invoices",
    key="10026",
    hash="h26",
    reason="sent by hand",
    run_id=run,
    at="2026-11-30T11:00:00Z",
)
db.finish_run(run, status="failed", ended_at="2026-11-30T10:01:00Z", counts=(5, 1, 0))
db.close()
