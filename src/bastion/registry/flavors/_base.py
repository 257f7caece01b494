"""What the file-based flavors share: finding their file, refusing or handing over pickles."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import ClassVar

from bastion.errors import Conflict, Invalid
from bastion.registry.flavors._files import (
    Artifact,
    classify,
    model_root,
    read_artifact,
    relative_name,
    unreadable,
)
from bastion.registry.flavors._formats import ModelFormat, detect_format
from bastion.registry.flavors._model import LoadedModel
from bastion.registry.flavors._unsafe import load_unsafe


class FileFlavor:
    """A flavor whose model is one file of known formats (skops, ONNX, LightGBM, XGBoost)."""

    name: ClassVar[str]
    formats: ClassVar[frozenset[ModelFormat]]
    what: ClassVar[str]  # "a skops file", for messages
    file_name: ClassVar[str]  # what save writes

    def accepts(self, model: object) -> bool:
        raise NotImplementedError

    def save(self, model: object, directory: Path) -> list[str]:
        if not self.accepts(model):
            raise Invalid(
                "model", got=type(model).__name__, expected=f"a model the {self.name} flavor saves"
            )
        directory.mkdir(parents=True, exist_ok=True)
        return self._save(model, directory)

    def _save(self, model: object, directory: Path) -> list[str]:
        raise NotImplementedError

    def detect(self, path: Path) -> bool:
        if path.is_symlink():
            return False
        if path.is_file():
            return detect_format(path) in self.formats
        return path.is_dir() and any(f in self.formats for f in classify(path).values())

    def load(
        self,
        path: Path,
        *,
        trusted_sha256: Collection[str] = frozenset(),
        trusted_types: Collection[str] = (),
    ) -> LoadedModel:
        path = Path(path)
        root = model_root(path)
        file, fmt = self._locate(path, root)
        if fmt.unsafe:
            return load_unsafe(read_artifact(file, root), fmt, trusted_sha256)
        return self.load_artifact(
            read_artifact(file, root),
            root,
            trusted_sha256=trusted_sha256,
            trusted_types=trusted_types,
        )

    def load_artifact(
        self,
        artifact: Artifact,
        root: Path,
        *,
        trusted_sha256: Collection[str],
        trusted_types: Collection[str],
    ) -> LoadedModel:
        """Load a file already read (``root`` bounds what else it may read)."""
        raise NotImplementedError

    def _locate(self, path: Path, root: Path) -> tuple[Path, ModelFormat]:
        """This flavor's one file at ``path``; a pickle-family file found instead is returned
        with its format, so that it is refused (or loaded if trusted) as what it is."""
        if path.is_file():
            fmt = detect_format(path)
            if fmt in self.formats or fmt.unsafe:
                return path, fmt
            raise unreadable(relative_name(path, root), self.what, f"it is {fmt.description}")
        found = classify(path)
        mine = [p for p, f in found.items() if f in self.formats]
        if len(mine) > 1:
            raise Invalid(
                "path",
                got=", ".join(p.name for p in mine),
                expected=f"a folder holding one {self.what.removeprefix('a ')}",
            )
        if mine:
            return mine[0], found[mine[0]]
        unsafe = [p for p, f in found.items() if f.unsafe]
        if unsafe:
            return unsafe[0], found[unsafe[0]]
        raise Invalid("path", got=path.name, expected=f"a folder holding {self.what}")


def write_new(directory: Path, name: str, data: bytes) -> str:
    """Write ``directory/name`` through a temporary file renamed into place; never overwrite."""
    target = directory / name
    if target.exists() or target.is_symlink():
        raise Conflict(f"{name} already exists in {directory.name}: save into an empty folder")
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name


__all__ = ["FileFlavor", "write_new"]
