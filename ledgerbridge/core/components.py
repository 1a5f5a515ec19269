"""What plugins build: sources, mappers, targets, flows and connectors.

These are plain objects, not base classes. A source is anything with `read`,
a mapper anything with `map`, a target anything with `write` and `lookup`.
The Protocols below exist for type checkers and documentation only.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from ledgerbridge.core.records import DEFAULT_SOURCE_SYSTEM, Record, Rejected

if TYPE_CHECKING:
    from ledgerbridge.core.context import RunContext
    from ledgerbridge.core.plan import Plan
    from ledgerbridge.core.state.bindings import Binding
    from ledgerbridge.core.state.links import LinkView


@runtime_checkable
class Source(Protocol):
    """Optional attributes the engine reads:

    system:      the name of the system records come from ("pm"); links keep
                 one side per system, so the two flows of a two-way sync must
                 name their systems. Default "source".
    title:       how messages name that system ("Visma PM"); default `system`.
    partitioned: True when records carry a `partition` and `read` takes the
                 cursors of every partition as a dict {partition: cursor}
                 instead of one cursor (a partition not in it starts from
                 the beginning).
    """

    def read(self, since: str | None) -> Iterable[Record | Rejected]:
        """Yield records changed after `since` (a cursor this source produced
        earlier as Record.updated_at), or every record when `since` is None.

        Yield records lazily (a generator or page by page): the engine never
        holds a whole data set. Yield `Rejected` for an input that cannot become
        a record (malformed file), so it fails alone. Yield in ascending
        `updated_at` order where the system allows; the cursor relies on it.
        Make cursor values unique (e.g. "<timestamp>#<key>"), or yield records
        whose updated_at equals `since` again: a run that stopped between two
        records with the same timestamp must not lose the second. Re-yielded
        records are skipped by hash, so that costs nothing.
        """


@runtime_checkable
class Mapper(Protocol):
    def map(self, record: Record) -> Any:
        """Turn a record into the target's payload. Raise RecordError naming the
        field, the rule and the fix when the record cannot be mapped."""


@dataclass(frozen=True)
class WriteResult:
    """What a target reports after a successful write.

    remote_updated_at: the remote's version stamp right after this write
    (its change time or row version). The engine keeps it on the link: a
    later read with the same stamp is our own write coming back, and "update
    if newer" tells a user's change in the remote from ours by it.
    """

    remote_id: str
    action: Literal["created", "updated", "unchanged"] = "created"
    remote_updated_at: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A record the target system already has, offered for first-sync matching
    (`Flow.match`): its key there, its data in the flow's canonical form (at
    least the match fields), and its version stamp."""

    key: str
    data: Mapping[str, Any]
    version: str | None = None


@runtime_checkable
class Target(Protocol):
    system: str
    """The name of the remote system ("visma_net"): bindings are kept per system."""

    def write(self, payload: Any, record: Record, binding: Binding | None) -> WriteResult:
        """Create the document (binding is None) or update the bound one.

        Raise RecordError for a rejection by the remote system (a 4xx with a
        reason): the record fails alone. Any other exception is treated as a
        transient fault of this record (retryable)."""

    def lookup(self, payload: Any, record: Record) -> WriteResult | None:
        """Find a document this target may already have written for the record
        (by external reference / number). The engine calls it before resending a
        write whose outcome it never heard, so a crash never duplicates.

        A target whose documents take several calls (an invoice, then its PDF)
        may take a keyword `in_flight: bool`: True while the write may still be
        in progress remotely (see `InFlight`). A document found half made must
        then not be completed (its missing part may be on its way): raise a
        retryable RecordError instead, and the next run looks again."""


class Matchable(Protocol):
    """Optional on a target of a flow with `match` keys."""

    def candidates(self) -> Iterable[Candidate]:
        """Every record the target system has for the flow's entity, read once
        per run (paged), for first-sync matching."""


class Versioned(Protocol):
    """Optional on a target of a flow with `update_if_newer`."""

    def remote_version(self, payload: Any, record: Record, binding: Binding) -> str | None:
        """The bound document's version stamp now (None: it is gone)."""


class InFlight(Protocol):
    """Optional on a target whose writes a slow server may still apply after
    the client gave up waiting (or the process was killed)."""

    in_flight_seconds: float
    """How long after a write was sent it may still appear remotely: the
    request timeout plus a margin. Within it, a pending intent whose lookup
    finds nothing is not resent; the record fails as retryable and the next
    run looks again."""


class SkipsSettled(Protocol):
    """Optional on a source that reads whole files every run (a folder of
    export files): tag each Record/Rejected with its file's `origin` (a
    digest of the file and of the settings that shape what it yields), and
    the engine tells it which files need not be opened again."""

    def skip_origins(self, settled: Container[str]) -> None:
        """Called before `read`: origins whose every record this flow has
        settled (none on a full run). Do not read them."""

    def origins_read(self) -> Iterable[str]:
        """Called after a `read` to the end: every origin read, including
        files that yielded no record for this flow."""


@runtime_checkable
class Planner(Protocol):
    """Optional on a target: say what a write would do, for --dry-run."""

    def plan(self, payload: Any, record: Record, binding: Binding | None) -> str | Plan:
        """What a write would do, found out with reads only: a verb ("create",
        "update", ...) or a `Plan` with the fields that would change (what the
        target holds -> what would be sent), for `run --dry-run` to print."""


FlowMode = Literal["upsert", "create-only", "update-only", "write-once"]


