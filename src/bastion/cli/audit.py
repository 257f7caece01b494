"""`bastion audit …` commands (filled in by the audit room)."""

import typer

app = typer.Typer(help="audit commands.", no_args_is_help=True)
