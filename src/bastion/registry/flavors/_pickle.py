"""The pickle family as a flavor: recognised so that it is refused, or loaded once trusted."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from bastion.errors import Invalid
from bastion.registry.flavors._base import FileFlavor
from bastion.registry.flavors._formats import UNSAFE_FORMATS, ModelFormat

NEVER_WRITTEN = "a safe flavor to save with: skops, onnx, lightgbm or xgboost"


class PickleFlavor(FileFlavor):
    """pickle, joblib, cloudpickle and torch files; Bastion reads them only when trusted and
    never writes them."""

    name: ClassVar[str] = "pickle"
    formats: ClassVar[frozenset[ModelFormat]] = UNSAFE_FORMATS
    what: ClassVar[str] = "a pickle-family file"
    file_name: ClassVar[str] = ""

    def accepts(self, model: object) -> bool:
        return False

    def save(self, model: object, directory: Path) -> list[str]:
        raise Invalid("flavor", got=self.name, expected=NEVER_WRITTEN)


__all__ = ["PickleFlavor"]
