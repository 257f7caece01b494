"""The write-ahead log: frames, torn tails, group commits, a full log, a refusing disk, orphans."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.capture._wal import (
    LogFull,
    LogUnavailable,
    Route,
    WriteAheadLog,
    decode_frames,
    encode_frame,
    orphans,
    read_segment,
    segments,
)

ROUTE = Route(bucket="b", prefix="p", kms_key_id=None, endpoint="fraud", variant="AllTraffic")


def _log(root: Path, **options: object) -> WriteAheadLog:
    defaults: dict[str, object] = {"segment_bytes": 1 << 20, "max_bytes": 1 << 24}
    return WriteAheadLog(root, **{**defaults, **options})  # type: ignore[arg-type]


@given(
    st.lists(
        st.tuples(st.binary(max_size=300), st.integers(0, 2**53), st.none() | st.text(max_size=9)),
        max_size=8,
    )
)
def test_frames_round_trip(items: list[tuple[bytes, int, str | None]]) -> None:
    data = b""
    for body, ms, kms in items:
        data += encode_frame(
            Route(bucket="b", prefix="", kms_key_id=kms, endpoint="e", variant="v"), ms, body
        )
    frames, end = decode_frames(data)
    assert end == len(data)
    assert [(f.body, f.time_ms, f.route.kms_key_id) for f in frames] == items


@given(st.lists(st.binary(min_size=1, max_size=50), min_size=1, max_size=5), st.data())
def test_a_torn_tail_keeps_exactly_the_whole_frames(
    bodies: list[bytes], data: st.DataObject
) -> None:
    encoded = [encode_frame(ROUTE, 1, b) for b in bodies]
    whole = b"".join(encoded)
    cut = data.draw(st.integers(0, len(whole)))
    frames, end = decode_frames(whole[:cut])
    complete = 0
    size = 0
    for frame in encoded:
        if size + len(frame) > cut:
            break
        size += len(frame)
        complete += 1
    assert [f.body for f in frames] == bodies[:complete] and end == size


def test_a_flipped_bit_ends_the_segment_there(tmp_path: Path) -> None:
    frames = [encode_frame(ROUTE, i, f"record {i}".encode()) for i in range(3)]
    data = bytearray(b"".join(frames))
    data[len(frames[0]) + len(frames[1]) - 2] ^= 0x01
    path = tmp_path / "0000000000000001.wal"
    path.write_bytes(bytes(data))
    assert [f.body for f in read_segment(path)] == [b"record 0"]
    assert read_segment(tmp_path / "missing.wal") == []


def test_appends_are_durable_when_they_return_and_grouped(tmp_path: Path) -> None:
    wal = _log(tmp_path)
    seen: list[int] = []

    def append(worker: int) -> None:
        for i in range(40):
            body = f"{worker}-{i}".encode()
            wal.append(encode_frame(ROUTE, i, body), wait=10, block_when_full=True)
            # durable on return: the open segment already holds it
            assert body in (tmp_path / str(wal.log_id) / "0000000000000001.wal").read_bytes()
        seen.append(worker)

    threads = [threading.Thread(target=append, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(8))
    wal.stop()
    (segment,) = segments(tmp_path / str(wal.log_id))
    bodies = {f.body for f in read_segment(segment)}
    assert bodies == {f"{w}-{i}".encode() for w in range(8) for i in range(40)}
    assert wal.commits < 320  # several appends shared an fsync
    wal.close()


def test_each_append_alone_without_grouping(tmp_path: Path) -> None:
    wal = _log(tmp_path, group=False)
    for i in range(5):
        wal.append(encode_frame(ROUTE, i, b"x"), wait=5, block_when_full=True)
    assert wal.commits == 5
    wal.close()


def test_segments_seal_at_their_size_and_on_rotate(tmp_path: Path) -> None:
    sealed: list[int] = []
    frame = encode_frame(ROUTE, 1, b"y" * 100)
    wal = _log(tmp_path, segment_bytes=3 * len(frame), on_seal=lambda: sealed.append(1))
    for _ in range(7):
        wal.append(frame, wait=5, block_when_full=True)
    assert len(wal.sealed()) == 2 and len(sealed) == 2
    wal.rotate()
    assert [len(read_segment(p)) for p in wal.sealed()] == [3, 3, 1]
    for path in wal.sealed():
        wal.remove(path)
    assert wal.used_bytes == 0
    wal.close()
    assert not any(tmp_path.iterdir())  # nothing left to ship: the folder is gone


def test_a_full_log_refuses_or_waits_for_room(tmp_path: Path) -> None:
    frame = encode_frame(ROUTE, 1, b"z" * 200)
    wal = _log(tmp_path, max_bytes=2 * len(frame))
    wal.append(frame, wait=1, block_when_full=True)
    wal.append(frame, wait=1, block_when_full=True)
    with pytest.raises(LogFull):
        wal.append(frame, wait=1, block_when_full=False)
    started = time.monotonic()
    with pytest.raises(LogFull):
        wal.append(frame, wait=0.2, block_when_full=True)
    assert time.monotonic() - started >= 0.2
    # room made while a caller waits lets it through
    threading.Timer(0.1, lambda: wal.release(len(frame))).start()
    wal.append(frame, wait=5, block_when_full=True)
    wal.close()


def test_a_refusing_disk_fails_the_append(tmp_path: Path) -> None:
    root = tmp_path / "not-a-folder"
    root.write_text("a file where the log should be")
    wal = _log(root)
    with pytest.raises(LogUnavailable, match="refused"):
        wal.append(encode_frame(ROUTE, 1, b"x"), wait=5, block_when_full=True)
    assert wal.used_bytes == 0
    wal.close()


def test_a_closed_log_refuses_appends(tmp_path: Path) -> None:
    wal = _log(tmp_path)
    wal.close()
    with pytest.raises(LogUnavailable, match="closed"):
        wal.append(encode_frame(ROUTE, 1, b"x"), wait=1, block_when_full=True)


HOLDER = """
import sys, time
from pathlib import Path
from bastion.capture._wal import Route, WriteAheadLog, encode_frame
wal = WriteAheadLog(Path(sys.argv[1]), segment_bytes=1 << 20, max_bytes=1 << 20)
route = Route(bucket="b", prefix="", kms_key_id=None, endpoint="e", variant="v")
wal.append(encode_frame(route, 1, b"held"), wait=5, block_when_full=True)
print(wal.log_id, flush=True)
time.sleep(60)
"""


def test_only_a_dead_process_log_is_an_orphan(tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout is not None
            log_id = child.stdout.readline().strip()
            assert log_id and list(orphans(tmp_path)) == []  # alive: its lock is held
        finally:
            child.kill()
    (orphan,) = list(orphans(tmp_path))
    assert orphan.log_id == log_id
    [segment] = orphan.segments()
    assert [f.body for f in read_segment(segment)] == [b"held"]
    orphan.remove()
    assert not (tmp_path / log_id).exists()


def test_a_half_made_folder_is_cleaned_once_stale(tmp_path: Path) -> None:
    staging = tmp_path / ".abc"
    staging.mkdir()
    (staging / "lock").touch()
    assert list(orphans(tmp_path)) == [] and staging.exists()  # young: its creator may be at work
    old = time.time() - 3600
    os.utime(staging, (old, old))
    assert list(orphans(tmp_path)) == [] and not staging.exists()
