"""Fault injection: what goes wrong between a client and a vendor API.

A `FaultPlan` is a list of rules. Each rule matches requests by method and
path and says what happens to them: added latency, an error status, a stall
that ends in a client timeout, a dropped connection (before the server acted,
or after it acted -- the case where a retry creates a duplicate), or an
expired access token. Rules fire on every match, on the Nth match, a given
number of times, or with a probability drawn from `random.Random(seed)`, so the
same seed and the same requests give the same faults.

The compact text form, for the CLI and tests (see docs/sandbox.md):

    [METHOD[,METHOD]] PATTERN: ACTION... [@N] [xN] [p=F | N%]

    POST /v2/customerinvoice*: drop-after@3
    *: latency=20ms
    GET *: 429 retry-after=2 x1
"""

from __future__ import annotations

import fnmatch
import math
import random
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OUTCOMES = (
    "status",
    "timeout",
    "timeout-after",
    "drop-before",
    "drop-after",
    "expire-token",
)
DEFAULT_STALL = 30.0  # seconds a stalled request hangs when the client sets no timeout
SYNTAX = (
    "[METHOD[,METHOD]] PATTERN: ACTION... [@N] [xN] [p=F|N%], "
    'e.g. "POST /v2/customerinvoice*: drop-after@3" or "GET *: 429 retry-after=2 x1"'
)
ACTIONS_HELP = (
    "latency=DUR, 429, 500, 502, 503 (any 4xx/5xx), retry-after=SECONDS, "
    "timeout[=DUR], timeout-after[=DUR], drop-before, drop-after, expire-token"
)


class FaultSpecError(ValueError):
    """A fault spec that cannot be understood; the message says why and how."""


# -- signals from the sandbox to its front end (transport or HTTP server) -----


class TransportFault(Exception):
    """Raised out of the sandbox app: the front end turns it into a network error."""


class DroppedBeforeActing(TransportFault):
    """The connection failed before the emulator saw the request."""


class DroppedAfterActing(TransportFault):
    """The emulator handled the request, then the connection dropped."""


class Stalled(TransportFault):
    """The server did not answer in time (`seconds` is how long the client waited)."""

    def __init__(self, seconds: float, acted: bool) -> None:
        super().__init__(f"no response within {seconds:g}s")
        self.seconds = seconds
        self.acted = acted


# -- rules ----------------------------------------------------------------------


@dataclass
class FaultRule:
    """One rule. Build it directly or with `parse_fault(spec)`.

    `nth` alone means exactly the Nth matching request; with `count` it means
    `count` times starting at the Nth. Without either, every match fires.
    """

    pattern: str = "*"
    methods: frozenset[str] = frozenset()  # empty: any method
    latency: float = 0.0  # seconds
    outcome: str | None = None  # one of OUTCOMES
    status: int | None = None  # for outcome "status"
    retry_after: float | None = None  # seconds, for outcome "status"
    stall: float | None = None  # seconds, for the timeout outcomes
    nth: int | None = None
    count: int | None = None
    probability: float | None = None
    spec: str = ""
    matched: int = field(default=0, init=False)
    applied: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.methods = frozenset(m.upper() for m in self.methods if m != "*")
        self._regex = _compile_path(self.pattern)
        _check_rule(self)
        if not self.spec:
            self.spec = self.describe()

    def matches(self, method: str, paths: Iterable[str], authenticated: bool) -> bool:
        if self.methods and method.upper() not in self.methods:
            return False
        if self.outcome == "expire-token" and not authenticated:
            return False
        return any(self._regex.fullmatch(p) for p in paths)

    @property
    def limit(self) -> int | None:
        if self.count is not None:
            return self.count
        return 1 if self.nth is not None else None

    @property
    def label(self) -> str:
        """What the journal records for this rule firing."""
        if self.outcome == "status":
            return str(self.status)
        return self.outcome or f"latency={_fmt_duration(self.latency)}"

    def describe(self) -> str:
        """The canonical spec text for this rule."""
        left = ",".join(sorted(self.methods)) + " " if self.methods else ""
        actions: list[str] = []
        if self.latency:
            actions.append(f"latency={_fmt_duration(self.latency)}")
        if self.outcome == "status":
            actions.append(str(self.status))
            if self.retry_after is not None:
                actions.append(f"retry-after={self.retry_after:g}")
        elif self.outcome:
            stall = f"={_fmt_duration(self.stall)}" if self.stall is not None else ""
            actions.append(self.outcome + stall)
        if self.nth is not None:
            actions.append(f"@{self.nth}")
        if self.count is not None:
            actions.append(f"x{self.count}")
        if self.probability is not None:
            actions.append(f"p={self.probability:g}")
        return f"{left}{self.pattern}: {' '.join(actions)}"

    def to_dict(self) -> dict[str, Any]:
        return {"spec": self.spec, "matched": self.matched, "applied": self.applied}


