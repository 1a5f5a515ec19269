"""What the Visma.net company has that a payroll journal refers to: accounts,
financial periods (open or closed in the general ledger), subaccount
segments (the "dimensions" of seed 001), branches and ledgers.

Each list is read once per run, on first use, through the run's one
Visma.net client (the tenant's connection and rate budget), so checking a
thousand journals costs a handful of calls.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledgerbridge.core.errors import ConfigError
from ledgerbridge.core.http import ApiError
from ledgerbridge.plugins.nmbrs_journals.settings import Administration
from ledgerbridge.plugins.visma_net.api import VismaNetApi

SUBACCOUNT = "SUBACCOUNT"


def _value(field: Any) -> Any:
    return field.get("value") if isinstance(field, dict) else field


@dataclass(frozen=True)
class Segment:
    """A subaccount segment: its id, description and the values it takes
    (None: it does not validate values)."""

    segment_id: int
    description: str
    values: frozenset[str] | None


class VismaReference:
    def __init__(self, api: VismaNetApi) -> None:
        self.api = api
        self._lock = threading.Lock()
        self._lists: dict[str, Any] = {}

    def _once(self, name: str, load: Any) -> Any:
        with self._lock:
            if name not in self._lists:
                self._lists[name] = load()
            return self._lists[name]

    def _ids(self, name: str, path: str, field: str) -> frozenset[str]:
        found: frozenset[str] = self._once(name, lambda: self.api.list_ids(path, field))
        return found

    def accounts(self) -> frozenset[str]:
        return self._ids("accounts", "v1/account", "accountCD")

    def periods(self) -> Mapping[str, Mapping[str, Any]]:
        """YYYYMM -> FinancialPeriodDto."""

        def load() -> dict[str, Mapping[str, Any]]:
            return {str(_value(p.get("period"))): p for p in self.api.iter("v1/financialPeriod")}

        result: Mapping[str, Mapping[str, Any]] = self._once("periods", load)
        return result

    def segments(self) -> list[Segment]:
        def load() -> list[Segment]:
            try:
                dim = self.api.client.get_json(
                    f"v1/dimension/{SUBACCOUNT}", params={"expandSegmentsValues": "true"}
                )
            except ApiError as exc:
                if exc.status == 404:
                    return []
                raise
            out = []
            for seg in dim.get("segments") or []:
                values = frozenset(str(v.get("valueId")) for v in seg.get("segmentValues") or [])
                validate = seg.get("validate", True)
                out.append(
                    Segment(
                        int(seg["segmentId"]),
                        str(seg.get("description") or ""),
                        values if validate else None,
                    )
                )
            return out

        result: list[Segment] = self._once("segments", load)
        return result

    def branches(self) -> frozenset[str]:
        return self._ids("branches", "v1/branch", "number")

    def ledgers(self) -> frozenset[str]:
        return self._ids("ledgers", "v1/ledger", "number")

    # -- the config's references, checked before anything is read --------------

    def segment_for(self, description: str, at: str) -> Segment:
        """The segment whose description is the configured one (trimmed, case
        ignored); ConfigError naming the segments that exist otherwise."""
        wanted = " ".join(description.split()).casefold()
        segments = self.segments()
        for seg in segments:
            if " ".join(seg.description.split()).casefold() == wanted:
                return seg
        known = ", ".join(f"'{s.description}'" for s in segments) or "none"
        raise ConfigError(
            f"key '{at}': {description!r} matches no dimension of the Visma.net company; "
            f"rule: it must be the description of a subaccount segment (Visma.net has: {known}); "
            "fix: write one of those descriptions in the config, as Visma.net shows it"
        )

    def check(self, admin: Administration, at: str) -> list[str]:
        """Problems with one administration's Visma.net references."""
        problems: list[str] = []
        for key, name in (("costCenter", admin.cost_center), ("costUnit", admin.cost_unit)):
            if name is None:
                continue
            try:
                self.segment_for(name, f"{at}.dimensions.{key}")
            except ConfigError as exc:
                problems.append(str(exc))
        for key, value, known in (
            ("branch", admin.branch, self.branches),
            ("ledger", admin.ledger, self.ledgers),
        ):
            if value is None:
                continue
            have = known()
            if value not in have:
                listed = ", ".join(sorted(have)) or "none"
                problems.append(
                    f"key '{at}.{key}': {value!r} is not a {key} of the Visma.net company "
                    f"({listed}); fix: name one of them"
                )
        return problems
