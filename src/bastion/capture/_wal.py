"""The write-ahead log of one process: numbered segment files, appended in group commits.

Layout under the log root (``$BASTION_HOME/capture-wal``)::

    {root}/{log_id}/lock                      flock'd by the live process that owns the folder
    {root}/{log_id}/0000000000000001.wal      segments, sealed in order; the newest is open

A frame is ``BCW1 | header length | body length | CRC-32`` (little-endian) then the header (JSON:
bucket, prefix, KMS key, endpoint, variant, time in ms) and the body (the record's JSON line).
Reading stops at the first frame that is short or fails its CRC: a torn tail is a group that was
never acknowledged.

:class:`WriteAheadLog` hands appends to one writer thread, which writes whatever is queued as one
group, ``fdatasync``s it and only then wakes the callers of that group (optionally waiting
``window`` seconds for more appends when the previous group had several). A failed write is cut
off (the segment is truncated back and sealed) and fails only its own group. A folder is created
under a dot-name, locked, then renamed into place, so another process only ever sees it locked;
when its process dies the kernel drops the lock and :func:`orphans` hands it to whoever ships it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import struct
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MAGIC = b"BCW1"
FRAME = struct.Struct("<4sIII")
SUFFIX = ".wal"
LOCK = "lock"
STAGING_GRACE = 60.0
"""Seconds before a half-made folder (a dot-name) counts as abandoned."""
_MAX_HEADER = 64 * 1024


class LogFull(Exception):
    """The log holds its maximum of unshipped bytes (the store is not keeping up)."""


class LogUnavailable(Exception):
    """The disk refused the append, or it was not durable within the wait."""


@dataclass(frozen=True, kw_only=True)
class Route:
    """Where a record goes: a destination (bucket, prefix, KMS key) and its endpoint/variant."""

    bucket: str
    prefix: str
    kms_key_id: str | None
    endpoint: str
    variant: str


@dataclass(frozen=True, kw_only=True)
class Frame:
    """One record read back: its byte range in the segment, route, time (ms) and JSON line."""

    offset: int
    end: int
    route: Route
    time_ms: int
    body: bytes


def encode_frame(route: Route, time_ms: int, body: bytes) -> bytes:
    """The bytes of one frame."""
    header = json.dumps(
        [route.bucket, route.prefix, route.kms_key_id, route.endpoint, route.variant, time_ms],
        separators=(",", ":"),
    ).encode()
    crc = zlib.crc32(body, zlib.crc32(header))
    return FRAME.pack(MAGIC, len(header), len(body), crc) + header + body


def decode_frames(data: bytes) -> tuple[list[Frame], int]:
    """The intact frames at the start of ``data`` and the offset where they end (a torn or
    corrupted frame and everything after it are left out)."""
    frames: list[Frame] = []
    offset = 0
    view = memoryview(data)
    while offset + FRAME.size <= len(data):
        magic, hlen, blen, crc = FRAME.unpack_from(data, offset)
        start = offset + FRAME.size
        end = start + hlen + blen
        if magic != MAGIC or hlen > _MAX_HEADER or end > len(data):
            break
        header, body = view[start : start + hlen], view[start + hlen : end]
        if zlib.crc32(body, zlib.crc32(header)) != crc:
            break
        try:
            bucket, prefix, kms, endpoint, variant, time_ms = json.loads(bytes(header))
        except (ValueError, TypeError):
            break
        route = Route(
            bucket=bucket, prefix=prefix, kms_key_id=kms, endpoint=endpoint, variant=variant
        )
        frames.append(Frame(offset=offset, end=end, route=route, time_ms=time_ms, body=bytes(body)))
        offset = end
    return frames, offset


def read_segment(path: Path) -> list[Frame]:
    """The intact frames of a segment file (none if it is gone); a corrupted middle is logged."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    frames, end = decode_frames(data)
    if end < len(data):
        log.warning(
            "capture.wal torn segment=%s kept_bytes=%d ignored_bytes=%d", path, end, len(data) - end
        )
    return frames