def _check_rule(rule: FaultRule) -> None:
    unknown = rule.methods - HTTP_METHODS
    if unknown:
        raise FaultSpecError(f"unknown HTTP method {sorted(unknown)[0]!r}")
    if rule.outcome is not None and rule.outcome not in OUTCOMES:
        raise FaultSpecError(f"unknown fault {rule.outcome!r}; expected one of {ACTIONS_HELP}")
    if rule.outcome is None and rule.latency <= 0:
        raise FaultSpecError(f"a rule needs a fault or a latency; expected one of {ACTIONS_HELP}")
    if rule.outcome == "status" and not (rule.status and 400 <= rule.status <= 599):
        raise FaultSpecError(f"status must be 400-599, not {rule.status}")
    if rule.retry_after is not None and rule.outcome != "status":
        raise FaultSpecError("retry-after goes with a status such as 429 or 503")
    if rule.latency < 0 or (rule.stall is not None and rule.stall < 0):
        raise FaultSpecError("durations cannot be negative")
    if rule.nth is not None and rule.nth < 1:
        raise FaultSpecError("@N counts from 1")
    if rule.count is not None and rule.count < 1:
        raise FaultSpecError("xN needs N >= 1")
    if rule.probability is not None and not 0 < rule.probability <= 1:
        raise FaultSpecError("probability must be in (0, 1], e.g. p=0.1 or 10%")


def _compile_path(pattern: str) -> re.Pattern[str]:
    """`re:` prefix: a regex; anything else: a glob where `*` also spans `/`."""
    if pattern.startswith("re:"):
        try:
            return re.compile(pattern[3:], re.IGNORECASE)
        except re.error as exc:
            raise FaultSpecError(f"bad regex {pattern[3:]!r}: {exc}") from None
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE)


# -- the plan -----------------------------------------------------------------------


@dataclass(frozen=True)
class FaultDecision:
    """What the plan decided for one request."""

    latency: float = 0.0
    rule: FaultRule | None = None  # the rule whose outcome applies, if any
    labels: tuple[str, ...] = ()

    @property
    def outcome(self) -> str | None:
        return self.rule.outcome if self.rule else None

    @property
    def label(self) -> str | None:
        return " ".join(self.labels) or None


NO_FAULT = FaultDecision()


class FaultPlan:
    """Rules in order, their counters and one seeded random generator.

    The first firing rule with an outcome decides the outcome; latencies of all
    firing rules add up. Thread-safe: a served sandbox decides concurrently.
    """

    def __init__(self, rules: Iterable[FaultRule | str] = (), *, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self.seed = seed
        self._rng = random.Random(seed)
        for rule in rules:
            self.add(rule)

    @classmethod
    def parse(cls, specs: Iterable[str], *, seed: int = 0) -> FaultPlan:
        return cls(list(specs), seed=seed)

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def add(self, rule: FaultRule | str) -> FaultRule:
        """Add a rule (or a spec string) after the existing ones."""
        parsed = parse_fault(rule) if isinstance(rule, str) else rule
        with self._lock:
            self._rules.append(parsed)
        return parsed

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def reseed(self, seed: int) -> None:
        """Restart the random sequence (counters stay)."""
        with self._lock:
            self.seed = seed
            self._rng = random.Random(seed)

    def decide(
        self, method: str, path: str, *, full_path: str | None = None, authenticated: bool = False
    ) -> FaultDecision:
        """Count the request against every rule and pick what happens to it."""
        paths = (path,) if full_path is None or full_path == path else (path, full_path)
        with self._lock:
            if not self._rules:
                return NO_FAULT
            latency, chosen, labels = 0.0, None, []
            for rule in self._rules:
                if not rule.matches(method, paths, authenticated):
                    continue
                rule.matched += 1
                if rule.outcome is not None and chosen is not None:
                    continue  # the first outcome wins; this rule waits its turn
                if not self._fires(rule):
                    continue
                rule.applied += 1
                latency += rule.latency
                if rule.latency:
                    labels.append(f"latency={_fmt_duration(rule.latency)}")
                if rule.outcome is not None:
                    chosen = rule
                    labels.append(rule.label)
        if not labels:
            return NO_FAULT
        return FaultDecision(latency, chosen, tuple(labels))

    def _fires(self, rule: FaultRule) -> bool:
        if rule.nth is not None and rule.matched < rule.nth:
            return False
        limit = rule.limit
        if limit is not None and rule.applied >= limit:
            return False
        return rule.probability is None or self._rng.random() < rule.probability

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {"seed": self.seed, "rules": [r.to_dict() for r in self._rules]}


# -- the text form -------------------------------------------------------------------------

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)$")
_NTH = re.compile(r"^(?P<base>.*?)@(?P<nth>\d+)$")


