"""Structure that keeps the rooms honest: import direction, public surfaces, no unsafe loads."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "bastion"

# Dependencies point along the data flow, never back (DESIGN.md). A module may import only rooms
# that come before its own room in this order; the shells at the end may import everything.
ORDER = [
    "errors",
    "types",
    "_text",
    "clock",
    "settings",
    "db",
    "events",
    "access",
    "gate",
    "keys",
    "tls",
    "audit",
    "store",
    "metrics",
    "registry",
    "capture",
    "serving",
    "monitor",
    "_runtime",
    "sdk",
    "api",
    "cli",
    "testing",
]


def _room_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imported_rooms(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    rooms: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "bastion" and len(parts) > 1:
                rooms.add(parts[1])
    return rooms


SOURCES = sorted(p for p in SRC.rglob("*.py") if p.name != "__init__.py" or p.parent != SRC)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_along_the_flow(path: Path) -> None:
    room = _room_of(path)
    if room not in ORDER:
        pytest.fail(f"room '{room}' is missing from ORDER in this test; place it in the flow")
    allowed = set(ORDER[: ORDER.index(room) + 1])
    backwards = _imported_rooms(path) - allowed
    assert not backwards, f"{path.relative_to(SRC)} imports later rooms {sorted(backwards)}"


UNSAFE = re.compile(r"\b(pickle|joblib|cloudpickle|dill)\.loads?\(|\btorch\.load\(")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_unsafe_deserialisation_outside_flavors(path: Path) -> None:
    if "flavors" in path.parts:
        return
    assert not UNSAFE.search(path.read_text()), f"{path} unpickles outside registry/flavors"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_print_in_library_code(path: Path) -> None:
    if _room_of(path) in {"cli"}:
        return
    tree = ast.parse(path.read_text())
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
    ]
    assert not calls, f"{path} calls print()"


# Rooms with a wide surface pin their own __all__ in tests/<room>/ (access, keys, audit, monitor).
PUBLIC = {
    "bastion": ["Bastion", "BastionError", "connect", "init"],
    "bastion.db": ["Database", "metadata"],
    "bastion.settings": [
        "ApiSettings",
        "AuditSettings",
        "KeysSettings",
        "Settings",
        "StoreSettings",
    ],
    "bastion.testing": ["FakeKms", "FrozenClock", "MemoryTrail"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_surface_is_pinned(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(PUBLIC[module])
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.__all__ names missing {name}"
