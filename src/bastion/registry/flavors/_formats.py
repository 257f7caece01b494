"""What a model file is, decided by its content (never by its name).

The pickle family (pickle, joblib, cloudpickle, torch) runs code when loaded; it is recognised by
its opcodes (read with :mod:`pickletools`, which parses and never executes), by joblib's
``NumpyArrayWrapper`` and cloudpickle's module names, by torch's zip layout (``*/data.pkl``) or
legacy magic number, and through gzip/bz2/xz/lzma/zlib compression as joblib writes it.
"""

from __future__ import annotations

import bz2
import io
import lzma
import os
import pickletools
import re
import zipfile
import zlib
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from bastion.errors import Invalid

HEAD_BYTES = 1 << 20  # content read to decide (the pickle scan stops here)
MAX_PICKLE_OPS = 200_000
MAX_ZIP_MEMBERS = 100_000


class ModelFormat(StrEnum):
    """A model file's format as its content shows it (``kind`` of a trust decision)."""

    SKOPS = "skops"
    ONNX = "onnx"
    LIGHTGBM_TEXT = "lightgbm-text"
    XGBOOST_JSON = "xgboost-json"
    XGBOOST_UBJSON = "xgboost-ubjson"
    PICKLE = "pickle"
    JOBLIB = "joblib"
    CLOUDPICKLE = "cloudpickle"
    TORCH = "torch"
    UNKNOWN = "unknown"

    @property
    def unsafe(self) -> bool:
        """True for the pickle family: loading it can run any code."""
        return self in UNSAFE_FORMATS

    @property
    def description(self) -> str:
        """Words for error messages (``a joblib pickle``)."""
        return _DESCRIPTIONS[self]


UNSAFE_FORMATS = frozenset(
    {ModelFormat.PICKLE, ModelFormat.JOBLIB, ModelFormat.CLOUDPICKLE, ModelFormat.TORCH}
)
SAFE_FORMATS_TEXT = "skops, ONNX, LightGBM text, XGBoost JSON/UBJSON"

_DESCRIPTIONS = {
    ModelFormat.SKOPS: "a skops file",
    ModelFormat.ONNX: "an ONNX model",
    ModelFormat.LIGHTGBM_TEXT: "a LightGBM text model",
    ModelFormat.XGBOOST_JSON: "an XGBoost JSON model",
    ModelFormat.XGBOOST_UBJSON: "an XGBoost UBJSON model",
    ModelFormat.PICKLE: "a Python pickle",
    ModelFormat.JOBLIB: "a joblib pickle",
    ModelFormat.CLOUDPICKLE: "a cloudpickle pickle",
    ModelFormat.TORCH: "a torch pickle (torch.save)",
    ModelFormat.UNKNOWN: "no known model format",
}