def segments(folder: Path) -> list[Path]:
    """The segment files of a log folder, oldest first."""
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(SUFFIX))
    except FileNotFoundError:
        return []
    return [folder / n for n in names]


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (new, renamed or removed files) durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Orphan:
    """A dead process's log folder, locked by this process until :meth:`remove` or :meth:`close`."""

    def __init__(self, folder: Path, lock_fd: int) -> None:
        self.folder = folder
        self.log_id = folder.name
        self._fd = lock_fd

    def segments(self) -> list[Path]:
        return segments(self.folder)

    def remove(self) -> None:
        """Delete the (shipped) folder, then let go of its lock."""
        for path in self.segments():
            path.unlink(missing_ok=True)
        with contextlib.suppress(FileNotFoundError):
            (self.folder / LOCK).unlink()
        with contextlib.suppress(FileNotFoundError, OSError):
            self.folder.rmdir()
        with contextlib.suppress(OSError):
            fsync_dir(self.folder.parent)
        self.close()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def orphans(root: Path, *, exclude: str | None = None) -> Iterator[Orphan]:
    """The log folders under ``root`` whose process is gone, each locked while it is handled.

    A half-made folder (a dot-name whose creator died before renaming it) holds no segment and is
    removed on the way once it is a minute old.
    """
    try:
        names = sorted(os.listdir(root))
    except FileNotFoundError:
        return
    for name in names:
        folder = root / name
        if name == exclude or not folder.is_dir():
            continue
        try:
            fd = os.open(folder / LOCK, os.O_RDWR)
        except FileNotFoundError:
            continue  # being removed by whoever shipped it
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # alive
        orphan = Orphan(folder, fd)
        if name.startswith("."):
            if _age(folder) > STAGING_GRACE:
                orphan.remove()
            orphan.close()
            continue
        try:
            yield orphan
        finally:
            orphan.close()


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


class _Slot:
    __slots__ = ("done", "error", "frame")

    def __init__(self, frame: bytes) -> None:
        self.frame = frame
        self.done = threading.Event()
        self.error: OSError | None = None


