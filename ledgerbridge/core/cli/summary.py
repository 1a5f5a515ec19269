"""The lines a run prints when it ends: per flow, the first records it
created or updated (with their numbers in the target), then the green or
red line operators look for, and for a failed run its first errors, so the
mail cron sends is readable without a second command."""

from __future__ import annotations

from typing import Any

import click

from ledgerbridge.core.engine import RunSummary

SUMMARY_ERRORS = 10
"""How many failed records a run's summary shows; `ledgerbridge errors RUN` has all."""
SUMMARY_WRITTEN = 10
"""How many created or updated records a run's summary names (`--json`: up to 100)."""
SUMMARY_PLANS = 200
"""How many records a dry run's summary shows the plan of (`--json`: up to 1000)."""


def print_summary(s: RunSummary) -> None:
    if s.dry_run:
        print_plans(s)
    for f in s.flows:
        if s.dry_run:
            plan = ", ".join(f"{verb} {n}" for verb, n in sorted(f.planned.items()))
            line = f"  {f.name}: would {plan or 'send nothing'}; "
            line += f"{f.failed} failed, {f.skipped} unchanged"
        else:
            line = (
                f"  {f.name}: {f.created} created, {f.updated} updated, "
                f"{f.succeeded - f.created - f.updated} matched, {f.failed} failed, "
                f"{f.skipped} skipped"
            )
        click.echo(line)
        if f.stopped:
            click.secho(f"    {f.stopped}", fg="yellow")
    print_written(s)
    print_excluded(s)
    label = f"{s.tenant}/{s.connector} run {s.run_id}{' (dry run)' if s.dry_run else ''}"
    counts = f"{s.succeeded} succeeded, {s.failed} failed, {s.skipped} skipped"
    if s.status == "succeeded":
        click.secho(f"✔ {label}: {counts}", fg="green")
        return
    click.secho(f"✘ {label}: {s.status}: {counts}", fg="red")
    if s.message:
        click.secho(f"  {s.message}", fg="red")
    if s.failed:
        print_first_errors(s.errors, s.failed)
        click.echo(f"  See what to fix: ledgerbridge errors {s.run_id}")


def print_first_errors(errors: list[dict[str, Any]], failed: int) -> None:
    """Up to SUMMARY_ERRORS failed records: the record, the message, the field and the fix."""
    shown = errors[:SUMMARY_ERRORS]
    for err in shown:
        click.echo(f"  {err.get('record', '?')} ({err.get('flow', '?')}): {err.get('message', '')}")
        if err.get("field"):
            value = f" (value {err['value']!r})" if err.get("value") is not None else ""
            click.echo(f"    field: {err['field']}{value}")
        if err.get("fix"):
            click.echo(f"    fix: {err['fix']}")
    if failed > len(shown):
        more = failed - len(shown)
        click.echo(f"  … and {more} more failed record{'s' if more > 1 else ''}")


def print_written(s: RunSummary) -> None:
    """`created invoice 10023 as 100001`, the first SUMMARY_WRITTEN, then how many more."""
    total = sum(f.created + f.updated for f in s.flows)
    shown = s.written[:SUMMARY_WRITTEN]
    for item in shown:
        click.echo(f"  {written_line(item)}")
    if total > len(shown):
        more = total - len(shown)
        click.echo(f"  … and {more} more created or updated")


def print_excluded(s: RunSummary) -> None:
    """`skipped invoice 10024 (invoices): credit invoices are not transferred`,
    the first SUMMARY_WRITTEN records left out by a connector's rule."""
    shown = s.excluded[:SUMMARY_WRITTEN]
    for item in shown:
        click.echo(f"  skipped {item['record']} ({item['flow']}): {item['reason']}")
    more = len(s.excluded) - len(shown) + s.excluded_dropped
    if more:
        click.echo(f"  … and {more} more skipped by rule")


def written_line(item: dict[str, Any]) -> str:
    """`created invoice 10023 as 100001`; `updated customer ACME` when the
    target kept the record's own key."""
    record = str(item.get("record", "?"))
    remote = item.get("remote_id")
    same = remote in (None, "") or record.rsplit(" ", 1)[-1] == str(remote)
    return f"{item.get('action', '?')} {record}" + ("" if same else f" as {remote}")


def print_plans(s: RunSummary) -> None:
    """A dry run, per record: what would be created, updated (each field that
    would change, old -> new) or skipped, grouped by flow."""
    flow = None
    shown = s.plans[:SUMMARY_PLANS]
    for item in shown:
        if item["flow"] != flow:
            flow = item["flow"]
            click.echo(f"  {flow}:")
        click.echo(f"    {plan_line(item)}")
        for change in item.get("changes") or ():
            click.echo(
                f"      {change['field']} {_shown(change['old'])} -> {_shown(change['new'])}"
            )
    more = len(s.plans) - len(shown) + s.plans_dropped
    if more:
        click.echo(f"    … and {more} more (all of them, up to 1000: --json)")


def plan_line(item: dict[str, Any]) -> str:
    """`update customer ACME`, `create invoice 10023: for customer ACME, 2 rows`."""
    record = str(item.get("record", "?"))
    remote = item.get("remote_id")
    line = f"{item.get('verb', '?')} {record}"
    if remote not in (None, "") and record.rsplit(" ", 1)[-1] != str(remote):
        line += f" (now {remote})"
    if item.get("note"):
        line += f": {item['note']}"
    if item.get("changes"):
        line += ":" if not item.get("note") else ""
    return line


def _shown(value: Any) -> str:
    return "(none)" if value in (None, "") else repr(value)
