"""Where object bytes live: one encrypted blob per object version on any fsspec filesystem.

A blob is written completely under a fresh, unique name before any database row points at it, so
a blob that is half written, or written by a put that failed later, is never visible. On a local
folder the bytes go to ``<name>.part`` first, are flushed to disk, then renamed into place; on an
object store (S3 …) the upload only becomes an object when it is committed. Any failure removes
what was written and surfaces as :class:`~bastion.errors.StorageFailure`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from typing import IO, Any, BinaryIO, TypeVar, cast

import fsspec
from fsspec.implementations.local import LocalFileSystem
from fsspec.spec import AbstractBufferedFile

from bastion.errors import StorageFailure

log = logging.getLogger(__name__)

T = TypeVar("T")
PART_SUFFIX = ".part"


class BlobStore:
    """Unique, write-once blobs under ``<root>/blobs/<bucket>/`` of one fsspec filesystem."""

    def __init__(self, url: str, *, storage_options: Mapping[str, Any] | None = None) -> None:
        fs, root = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
        self.fs = fs
        self.root = str(root).rstrip("/")
        self.url = url
        self._local = isinstance(fs, LocalFileSystem)

    def new_name(self, bucket: str) -> str:
        """A fresh blob name (relative to the root) for one version of an object in ``bucket``."""
        return f"blobs/{bucket}/{uuid.uuid4().hex}"

    def path(self, name: str) -> str:
        """The filesystem path of blob ``name``."""
        return f"{self.root}/{name}"

    def write(self, name: str, fill: Callable[[BinaryIO], T], *, what: str) -> T:
        """Create blob ``name`` with ``fill(file)``; all or nothing.

        ``what`` names the object in error messages. Errors raised by ``fill`` propagate unchanged
        (after cleanup); an ``OSError`` from the filesystem becomes :class:`StorageFailure`.
        """
        final = self.path(name)
        try:
            if self._local:
                return self._write_local(final, fill)
            return self._write_remote(final, fill)
        except OSError as exc:
            log.warning("store.blob_write_failed blob=%s error=%s", name, exc)
            raise StorageFailure(
                f"Writing {what} to the store failed ({exc.strerror or exc}); nothing was "
                "stored and the previous version, if any, is unchanged"
            ) from exc

    def _write_local(self, final: str, fill: Callable[[BinaryIO], T]) -> T:
        temp = final + PART_SUFFIX
        self.fs.makedirs(self.fs._parent(final), exist_ok=True)
        try:
            with self.fs.open(temp, "wb") as fh:
                result = fill(cast(BinaryIO, fh))
                fh.flush()
                os.fsync(fh.fileno())
            self.fs.mv(temp, final)
        except BaseException:
            self._remove_quietly(temp)
            self._remove_quietly(final)
            raise
        _fsync_dir(self.fs._parent(final))
        return result

    def _write_remote(self, final: str, fill: Callable[[BinaryIO], T]) -> T:
        fh = self.fs.open(final, "wb", autocommit=False)
        try:
            result = fill(cast(BinaryIO, fh))
            fh.close()
            fh.commit()
        except BaseException:
            _abandon(fh)
            self._remove_quietly(final)
            raise
        return result

    def open(self, name: str) -> BinaryIO:
        """Open blob ``name`` for reading; ``FileNotFoundError`` when it is gone."""
        return cast(BinaryIO, self.fs.open(self.path(name), "rb"))

    def exists(self, name: str) -> bool:
        """Whether blob ``name`` is present."""
        return bool(self.fs.exists(self.path(name)))

    def remove(self, name: str) -> None:
        """Delete blob ``name``; best effort: an orphan blob is harmless, failures are logged."""
        self._remove_quietly(self.path(name))

    def _remove_quietly(self, path: str) -> None:
        try:
            if self.fs.exists(path):
                self.fs.rm(path)
        except OSError as exc:
            log.warning("store.blob_remove_failed path=%s error=%s", path, exc)


def _abandon(fh: IO[bytes]) -> None:
    """Throw away an uncommitted upload without letting ``close()`` flush what was buffered."""
    with contextlib.suppress(Exception):
        fh.discard()  # type: ignore[attr-defined]
    if isinstance(fh, AbstractBufferedFile):
        fh.closed = True
    else:
        with contextlib.suppress(Exception):
            fh.close()


def _fsync_dir(path: str) -> None:
    """Make a rename durable (POSIX: fsync the directory that holds the entry)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        log.debug("store.dir_fsync_skipped path=%s error=%s", path, exc)
    finally:
        os.close(fd)
