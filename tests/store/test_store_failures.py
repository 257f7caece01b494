"""Bad input and bad days: full disks, failed renames, races, disabled keys, corrupt rows/blobs."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fsspec.implementations.memory import MemoryFileSystem

import bastion as bastion_pkg
from bastion.errors import Conflict, Disabled, Invalid, NotFound, StorageFailure, Tampered
from bastion.store._tables import store_objects

BIG = bytes(range(256)) * 4096  # 1 MiB: the failure lands mid-stream


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _set_row(client: bastion_pkg.Bastion, bucket: str, key: str, **values: Any) -> None:
    with client.runtime.db.write() as conn:
        conn.execute(
            store_objects.update()
            .where(store_objects.c.bucket == bucket, store_objects.c.key == key)
            .values(**values)
        )


def _row(client: bastion_pkg.Bastion, bucket: str, key: str) -> Any:
    with client.runtime.db.read() as conn:
        return conn.execute(
            sa.select(store_objects).where(
                store_objects.c.bucket == bucket, store_objects.c.key == key
            )
        ).one()


def _blob_path(client: bastion_pkg.Bastion, bucket: str, key: str) -> Path:
    return client.runtime.settings.home / "store" / _row(client, bucket, key).blob


@pytest.mark.parametrize("failure", ["disk-full", "rename"])
def test_failing_local_disk_keeps_the_old_version(
    open_home: Callable[[str | None], bastion_pkg.Bastion],
    tmp_path: Path,
    disk: Any,
    failure: str,
) -> None:
    root = tmp_path / "failing-store"
    client = open_home(f"failfs://{root}")
    client.store.create_bucket("fraud-data")
    old = client.store.put_object("fraud-data", "model.bin", b"version one")
    if failure == "disk-full":
        disk.bytes_left = 200_000
    else:
        disk.fail_rename = True

    with pytest.raises(StorageFailure) as info:
        client.store.put_object("fraud-data", "model.bin", BIG)
    assert "nothing was stored" in info.value.message
    disk.reset()

    assert client.store.get_object("fraud-data", "model.bin") == b"version one"
    assert client.store.head_object("fraud-data", "model.bin") == old
    files = _files(root)
    assert len(files) == 1, files  # the old blob; no temp (.part) and no new blob remain
    assert not files[0].name.endswith(".part")


def test_failing_object_store_upload_keeps_the_old_version(
    open_home: Callable[[str | None], bastion_pkg.Bastion], memory_url: str, disk: Any
) -> None:
    client = open_home(memory_url.replace("memory://", "failmem://"))
    client.store.create_bucket("fraud-data")
    client.store.put_object("fraud-data", "model.bin", b"version one")
    disk.bytes_left = 200_000
    with pytest.raises(StorageFailure):
        client.store.put_object("fraud-data", "model.bin", BIG)
    disk.reset()
    assert client.store.get_object("fraud-data", "model.bin") == b"version one"
    root = memory_url.removeprefix("memory://")
    assert len(MemoryFileSystem().find(root)) == 1


def test_new_object_on_a_full_disk_leaves_nothing(
    open_home: Callable[[str | None], bastion_pkg.Bastion], tmp_path: Path, disk: Any
) -> None:
    root = tmp_path / "failing-store"
    client = open_home(f"failfs://{root}")
    client.store.create_bucket("fraud-data")
    disk.bytes_left = 10
    with pytest.raises(StorageFailure):
        client.store.put_object("fraud-data", "new.bin", BIG)
    disk.reset()
    with pytest.raises(NotFound):
        client.store.head_object("fraud-data", "new.bin")
    assert _files(root) == []


def test_object_replaced_mid_read_is_a_conflict_not_mixed_bytes(
    open_home: Callable[[str | None], bastion_pkg.Bastion], tmp_path: Path, disk: Any
) -> None:
    client = open_home(f"failfs://{tmp_path / 'store'}")
    client.store.create_bucket("fraud-data")
    client.store.put_object("fraud-data", "a.bin", BIG * 3)
    with client.store.open_object("fraud-data", "a.bin") as fh:
        assert fh.read(10) == BIG[:10]
        disk.blobs_vanish = True  # as on S3 once a newer put removed this version's blob
        with pytest.raises(Conflict, match="replaced or deleted while it was being read"):
            fh.read()
    with pytest.raises(Tampered, match="are missing"):
        client.store.download_object("fraud-data", "a.bin", tmp_path / "out.bin")
    assert not (tmp_path / "out.bin").exists()


def test_concurrent_puts_of_one_key_last_commit_wins_readers_see_whole_versions(
    bastion: bastion_pkg.Bastion, bucket: str, blob_files: Callable[[], list[Path]]
) -> None:
    versions = {bytes([i]) * (50_000 + i): i for i in range(6)}
    bodies = list(versions)
    bastion.store.put_object(bucket, "hot.bin", bodies[0])
    errors: list[BaseException] = []
    seen: list[bytes] = []
    stop = threading.Event()

    def writer(body: bytes) -> None:
        try:
            for _ in range(3):
                bastion.store.put_object(bucket, "hot.bin", body)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            while not stop.is_set():
                seen.append(bastion.store.get_object(bucket, "hot.bin"))
                with bastion.store.open_object(bucket, "hot.bin") as fh:
                    seen.append(fh.read())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    writers = [threading.Thread(target=writer, args=(b,)) for b in bodies]
    readers = [threading.Thread(target=reader) for _ in range(2)]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in readers:
        thread.join()

    assert errors == []
    assert seen and all(body in versions for body in seen)
    final = bastion.store.get_object(bucket, "hot.bin")
    assert final in versions
    assert bastion.store.head_object(bucket, "hot.bin").sha256 == hashlib.sha256(final).hexdigest()
    assert len(blob_files()) == 1


def test_disabled_key_put_fails_cleanly(
    bastion: bastion_pkg.Bastion,
    bucket: str,
    fraud_key: str,
    blob_files: Callable[[], list[Path]],
) -> None:
    bastion.store.put_object(bucket, "kept.csv", b"kept")
    bastion.keys.disable_key(fraud_key)
    with pytest.raises(Disabled):
        bastion.store.put_object(bucket, "new.csv", b"new data")
    with pytest.raises(NotFound):
        bastion.store.head_object(bucket, "new.csv")
    assert len(blob_files()) == 1
    with pytest.raises(Disabled):
        bastion.store.get_object(bucket, "kept.csv")
    bastion.keys.enable_key(fraud_key)
    assert bastion.store.get_object(bucket, "kept.csv") == b"kept"


@pytest.mark.parametrize(
    "key", ["../escape", "a/../../etc/passwd", "/abs", "a\\b", "nul\x00", "", "x" * 1025]
)
def test_traversal_and_bad_keys_write_nothing(
    bastion: bastion_pkg.Bastion,
    bucket: str,
    key: str,
    blob_files: Callable[[], list[Path]],
) -> None:
    before = len(bastion.runtime.trail.events)
    with pytest.raises(Invalid) as info:
        bastion.store.put_object(bucket, key, b"data")
    assert info.value.field == "key"
    assert len(bastion.runtime.trail.events) == before
    assert bastion.store.list_objects(bucket).objects == ()
    assert blob_files() == []
    home = bastion.runtime.settings.home
    assert not (home.parent / "escape").exists()


def test_corrupt_sha256_in_the_row_is_tampered_and_changes_nothing(
    bastion: bastion_pkg.Bastion, bucket: str, tmp_path: Path
) -> None:
    bastion.store.put_object(bucket, "a.csv", b"alpha")
    bastion.store.put_object(bucket, "b.csv", b"bravo")
    _set_row(bastion, bucket, "a.csv", sha256="0" * 64)
    before = _row(bastion, bucket, "a.csv")

    with pytest.raises(Tampered, match="does not match its recorded SHA-256"):
        bastion.store.get_object(bucket, "a.csv")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with pytest.raises(Tampered):
        bastion.store.download_object(bucket, "a.csv", downloads / "out.csv")
    assert list(downloads.iterdir()) == []
    with pytest.raises(Tampered), bastion.store.open_object(bucket, "a.csv") as fh:
        fh.read()

    assert _row(bastion, bucket, "a.csv") == before
    assert bastion.store.get_object(bucket, "b.csv") == b"bravo"


def test_corrupt_wrapped_key_or_swapped_blob_is_tampered(
    bastion: bastion_pkg.Bastion, bucket: str
) -> None:
    bastion.store.put_object(bucket, "a.csv", b"alpha")
    bastion.store.put_object(bucket, "b.csv", b"bravo")
    wrapped = bytearray(_row(bastion, bucket, "a.csv").wrapped_key)
    wrapped[-1] ^= 1
    _set_row(bastion, bucket, "a.csv", wrapped_key=bytes(wrapped))
    with pytest.raises(Tampered, match="disagree on the wrapped data key"):
        bastion.store.get_object(bucket, "a.csv")

    _set_row(bastion, bucket, "a.csv", blob=_row(bastion, bucket, "b.csv").blob)
    with pytest.raises(Tampered, match="encryption context"):
        bastion.store.get_object(bucket, "a.csv")
    assert bastion.store.get_object(bucket, "b.csv") == b"bravo"


def test_corrupt_columns_are_reported_and_the_object_can_still_be_deleted(
    bastion: bastion_pkg.Bastion, bucket: str
) -> None:
    bastion.store.put_object(bucket, "a.csv", b"alpha")
    _set_row(bastion, bucket, "a.csv", storage_class="NOPE")
    with pytest.raises(Tampered, match="unknown storage class 'NOPE'"):
        bastion.store.head_object(bucket, "a.csv")
    with pytest.raises(Tampered):
        bastion.store.list_objects(bucket)
    assert bastion.store.delete_object(bucket, "a.csv") is True


def test_tampered_blob_bytes(bastion: bastion_pkg.Bastion, bucket: str) -> None:
    bastion.store.put_object(bucket, "a.bin", BIG)
    path = _blob_path(bastion, bucket, "a.bin")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(Tampered, match="failed authentication"):
        bastion.store.get_object(bucket, "a.bin")
    with pytest.raises(Tampered), bastion.store.open_object(bucket, "a.bin") as fh:
        fh.read()

    path.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(Tampered):
        bastion.store.get_object(bucket, "a.bin")


def test_missing_blob_is_reported(bastion: bastion_pkg.Bastion, bucket: str) -> None:
    bastion.store.put_object(bucket, "a.bin", b"alpha")
    _blob_path(bastion, bucket, "a.bin").unlink()
    with pytest.raises(Tampered, match=r"stored bytes of object 'a.bin' .* are missing"):
        bastion.store.get_object(bucket, "a.bin")
