"""`bastion store …` commands (filled in by the store room)."""

import typer

app = typer.Typer(help="store commands.", no_args_is_help=True)