def parse_fault(spec: str) -> FaultRule:
    """Parse `[METHOD[,METHOD]] PATTERN: ACTION... [@N] [xN] [p=F]` into a rule."""
    try:
        return _parse(spec)
    except FaultSpecError as exc:
        raise FaultSpecError(f"invalid fault {spec!r}: {exc}. Syntax: {SYNTAX}") from None


def parse_duration(text: str) -> float:
    """`20ms`, `1.5s`, `2m` -> seconds. A unit is required: `20` is ambiguous."""
    match = _DURATION.match(text.strip())
    if not match:
        raise FaultSpecError(f"bad duration {text!r}; write e.g. 20ms, 1.5s or 2m")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]


def _parse(spec: str) -> FaultRule:
    left, sep, right = spec.rpartition(":")
    if not sep:
        raise FaultSpecError("missing ':' between the request pattern and the fault")
    methods, pattern = _parse_target(left.split())
    fields: dict[str, Any] = {"methods": methods, "pattern": pattern, "spec": spec.strip()}
    tokens = right.split()
    if not tokens:
        raise FaultSpecError(f"nothing after ':'; expected one of {ACTIONS_HELP}")
    for token in tokens:
        _parse_token(token, fields)
    return FaultRule(**fields)


def _parse_target(words: list[str]) -> tuple[frozenset[str], str]:
    if not words:
        raise FaultSpecError("missing path pattern before ':' (use * for every path)")
    if len(words) == 1:
        if words[0].upper() in HTTP_METHODS:
            return frozenset({words[0].upper()}), "*"
        return frozenset(), words[0]
    if len(words) > 2:
        raise FaultSpecError(f"expected 'METHOD PATTERN' before ':', got {' '.join(words)!r}")
    methods = frozenset(m.upper() for m in words[0].split(",") if m)
    unknown = methods - HTTP_METHODS - {"*"}
    if unknown:
        raise FaultSpecError(f"unknown HTTP method {sorted(unknown)[0]!r}")
    return methods - {"*"}, words[1]


def _parse_token(token: str, fields: dict[str, Any]) -> None:
    nth = _NTH.match(token)
    if nth:
        _set(fields, "nth", int(nth.group("nth")), token)
        token = nth.group("base")
        if not token:
            return
    name, eq, value = token.partition("=")
    name = name.lower()
    if re.fullmatch(r"\d{3}", token):
        _set_outcome(fields, "status", token)
        fields["status"] = int(token)
    elif re.fullmatch(r"x\d+", name) and not eq:
        _set(fields, "count", int(name[1:]), token)
    elif name == "p" and eq:
        _set(fields, "probability", _number(value, token), token)
    elif token.endswith("%") and not eq:
        _set(fields, "probability", _number(token[:-1], token) / 100, token)
    elif name == "latency" and eq:
        _set(fields, "latency", parse_duration(value), token)
    elif name == "retry-after" and eq:
        seconds = parse_duration(value) if value[-1:].isalpha() else _number(value, token)
        _set(fields, "retry_after", seconds, token)
    elif name in ("timeout", "timeout-after"):
        _set_outcome(fields, name, token)
        if eq:
            fields["stall"] = parse_duration(value)
    elif name in ("drop-before", "drop-after", "expire-token") and not eq:
        _set_outcome(fields, name, token)
    else:
        raise FaultSpecError(f"unknown action {token!r}; expected one of {ACTIONS_HELP}")


def _set(fields: dict[str, Any], key: str, value: Any, token: str) -> None:
    if key in fields:
        raise FaultSpecError(f"{token!r} repeats a setting already given")
    fields[key] = value


def _set_outcome(fields: dict[str, Any], outcome: str, token: str) -> None:
    if "outcome" in fields:
        raise FaultSpecError(f"{token!r}: one fault per rule; put it in a rule of its own")
    fields["outcome"] = outcome


def _number(text: str, token: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FaultSpecError(f"{token!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise FaultSpecError(f"{token!r}: {text!r} is not a finite number")
    return value


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    return f"{seconds:g}s"
