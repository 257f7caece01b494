"""The demo's narration: numbered steps, expectations, and a summary table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from bastion.errors import BastionError

console = Console()


class DemoFailure(Exception):
    """A step did not show what it should."""


class Story:
    """Runs numbered steps, prints each, and keeps a summary table."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str]] = []

    def step(self, title: str, fn: Callable[[], str]) -> None:
        n = len(self.rows) + 1
        console.rule(f"[bold]{n}. {title}")
        try:
            detail = fn()
        except (BastionError, DemoFailure, AssertionError) as exc:
            self.rows.append((str(n), title, f"[red]FAILED[/red] {exc}"))
            self.summary()
            raise SystemExit(1) from exc
        console.print(detail)
        first = detail.splitlines()[0] if detail else "ok"
        self.rows.append((str(n), title, first if len(first) <= 72 else first[:71] + "…"))

    def summary(self) -> None:
        table = Table(title="Bastion demo — summary", show_lines=False)
        table.add_column("#", justify="right")
        table.add_column("step")
        table.add_column("result")
        for row in self.rows:
            table.add_row(*row)
        console.print(table)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise DemoFailure(message)


def expect_error(fn: Callable[[], Any], kind: type[BastionError]) -> BastionError:
    try:
        fn()
    except kind as exc:
        return exc
    raise DemoFailure(f"expected {kind.__name__}, but the call succeeded")
