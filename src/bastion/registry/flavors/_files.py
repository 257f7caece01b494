"""Files of a model folder: paths that stay inside it, finding the model file, clear refusals."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from bastion._text import has_control
from bastion.errors import Invalid
from bastion.registry.flavors._formats import SAFE_FORMATS_TEXT, ModelFormat, detect_format

MAX_TOP_LEVEL_FILES = 1000
INSIDE = (
    "a relative path inside the model directory (no absolute path, no '..', no backslash, "
    "no symbolic link)"
)
EXISTING = "an existing model file or directory (not a symbolic link)"


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """A model file read once: its bytes, digest and name relative to what was loaded."""

    path: Path
    name: str
    data: bytes
    sha256: str


def read_artifact(path: Path, root: Path) -> Artifact:
    """Read a model file whole (hash and parse the same bytes: nothing can swap it between)."""
    data = path.read_bytes()
    return Artifact(
        path=path,
        name=relative_name(path, root),
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def relative_name(path: Path, root: Path) -> str:
    """The name errors show: relative to the loaded folder (temporary folders mean nothing)."""
    try:
        return path.relative_to(root).as_posix() or path.name
    except ValueError:
        return path.name


def model_root(path: Path) -> Path:
    """The folder that bounds what a model may read: the path itself, or a file's folder."""
    if path.is_symlink() or not (path.is_dir() or path.is_file()):
        raise Invalid("path", got=path.name, expected=EXISTING)
    return path if path.is_dir() else path.parent


def inside(root: Path, relative: object, *, field: str) -> Path:
    """``root / relative`` if it is a regular file inside ``root`` reached without symlinks."""

    def bad(expected: str = INSIDE) -> Invalid:
        return Invalid(field, got=relative, expected=expected)

    if not isinstance(relative, str) or not relative or has_control(relative):
        raise bad()
    if "\\" in relative or PureWindowsPath(relative).drive or PurePosixPath(relative).is_absolute():
        raise bad()
    parts = PurePosixPath(relative).parts
    if ".." in parts:
        raise bad()
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            raise bad()
    if not current.is_file():
        raise bad(f"{INSIDE}, naming an existing file")
    if not current.resolve().is_relative_to(root.resolve()):
        raise bad()
    return current


def top_files(directory: Path) -> list[Path]:
    """Regular files at the top of a model folder (symlinks are never followed), sorted."""
    files = sorted(p for p in directory.iterdir() if not p.is_symlink() and p.is_file())
    if len(files) > MAX_TOP_LEVEL_FILES:
        raise Invalid(
            "path",
            got=f"{len(files)} files",
            expected=f"a model folder of at most {MAX_TOP_LEVEL_FILES} files",
        )
    return files


def classify(directory: Path) -> dict[Path, ModelFormat]:
    """The format of every top-level file of a model folder."""
    return {p: detect_format(p) for p in top_files(directory)}


def unreadable(name: str, what: str, exc: BaseException | str) -> Invalid:
    """The clear error for a file that is not the model it claims to be."""
    reason = exc if isinstance(exc, str) else (str(exc).strip().splitlines() or [""])[0]
    reason = reason or type(exc).__name__
    return Invalid("artifact", got=name, expected=f"{what} ({reason[:300]})")


def no_model(name: str) -> Invalid:
    return Invalid(
        "path",
        got=name,
        expected=f"a model file in a safe format ({SAFE_FORMATS_TEXT}) or an MLflow model folder",
    )


__all__ = [
    "Artifact",
    "classify",
    "inside",
    "model_root",
    "no_model",
    "read_artifact",
    "relative_name",
    "top_files",
    "unreadable",
]
