"""`ledgerbridge auth TENANT CONNECTOR`: the OAuth2 authorization-code flow
for connectors whose API needs a person to grant access (eAccounting)."""

from __future__ import annotations

import click

from ledgerbridge.core.cli.app import App, pass_app, workspace_state
from ledgerbridge.core.cli.output import handle_errors
from ledgerbridge.core.engine.run import RunRequest, build_context
from ledgerbridge.core.errors import ConfigError
from ledgerbridge.core.http import run_authorization_code_flow
from ledgerbridge.core.redact import MASK


@click.command()
@click.argument("tenant_name", metavar="TENANT")
@click.argument("connector_name", metavar="CONNECTOR")
@click.option(
    "--loopback", is_flag=True, help="Catch the redirect on 127.0.0.1 instead of pasting the code."
)
@pass_app
@handle_errors
def auth(app: App, tenant_name: str, connector_name: str, loopback: bool) -> None:
    """Authorize a tenant's connector at the vendor (prints the URL, takes the code)."""
    connector = app.components.connector(connector_name)
    if connector.authorization is None:
        raise ConfigError(
            f"Connector {connector_name!r} does not use the authorization-code flow; "
            "its credentials are set with: ledgerbridge secret set"
        )
    app.workspace.ensure()
    state = workspace_state(app.workspace)
    try:
        ctx = build_context(
            RunRequest(app.workspace, tenant_name, connector_name), connector, state
        )
        flow = connector.authorization(ctx)
        run_authorization_code_flow(flow, echo=click.echo, prompt=click.prompt, loopback=loopback)
    finally:
        state.close()
    click.secho(
        f"✔ {tenant_name}/{connector_name} is authorized; the refresh token is stored "
        f"as a secret ({MASK}).",
        fg="green",
    )