class WriteAheadLog:
    """One process's log: appends return once durable, in groups committed by a writer thread.

    ``max_bytes`` bounds what is written but not yet shipped (:meth:`release` gives it back);
    ``segment_bytes`` seals a segment once it is that large; ``window`` (seconds) is the longest
    the writer waits for more appends before a group, and only when the last group had several;
    ``group=False`` commits each append on its own (to measure what grouping saves);
    ``on_seal`` is called when a segment is sealed for its size (a shipper may start early);
    ``commits`` counts the groups made durable.
    """

    def __init__(
        self,
        root: Path,
        *,
        segment_bytes: int,
        max_bytes: int,
        window: float = 0.0,
        group: bool = True,
        on_seal: Callable[[], object] | None = None,
    ) -> None:
        self.root = root
        self.segment_bytes = segment_bytes
        self.max_bytes = max_bytes
        self.window = window
        self.group = group
        self.on_seal = on_seal
        self._fresh()

    def _fresh(self) -> None:
        """State of a log that has not written yet (also a forked child's, which keeps nothing
        of its parent's log: it must not hold the parent's lock or write its segments)."""
        self._pid = os.getpid()
        self._mutex = threading.Lock()
        self._work = threading.Condition(self._mutex)
        self._space = threading.Condition(self._mutex)
        self._io = threading.Lock()
        self._queue: deque[_Slot] = deque()
        self.commits = 0
        self._used = 0
        self._closing = False
        self._thread: threading.Thread | None = None
        self.log_id: str | None = None
        self._folder: Path | None = None
        self._lock_fd = -1
        self._fd = -1
        self._seq = 0
        self._size = 0
        self._current: Path | None = None

    def _after_fork(self) -> None:
        for fd in (self._lock_fd, self._fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fresh()

    # ----------------------------------------------------------------------------- appends

    @property
    def used_bytes(self) -> int:
        """Bytes queued or written and not yet released."""
        return self._used

    def append(self, frame: bytes, *, wait: float, block_when_full: bool) -> None:
        """Return once ``frame`` is durable. Raises :class:`LogFull` when the log is full (after
        waiting up to ``wait`` seconds for room if ``block_when_full``), :class:`LogUnavailable`
        when the disk failed or the commit took longer than ``wait``."""
        if self._pid != os.getpid():
            self._after_fork()
        deadline = time.monotonic() + wait
        size = len(frame)
        slot = _Slot(frame)
        with self._mutex:
            if self._closing:
                raise LogUnavailable("the capture log is closed")
            while self._used + size > self.max_bytes:
                left = deadline - time.monotonic()
                if not block_when_full or left <= 0:
                    raise LogFull(f"{self._used} bytes wait to be shipped (max {self.max_bytes})")
                self._space.wait(left)
            self._used += size
            self._queue.append(slot)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="bastion-capture-wal", daemon=True
                )
                self._thread.start()
            self._work.notify()
        if not slot.done.wait(max(0.0, deadline - time.monotonic())):
            raise LogUnavailable(f"the append was not durable within {wait:g} s")
        if slot.error is not None:
            raise LogUnavailable(f"the disk refused the append: {slot.error}") from slot.error

    def release(self, size: int) -> None:
        """``size`` bytes were shipped and deleted: room for new appends."""
        with self._mutex:
            self._used = max(0, self._used - size)
            self._space.notify_all()

    def _run(self) -> None:
        last = 1
        while True:
            with self._mutex:
                while not self._queue and not self._closing:
                    self._work.wait()
                if not self._queue:
                    return
            if self.window and last > 1:
                time.sleep(self.window)
            with self._mutex:
                if self.group:
                    batch = list(self._queue)
                    self._queue.clear()
                else:
                    batch = [self._queue.popleft()]
            last = len(batch)
            self._commit(batch)

    def _commit(self, batch: list[_Slot]) -> None:
        data = b"".join(s.frame for s in batch) if len(batch) > 1 else batch[0].frame
        error: OSError | None = None
        with self._io:
            try:
                self._write(data)
            except OSError as exc:
                error = exc
                log.error(
                    "capture.wal write_failed log=%s segment=%s records=%d error=%s",
                    self.log_id,
                    self._current,
                    len(batch),
                    exc,
                )
                self._cut()
        if error is not None:
            self.release(len(data))
        for slot in batch:
            slot.error = error
            slot.done.set()

    def _write(self, data: bytes) -> None:
        if self._fd < 0:
            self._open_segment()
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fdatasync(self._fd)
        self.commits += 1
        self._size += len(data)
        if self._size >= self.segment_bytes:
            self._seal()
            if self.on_seal is not None:
                self.on_seal()

    def _cut(self) -> None:
        """After a failed write: truncate the segment back to its last durable group and seal it;
        the next group opens a new segment."""
        if self._fd < 0:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, self._size)
            os.fsync(self._fd)
        self._seal()

    def _open_segment(self) -> None:
        folder = self._folder or self._make_folder()
        self._seq += 1
        path = folder / f"{self._seq:016d}{SUFFIX}"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        self._current = path
        self._size = 0
        fsync_dir(folder)

    def _make_folder(self) -> Path:
        """Create, lock and publish this process's folder (locked before anyone can see it)."""
        self.root.mkdir(parents=True, exist_ok=True)
        log_id = uuid.uuid4().hex
        staging = self.root / f".{log_id}"
        staging.mkdir(mode=0o700)
        fd = os.open(staging / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        folder = self.root / log_id
        os.rename(staging, folder)
        fsync_dir(self.root)
        self._lock_fd, self._folder, self.log_id = fd, folder, log_id
        log.info("capture.wal open log=%s folder=%s", log_id, folder)
        return folder

    def _seal(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = -1
        self._size = 0
        self._current = None

    # ----------------------------------------------------------------------------- shipping

    def rotate(self) -> None:
        """Seal the open segment if it holds anything (the next append opens a new one)."""
        with self._io:
            if self._fd >= 0 and self._size > 0:
                self._seal()

    def sealed(self) -> list[Path]:
        """This log's sealed segments, oldest first."""
        with self._io:
            if self._folder is None:
                return []
            return [p for p in segments(self._folder) if p != self._current]

    def remove(self, path: Path) -> None:
        """Delete a shipped segment of this log and free its bytes."""
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            return
        with contextlib.suppress(OSError):
            fsync_dir(path.parent)
        self.release(size)

    def stop(self, *, timeout: float = 10.0) -> None:
        """Commit what is queued, stop the writer and seal (appends now fail); the folder stays
        locked, so its segments can still be shipped."""
        if self._pid != os.getpid():
            self._after_fork()
        with self._mutex:
            self._closing = True
            self._work.notify_all()
            self._space.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        with self._io:
            self._seal()

    def close(self, *, timeout: float = 10.0) -> None:
        """:meth:`stop`, then let go of the folder: removed when nothing in it is left to ship,
        else kept (unlocked) for the next process to ship."""
        self.stop(timeout=timeout)
        with self._io:
            folder, fd = self._folder, self._lock_fd
            if folder is not None and not segments(folder):
                with contextlib.suppress(OSError):
                    (folder / LOCK).unlink()
                    folder.rmdir()
                    fsync_dir(self.root)
            if fd >= 0:
                os.close(fd)
            self._lock_fd = -1
            self._folder = None