@dataclass
class Flow:
    """One entity in one direction, e.g. opter invoices -> visma.net invoices.

    name:       unique within the connector ("invoices").
    entity:     the canonical entity the source yields.
    depends_on: names of flows of the same connector that must run first
                (customers before invoices).

    The sync rules the engine applies (the same for every connector):
    mode:       "upsert" creates and updates; "create-only" never updates a
                linked record; "update-only" never creates (a status written
                back through a link; an unlinked record is skipped);
                "write-once" refuses a linked record that changed (an invoice,
                a journal) with one uniform error.
    master:     the system changes of linked records flow from (a two-way
                entity's master, often a tenant setting). A change made in the
                other system is reported as a conflict and not sent. None: the
                source is the master (a one-way flow).
    match:      canonical fields that pair an unlinked record with one the
                target already has at first sync (customer number + name);
                the target's `candidates()` are read once per run.
    update_if_newer: before updating, compare the target's stamp now with the
                one seen after our own write; if someone changed it since, only
                a source change that is newer (Record.version) is sent.
    sent_once_fix: the fix a write-once refusal names.
    """

    name: str
    entity: str
    source: Source
    mapper: Mapper
    target: Target
    description: str = ""
    depends_on: Sequence[str] = ()
    concurrency: int = 1
    """How many remote calls of this flow may overlap. Raise it only when the
    target is thread-safe and the vendor accepts parallel writes; outcomes are
    still committed in source order. `ledgerbridge run --workers N` overrides it."""
    mode: FlowMode = "upsert"
    master: str | None = None
    match: Sequence[str] = ()
    update_if_newer: bool = False
    sent_once_fix: str | None = None

    @property
    def source_system(self) -> str:
        return str(getattr(self.source, "system", None) or DEFAULT_SOURCE_SYSTEM)

    @property
    def target_system(self) -> str:
        return str(self.target.system)

    def title(self, system: str) -> str:
        """How messages name a system of this flow: the component's `title`."""
        for part in (self.source, self.target):
            if getattr(part, "system", DEFAULT_SOURCE_SYSTEM) == system:
                return str(getattr(part, "title", None) or system)
        return system


@dataclass(frozen=True)
class RunOption:
    """A `ledgerbridge run` option a connector understands (e.g. --period).

    The CLI adds `--<name>` to `run`; the value reaches the connector as
    `context.params[name]`.
    """

    name: str
    help: str
    multiple: bool = False


@dataclass(frozen=True)
class DemoFix:
    """How `ledgerbridge demo` mends what its first run failed on, as an
    operator would, before replaying the failed records to green.

    describe: what is wrong and what the fix changes, in the operator's words.
    config:   the corrected config, validated and saved as `enable` saves it.
    apply:    a change to the sample input (the fix made at the source).
    """

    describe: str
    config: Mapping[str, Any] | None = None
    apply: Callable[[], None] | None = None


@dataclass(frozen=True)
class DemoStep:
    """Something that happens before the demo's "last night's run" (a
    two-way sync needs a history: a first sync, then users changing records
    on each side). `apply` makes the change (a user in a system); `run` then
    runs the connector once."""

    title: str
    describe: str = ""
    apply: Callable[[], None] | None = None
    run: bool = True


@dataclass
class DemoSetup:
    """What `ledgerbridge demo` needs to run a connector against the sandbox;
    `fix`, when given, mends the record the first run fails on. `connections`
    are the tenant's connections ({NAME: {"system": ..., "config": ...}}, as
    the tenant file keeps them); `before` happens before last night's run."""

    config: Mapping[str, Any]
    secrets: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    describe: str = ""
    fix: DemoFix | None = None
    connections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    before: Sequence[DemoStep] = ()


@dataclass
class Connector:
    """A named set of flows a tenant can enable.

    config_schema: JSON Schema (a dict) the tenant's config must satisfy.
                   Properties marked `"x-secret": true` hold a secret
                   reference `{"secret": "NAME"}`, never the secret itself.
    build_flows:   called once per run with the run context; returns flows.
    check_config:  optional; checks JSON Schema cannot express (a Start text
                   that must parse, an XSLT that must compile) and returns every
                   problem as "key 'x': value ... rule ...; fix ..." lines.
    check_environment: optional; checks of what the config points at outside
                   ledgerbridge (a folder that must exist), given the config
                   and the workspace path; run by `config validate` only, as
                   a run reports the same problems as run-level errors (exit 3).
    demo:          optional; prepares a demo run against the sandbox in a
                   work folder (sample input files go there).
    authorization: optional; for OAuth2 authorization-code APIs, builds the
                   flow `ledgerbridge auth TENANT CONNECTOR` runs.
    systems:       the systems (`register_systems`) the connector talks to; its
                   config names a connection to each (`"connection": NAME`, or
                   `"connections": {SYSTEM: NAME}`), checked when it is enabled.
    """

    name: str
    title: str
    config_schema: Mapping[str, Any]
    build_flows: Callable[[RunContext], Sequence[Flow]]
    description: str = ""
    run_options: Sequence[RunOption] = ()
    check_config: Callable[[Mapping[str, Any]], list[str]] | None = None
    check_environment: Callable[[Mapping[str, Any], Path], list[str]] | None = None
    demo: Callable[[Any], DemoSetup] | None = None
    authorization: Callable[[RunContext], Any] | None = None
    docs: str = ""
    systems: Sequence[str] = ()
    status: Callable[[LinkView], list[str]] | None = None
    """Optional: lines `ledgerbridge status` shows for a tenant's connector,
    read from its links (e.g. which payroll runs are in Visma.net)."""
