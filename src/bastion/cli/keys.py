"""`bastion keys …` commands (filled in by the keys room)."""

import typer

app = typer.Typer(help="keys commands.", no_args_is_help=True)
