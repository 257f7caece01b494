"""Fixtures for the store: a home on a chosen fsspec backend, and filesystems that fail on cue."""

from __future__ import annotations

import errno
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest
from fsspec.implementations.local import LocalFileSystem
from fsspec.implementations.memory import MemoryFileSystem

import bastion
from bastion.settings import Settings

FRAUD_KEY = "alias/fraud-data"


class _Budget:
    """How many more bytes the 'disk' accepts (None: unlimited), and whether renames fail."""

    bytes_left: int | None = None
    fail_rename: bool = False
    blobs_vanish: bool = False

    @classmethod
    def reset(cls) -> None:
        cls.bytes_left = None
        cls.fail_rename = False
        cls.blobs_vanish = False

    @classmethod
    def take(cls, count: int) -> None:
        if cls.bytes_left is None:
            return
        if count > cls.bytes_left:
            cls.bytes_left = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        cls.bytes_left -= count


class _FullDiskFile:
    """Wraps a writable file: writes fail with ENOSPC once the budget is spent."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def write(self, data: bytes) -> int:
        _Budget.take(len(data))
        return int(self._inner.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> _FullDiskFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.close()


class _VanishingFile:
    """Wraps a readable file: reads fail as if the object was deleted, once told to."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def _check(self) -> None:
        if _Budget.blobs_vanish:
            raise FileNotFoundError("The specified key does not exist.")

    def read(self, size: int = -1) -> bytes:
        self._check()
        return bytes(self._inner.read(size))

    def readinto(self, buffer: Any) -> int:
        self._check()
        return int(self._inner.readinto(buffer))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> _VanishingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.close()


class FailingLocalFS(LocalFileSystem):
    """A local folder whose disk fills up, or whose blobs vanish, on cue (``failfs://``)."""

    protocol = ("failfs",)

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        handle = super()._open(path, mode, **kwargs)
        return _FullDiskFile(handle) if "w" in mode else _VanishingFile(handle)

    def mv(self, path1: str, path2: str, **kwargs: Any) -> None:
        if _Budget.fail_rename:
            raise OSError(errno.EIO, "Input/output error")
        super().mv(path1, path2, **kwargs)


class FailingMemoryFS(MemoryFileSystem):
    """An in-memory object store (no rename) whose uploads fail on cue (``failmem://``)."""

    protocol = ("failmem",)

    @classmethod
    def _strip_protocol(cls, path: str) -> str:
        return str(super()._strip_protocol(path.replace("failmem://", "memory://", 1)))

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        handle = super()._open(path, mode, **kwargs)
        return _FullDiskFile(handle) if "w" in mode else handle


fsspec.register_implementation("failfs", FailingLocalFS, clobber=True)
fsspec.register_implementation("failmem", FailingMemoryFS, clobber=True)


@pytest.fixture
def disk() -> Iterator[type[_Budget]]:
    """Control the failing filesystems: ``disk.bytes_left = 100``, ``disk.fail_rename = True``,
    ``disk.blobs_vanish = True``."""
    _Budget.reset()
    yield _Budget
    _Budget.reset()


@pytest.fixture
def open_home(
    tmp_path: Path, db_url: str, clock: Any
) -> Iterator[Callable[[str | None], bastion.Bastion]]:
    """Initialise and connect a home whose store lives at the given URL."""
    opened: list[bastion.Bastion] = []

    def make(store_url: str | None) -> bastion.Bastion:
        home = tmp_path / f"home-{len(opened)}"
        settings = Settings(home=home, database_url=db_url, store_url=store_url)
        bastion.init(settings=settings, clock=clock)
        client = bastion.connect(settings=settings, clock=clock)
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


@pytest.fixture
def memory_url() -> Iterator[str]:
    """A fresh root in fsspec's (process-wide) memory filesystem."""
    root = f"/bastion-{uuid.uuid4().hex}"
    yield f"memory://{root}"
    fs = MemoryFileSystem()
    if fs.exists(root):
        fs.rm(root, recursive=True)


@pytest.fixture
def fraud_key(bastion: bastion.Bastion) -> str:
    """A customer key aliased alias/fraud-data; returns its ARN."""
    meta = bastion.keys.create_key(description="fraud data")
    bastion.keys.create_alias(FRAUD_KEY, meta.key_id)
    return str(meta.arn)


@pytest.fixture
def bucket(bastion: bastion.Bastion, fraud_key: str) -> str:
    """A bucket 'fraud-data' whose default key is alias/fraud-data."""
    bastion.store.create_bucket("fraud-data", default_key_id=FRAUD_KEY)
    return "fraud-data"


@pytest.fixture
def blob_files(bastion: bastion.Bastion) -> Callable[[], list[Path]]:
    """Lists every file under the local store's blob folder of the ``bastion`` home."""

    def files() -> list[Path]:
        root = bastion.runtime.settings.home / "store" / "blobs"
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []

    return files
