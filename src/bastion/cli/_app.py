"""The root ``bastion`` command and its room sub-commands."""

from __future__ import annotations

from pathlib import Path

import typer

from bastion.cli import access, audit, endpoints, keys, models, monitor, server, store
from bastion.cli._common import STATE, emit, fail_cleanly, settings
from bastion.sdk import init as sdk_init

app = typer.Typer(
    name="bastion",
    help="Bastion: encrypted, access-controlled, audited homes for ML models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(keys.app, name="keys")
app.add_typer(store.app, name="store")
app.add_typer(audit.app, name="audit")
app.command("server")(server.serve)
app.add_typer(access.app, name="access")
app.add_typer(monitor.app, name="monitor")
app.add_typer(models.app, name="models")
app.add_typer(endpoints.app, name="endpoints")


@app.callback()
def _root(
    home: Path | None = typer.Option(
        None, "--home", help="Bastion home folder (default: $BASTION_HOME or ./.bastion)."
    ),
) -> None:
    STATE.home = home


@app.command()
def init(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Create the home, root key, database, account and owner. Safe to run again.

    Example: bastion --home ./.bastion init
    """
    with fail_cleanly():
        result = sdk_init(settings=settings())
    emit(result, as_json=as_json, title="bastion init")


def main() -> None:
    """Console-script entry point."""
    app()