# joblib.dump(compress=...) magic numbers: zlib, gzip, bz2, xz, lzma (alone).
_ZLIB_HEADERS = (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda")
_TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_GLOBAL_OPS = frozenset({"GLOBAL", "INST", "STACK_GLOBAL"})
_STRING_OPS = frozenset(
    {
        "SHORT_BINUNICODE",
        "BINUNICODE",
        "BINUNICODE8",
        "UNICODE",
        "SHORT_BINSTRING",
        "BINSTRING",
        "STRING",
    }
)
_XGB_JSON = re.compile(rb'\A\s*\{\s*"(learner|version)"\s*:')
_XGB_UBJ = re.compile(rb"\A\{[iUIlL]")


def detect_format(source: str | os.PathLike[str] | bytes) -> ModelFormat:
    """The format of a model file (a path) or of its bytes, by content alone; never raises for
    any content. A path that is not a readable regular file raises :class:`Invalid`."""
    if isinstance(source, bytes):
        return _detect(io.BytesIO(source), len(source))
    path = Path(source)
    if path.is_symlink() or not path.is_file():
        raise Invalid("path", got=str(path), expected="an existing regular model file")
    with path.open("rb") as stream:
        return _detect(stream, path.stat().st_size)


def _detect(stream: BinaryIO, size: int) -> ModelFormat:
    head = stream.read(HEAD_BYTES)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_format(stream)
    unpacked = _decompressed_head(head)
    if unpacked is not None:
        kind = _pickle_kind(unpacked, whole=False)
        if kind is not None:
            return ModelFormat.JOBLIB if kind is ModelFormat.PICKLE else kind
    kind = _pickle_kind(head, whole=len(head) >= size)
    if kind is not None:
        return kind
    if head.startswith((b"tree\n", b"tree\r\n")) and b"version=v" in head[:64]:
        return ModelFormat.LIGHTGBM_TEXT
    if _XGB_JSON.match(head[:256]):
        return ModelFormat.XGBOOST_JSON
    if _XGB_UBJ.match(head) and (b"learner" in head[:32] or b"version" in head[:32]):
        return ModelFormat.XGBOOST_UBJSON
    if _looks_like_onnx(head):
        return ModelFormat.ONNX
    return ModelFormat.UNKNOWN


def _zip_format(stream: BinaryIO) -> ModelFormat:
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                return ModelFormat.UNKNOWN
            names = [i.filename for i in infos]
            if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
                return ModelFormat.TORCH
            if "schema.json" in names:
                return ModelFormat.SKOPS
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        pass
    return ModelFormat.UNKNOWN


def _decompressed_head(head: bytes) -> bytes | None:
    """The first bytes of a compressed stream (joblib's compressors), or None."""
    limit = 64 << 10
    try:
        if head.startswith(b"\x1f\x8b"):
            return zlib.decompressobj(wbits=31).decompress(head, limit)
        if head.startswith(_ZLIB_HEADERS):
            return zlib.decompressobj().decompress(head, limit)
        if head.startswith(b"BZh"):
            return bz2.BZ2Decompressor().decompress(head, limit)
        if head.startswith(b"\xfd7zXZ\x00"):
            return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(head, limit)
        if head.startswith(b"]\x00\x00"):
            return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(head, limit)
    except (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError):
        return None
    return None


def _ops(data: bytes) -> Iterator[tuple[str, object, int]]:
    """Opcodes of a pickle (name, argument, position), stopping at a parse error or STOP."""
    try:
        for count, (op, arg, pos) in enumerate(pickletools.genops(io.BytesIO(data))):
            if count >= MAX_PICKLE_OPS:
                return
            yield op.name, arg, pos if pos is not None else 0
    except Exception:  # genops reports bad opcodes and truncation with assorted exceptions
        return


def _pickle_kind(data: bytes, *, whole: bool) -> ModelFormat | None:
    """Which pickle this is, or None when the bytes are not a pickle.

    Protocol 2+ starts with PROTO; protocols 0 and 1 have no header, so their opcodes must parse
    to STOP (or, when only the head of a large file was read, for many opcodes with a global)."""
    if not data:
        return None
    headed = data[0] == 0x80 and len(data) > 1 and 2 <= data[1] <= 5
    ops = list(_ops(data))
    if len(ops) < 2:
        return None
    names = {name for name, _, _ in ops}
    if not headed:
        stopped = ops[-1][0] == "STOP"
        if not (stopped or (not whole and len(ops) >= 16 and names & _GLOBAL_OPS)):
            return None
    modules = _modules(ops)
    if any(m == "torch" or m.startswith("torch.") for m in modules) or _torch_legacy(ops):
        return ModelFormat.TORCH
    if any(m.startswith("cloudpickle") for m in modules):
        return ModelFormat.CLOUDPICKLE
    if any(m.startswith("joblib") for m in modules):
        return ModelFormat.JOBLIB
    return ModelFormat.PICKLE


def _modules(ops: list[tuple[str, object, int]]) -> set[str]:
    """Modules whose globals the pickle imports (GLOBAL/INST arguments; for STACK_GLOBAL, the
    next-to-last string pushed before it)."""
    modules: set[str] = set()
    pushed: list[str] = []
    for name, arg, _ in ops:
        if name in _GLOBAL_OPS and name != "STACK_GLOBAL":
            modules.add(str(arg).split(" ")[0])
        elif name in _STRING_OPS:
            pushed = [*pushed[-1:], str(arg)]
        elif name == "STACK_GLOBAL" and len(pushed) == 2:
            modules.add(pushed[0])
    return modules


def _torch_legacy(ops: list[tuple[str, object, int]]) -> bool:
    """torch.save's legacy format begins with a pickled magic number."""
    return len(ops) > 1 and ops[1][0] == "LONG1" and ops[1][1] == _TORCH_LEGACY_MAGIC


def _looks_like_onnx(head: bytes) -> bool:
    """An ONNX ModelProto as serialised: ``ir_version`` (field 1, varint) first, then one of
    ModelProto's fields. Parsing is left to onnx when the file is loaded."""
    if len(head) < 4 or head[0] != 0x08:
        return False
    pos, version, shift = 1, 0, 0
    while pos < len(head) and head[pos] & 0x80 and shift < 28:
        version |= (head[pos] & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
    if pos >= len(head):
        return False
    version |= head[pos] << shift
    pos += 1
    # tags of producer_name .. graph, opset_import, metadata_props, training_info, functions
    fields = {0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42, 0x72, 0xA2, 0xCA, 0xD2}
    return 1 <= version <= 64 and pos < len(head) and head[pos] in fields


__all__ = ["SAFE_FORMATS_TEXT", "UNSAFE_FORMATS", "ModelFormat", "detect_format"]
