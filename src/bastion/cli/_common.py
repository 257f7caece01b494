"""What every command shares: settings, the connection, output, and errors as exit code 2."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from bastion.errors import BastionError
from bastion.sdk import Bastion, connect
from bastion.settings import Settings

console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")


@dataclasses.dataclass
class CliState:
    """Options given before the sub-command."""

    home: Path | None = None


STATE = CliState()


def settings() -> Settings:
    """Settings from the environment, with ``--home`` on top."""
    base = Settings()
    if STATE.home is not None:
        return base.model_copy(update={"home": STATE.home})
    return base


@contextmanager
def session() -> Iterator[Bastion]:
    """Connect to the home as its owner for one command."""
    with fail_cleanly(), connect(settings=settings()) as client:
        yield client


@contextmanager
def fail_cleanly() -> Iterator[None]:
    """Turn a Bastion error into one line on stderr and exit code 2."""
    try:
        yield
    except BastionError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc


def to_jsonable(value: Any) -> Any:
    """Dataclasses, enums, datetimes and bytes into JSON-friendly values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Path):
        return str(value)
    return value


def emit(
    value: Any, *, as_json: bool, columns: Sequence[str] | None = None, title: str = ""
) -> None:
    """Print ``value`` as JSON, or as a Rich table of ``columns`` (rows = list of dicts)."""
    data = to_jsonable(value)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return
    rows = data if isinstance(data, list) else [data]
    cols = list(columns or (rows[0].keys() if rows and isinstance(rows[0], dict) else ["value"]))
    table = Table(title=title or None)
    for col in cols:
        table.add_column(col)
    for row in rows:
        if isinstance(row, dict):
            table.add_row(*[_cell(row.get(c)) for c in cols])
        else:
            table.add_row(_cell(row))
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def parse_pairs(items: Sequence[str] | None, *, field: str) -> dict[str, str]:
    """``["k=v", …]`` into a dict; a pair without ``=`` is a clear error."""
    from bastion.errors import Invalid

    result: dict[str, str] = {}
    for item in items or []:
        key, sep, val = item.partition("=")
        if not sep or not key:
            raise Invalid(field, got=item, expected="KEY=VALUE")
        result[key] = val
    return result


def run(fn: Callable[[], T]) -> T:
    """Run ``fn`` turning Bastion errors into exit code 2."""
    with fail_cleanly():
        return fn()
