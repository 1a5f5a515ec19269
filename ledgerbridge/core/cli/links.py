"""`ledgerbridge links`: inspect, pair or break the id map by hand.

A link ties one real-world thing (a customer) across systems, one side per
system. The engine makes them: at a write, or at first sync by the
connector's match keys. An operator needs this command when matching cannot
decide (two eAccounting customers with PM's number and name), when a record
was paired wrongly, or to see why a record is skipped as unchanged.

Sides are written SYSTEM=KEY: `pm=17`, `eaccounting=6f1c...`, `source=10023`.
"""

from __future__ import annotations

import click

from ledgerbridge.core.cli.app import App, pass_app, workspace_state
from ledgerbridge.core.cli.output import fail, handle_errors, json_option, print_json, table
from ledgerbridge.core.clock import SystemClock, utc_iso
from ledgerbridge.core.state.db import StateDB
from ledgerbridge.core.state.links import Link, SideWrite

REREAD = (
    "An incremental run reads a record again only when it changes: run with --full "
    "(ledgerbridge run {tenant} --full) to sync it now."
)


@click.group()
def links() -> None:
    """Inspect, pair or break links: one thing's keys across systems."""


def _state(app: App, tenant: str) -> StateDB:
    if not app.workspace.has_tenant(tenant):
        fail(f"No tenant {tenant!r}. See: ledgerbridge tenant list")
    app.workspace.ensure()
    return workspace_state(app.workspace)


def _side(entity: str, text: str) -> SideWrite:
    system, sep, key = text.partition("=")
    if not sep or not system or not key:
        raise click.BadParameter(
            f"{text!r} is not SYSTEM=KEY (for example pm=17 or visma_net=10023)",
            param_hint="SIDE",
        )
    return SideWrite(system.strip(), entity, key, origin="manual")


def _sides_text(link: Link) -> str:
    return "  ".join(f"{s.system}={s.key}" for s in link.sides)


@links.command("list")
@click.argument("tenant")
@click.argument("connector")
@click.option("--entity", help="Only links of this entity (customer, invoice, ...).")
@click.option("--system", help="Only links with a side in this system.")
@click.option("--limit", type=int, default=100, show_default=True, help="At most this many.")
@json_option
@pass_app
@handle_errors
def list_links(
    app: App,
    tenant: str,
    connector: str,
    entity: str | None,
    system: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List the links of TENANT's CONNECTOR."""
    view = _state(app, tenant).links(tenant, connector)
    found = list(view.list(entity=entity, system=system, limit=limit))
    if as_json:
        print_json({"links": [link.to_json() for link in found]})
        return
    if not found:
        click.echo(f"No links for {tenant}/{connector}" + (f" ({entity})" if entity else "") + ".")
        return
    table([[str(lk.id), lk.entity, _sides_text(lk)] for lk in found], ["link", "entity", "sides"])


@links.command("show")
@click.argument("tenant")
@click.argument("connector")
@click.argument("entity")
@click.argument("side", metavar="SYSTEM=KEY")
@json_option
@pass_app
@handle_errors
def show_link(app: App, tenant: str, connector: str, entity: str, side: str, as_json: bool) -> None:
    """Show the link SYSTEM=KEY of ENTITY belongs to, every side with its
    hash, version stamp and when it was last synced."""
    wanted = _side(entity, side)
    link = _state(app, tenant).links(tenant, connector).find(wanted.system, entity, wanted.key)
    if link is None:
        fail(
            f"{entity} {wanted.system}={wanted.key} is not linked in {tenant}/{connector}: "
            "the next run treats it as new (or pairs it by the connector's match keys)",
            code=1,
        )
        return
    if as_json:
        print_json(link.to_json())
        return
    click.echo(f"link {link.id} ({link.entity})")
    rows = [
        [s.system, s.key, (s.hash or "-")[:12], s.version or "-", s.origin, s.synced_at]
        for s in link.sides
    ]
    table(rows, ["system", "key", "hash", "version", "origin", "synced"])


@links.command("set")
@click.argument("tenant")
@click.argument("connector")
@click.argument("entity")
@click.argument("sides", metavar="SYSTEM=KEY SYSTEM=KEY...", nargs=-1, required=True)
@json_option
@pass_app
@handle_errors
def set_link(
    app: App, tenant: str, connector: str, entity: str, sides: tuple[str, ...], as_json: bool
) -> None:
    """Pair sides by hand: they become one link (each leaves any link it had).
    The next run syncs them from the master system, as at first sync."""
    pairs = [_side(entity, s) for s in sides]
    systems = [p.system for p in pairs]
    if len(pairs) < 2 or len(set(systems)) != len(systems):
        fail("Name one side per system, at least two: SYSTEM=KEY SYSTEM=KEY")
    state = _state(app, tenant)
    link_id = state.set_link(tenant, connector, entity, tuple(pairs), utc_iso(SystemClock().now()))
    link = state.links(tenant, connector).get(link_id)
    if as_json:
        print_json(link.to_json() if link else {"id": link_id})
        return
    click.echo(f"Linked {entity} " + " and ".join(f"{p.system}={p.key}" for p in pairs) + ".")
    click.echo(REREAD.format(tenant=tenant))


@links.command("unset")
@click.argument("tenant")
@click.argument("connector")
@click.argument("entity")
@click.argument("side", metavar="SYSTEM=KEY")
@json_option
@pass_app
@handle_errors
def unset_link(
    app: App, tenant: str, connector: str, entity: str, side: str, as_json: bool
) -> None:
    """Break the link at SYSTEM=KEY: the next run treats that record as new
    (matching it again by the connector's keys, or creating it)."""
    wanted = _side(entity, side)
    removed = _state(app, tenant).unset_link(tenant, connector, wanted)
    if not removed:
        fail(f"{entity} {wanted.system}={wanted.key} is not linked in {tenant}/{connector}.", 1)
    if as_json:
        print_json(
            {
                "unlinked": {"system": wanted.system, "entity": entity, "key": wanted.key},
                "sides_removed": removed,
            }
        )
        return
    click.echo(f"Unlinked {entity} {wanted.system}={wanted.key}.")
    click.echo(REREAD.format(tenant=tenant))
