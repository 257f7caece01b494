"""Objects: put/get/head/list/delete/copy/tagging, streaming both ways, encryption facts."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest

import bastion as bastion_pkg
from bastion.errors import Invalid, NotFound
from bastion.store import ObjectInfo, StorageClass


def test_put_get_head_roundtrip(bastion: bastion_pkg.Bastion, bucket: str, fraud_key: str) -> None:
    body = b"amount,label\n12.5,0\n99.0,1\n"
    info = bastion.store.put_object(
        bucket,
        "train/2026-01.csv",
        body,
        tags={"dataset": "fraud"},
        storage_class="INFREQUENT_ACCESS",
        metadata={"content-type": "text/csv"},
    )
    assert isinstance(info, ObjectInfo)
    assert info.size == len(body)
    assert info.sha256 == hashlib.sha256(body).hexdigest()
    assert info.etag == f'"{info.sha256}"'
    assert info.kms_key_arn == fraud_key
    assert info.storage_class is StorageClass.INFREQUENT_ACCESS
    assert info.arn == "arn:bastion:s3:::fraud-data/train/2026-01.csv"
    assert info.server_side_encryption == "aws:kms"
    assert bastion.store.get_object(bucket, "train/2026-01.csv") == body
    assert bastion.store.head_object(bucket, "train/2026-01.csv") == info
    assert bastion.store.get_object_tagging(bucket, "train/2026-01.csv") == {"dataset": "fraud"}


def test_empty_object(bastion: bastion_pkg.Bastion, bucket: str) -> None:
    info = bastion.store.put_object(bucket, "empty", b"")
    assert info.size == 0
    assert bastion.store.get_object(bucket, "empty") == b""


def test_body_from_path_and_file_object(
    bastion: bastion_pkg.Bastion, bucket: str, tmp_path: Path
) -> None:
    source = tmp_path / "data.bin"
    source.write_bytes(bytes(range(256)) * 1000)
    bastion.store.put_object(bucket, "from-path", source)
    bastion.store.put_object(bucket, "from-str", str(source))
    with source.open("rb") as fh:
        bastion.store.put_object(bucket, "from-file", fh)
    for key in ("from-path", "from-str", "from-file"):
        assert bastion.store.get_object(bucket, key) == source.read_bytes()


def test_missing_body_path_is_invalid(bastion: bastion_pkg.Bastion, bucket: str) -> None:
    with pytest.raises(Invalid) as info:
        bastion.store.put_object(bucket, "k", str(Path("/nonexistent/file.csv")))
    assert info.value.field == "body"
    with pytest.raises(Invalid):
        bastion.store.put_object(bucket, "k", 12345)  # type: ignore[arg-type]


def test_streaming_download_open_and_progress(
    bastion: bastion_pkg.Bastion, bucket: str, tmp_path: Path
) -> None:
    body = bytes(range(256)) * 20_000  # 5 MB, several segments
    seen: list[int] = []
    bastion.store.put_object(bucket, "big.bin", io.BytesIO(body), on_progress=seen.append)
    assert seen and seen[-1] == len(body)

    dest = tmp_path / "out.bin"
    got: list[int] = []
    info = bastion.store.download_object(bucket, "big.bin", dest, on_progress=got.append)
    assert dest.read_bytes() == body
    assert info.size == len(body)
    assert got[-1] == len(body)
    assert not list(tmp_path.glob(".out.bin.*.part"))

    with bastion.store.open_object(bucket, "big.bin") as fh:
        first = fh.read(10)
        rest = fh.read()
    assert first + rest == body


def test_overwrite_makes_a_new_version_and_removes_the_old_blob(
    bastion: bastion_pkg.Bastion, bucket: str, blob_files: Callable[[], list[Path]]
) -> None:
    one = bastion.store.put_object(bucket, "model.onnx", b"v1")
    two = bastion.store.put_object(bucket, "model.onnx", b"v2")
    assert one.version_id != two.version_id
    assert bastion.store.get_object(bucket, "model.onnx") == b"v2"
    assert len(blob_files()) == 1


def test_missing_object(bastion: bastion_pkg.Bastion, bucket: str) -> None:
    message = "Object 'nope.csv' not found in bucket 'fraud-data'"
    with pytest.raises(NotFound, match=message):
        bastion.store.get_object(bucket, "nope.csv")
    with pytest.raises(NotFound, match=message):
        bastion.store.head_object(bucket, "nope.csv")
    with pytest.raises(NotFound, match=message):
        bastion.store.open_object(bucket, "nope.csv")
    with pytest.raises(NotFound, match=message):
        bastion.store.put_object_tagging(bucket, "nope.csv", {"a": "b"})
    assert bastion.store.delete_object(bucket, "nope.csv") is False


def test_delete(
    bastion: bastion_pkg.Bastion, bucket: str, blob_files: Callable[[], list[Path]]
) -> None:
    bastion.store.put_object(bucket, "a", b"1")
    assert bastion.store.delete_object(bucket, "a") is True
    with pytest.raises(NotFound):
        bastion.store.get_object(bucket, "a")
    assert blob_files() == []


def test_list_prefix_order_and_pages(bastion: bastion_pkg.Bastion, bucket: str) -> None:
    keys = ["b/2", "a", "b/1", "B", "b/10", "é", "z", "b_", "b%"]
    for key in keys:
        bastion.store.put_object(bucket, key, key.encode())
    listing = bastion.store.list_objects(bucket)
    assert [o.key for o in listing.objects] == sorted(keys, key=lambda k: k.encode())
    assert not listing.is_truncated and listing.next_continuation_token is None

    assert [o.key for o in bastion.store.list_objects(bucket, prefix="b/").objects] == [
        "b/1",
        "b/10",
        "b/2",
    ]
    assert [o.key for o in bastion.store.list_objects(bucket, prefix="b%").objects] == ["b%"]
    assert bastion.store.list_objects(bucket, prefix="b/1").key_count == 2

    pages: list[str] = []
    token = None
    while True:
        page = bastion.store.list_objects(bucket, max_keys=2, continuation_token=token)
        pages += [o.key for o in page.objects]
        if not page.is_truncated:
            break
        token = page.next_continuation_token
    assert pages == sorted(keys, key=lambda k: k.encode())

    after = bastion.store.list_objects(bucket, start_after="b/2")
    assert [o.key for o in after.objects] == ["b_", "z", "é"]


@pytest.mark.parametrize("max_keys", [0, 1001, True, "5"])
def test_list_max_keys_is_validated(
    bastion: bastion_pkg.Bastion, bucket: str, max_keys: object
) -> None:
    with pytest.raises(Invalid, match="'max_keys' parameter of ListObjectsV2"):
        bastion.store.list_objects(bucket, max_keys=max_keys)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"prefix": "a\x00"}, "prefix"),
        ({"prefix": 5}, "prefix"),
        ({"start_after": "\ud800"}, "start_after"),
        ({"continuation_token": "x" * 2000}, "continuation_token"),
    ],
)
def test_list_cursor_and_prefix_are_validated(
    bastion: bastion_pkg.Bastion, bucket: str, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(Invalid) as info:
        bastion.store.list_objects(bucket, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_copy_reencrypts_under_the_destination_key(
    bastion: bastion_pkg.Bastion, bucket: str, fraud_key: str
) -> None:
    other = bastion.keys.create_key(description="reports")
    bastion.store.create_bucket("reports", default_key_id=other.arn)
    src = bastion.store.put_object(
        bucket, "a.csv", b"payload", tags={"t": "1"}, metadata={"m": "v"}, storage_class="ARCHIVE"
    )
    copied = bastion.store.copy_object(bucket, "a.csv", "reports", "copy.csv")
    assert copied.kms_key_arn == other.arn != src.kms_key_arn
    assert copied.sha256 == src.sha256
    assert copied.tags == {"t": "1"} and copied.metadata == {"m": "v"}
    assert copied.storage_class is StorageClass.ARCHIVE
    assert bastion.store.get_object("reports", "copy.csv") == b"payload"

    rekeyed = bastion.store.copy_object(bucket, "a.csv", bucket, "a.csv", kms_key_id=other.arn)
    assert rekeyed.kms_key_arn == other.arn
    assert bastion.store.get_object(bucket, "a.csv") == b"payload"
    events = [(e["eventName"], e["resources"][0]["ARN"]) for e in bastion.runtime.trail.events]
    assert ("GetObject", "arn:bastion:s3:::fraud-data/a.csv") in events
    assert ("PutObject", "arn:bastion:s3:::reports/copy.csv") in events


def test_tagging(bastion: bastion_pkg.Bastion, bucket: str) -> None:
    bastion.store.put_object(bucket, "a", b"1", tags={"x": "1"})
    bastion.store.put_object_tagging(bucket, "a", {"y": "2"})
    assert bastion.store.get_object_tagging(bucket, "a") == {"y": "2"}
    with pytest.raises(Invalid, match="at most 10 tags"):
        bastion.store.put_object_tagging(bucket, "a", {str(i): "" for i in range(11)})


def test_storage_class_is_validated(bastion: bastion_pkg.Bastion, bucket: str) -> None:
    with pytest.raises(Invalid, match="'storage_class' parameter of PutObject must be one of"):
        bastion.store.put_object(bucket, "a", b"1", storage_class="GLACIER")


def test_explicit_key_overrides_bucket_default(bastion: bastion_pkg.Bastion, bucket: str) -> None:
    other = bastion.keys.create_key(description="other")
    info = bastion.store.put_object(bucket, "a", b"1", kms_key_id=other.key_id)
    assert info.kms_key_arn == other.arn
    assert bastion.store.get_object(bucket, "a") == b"1"


def test_every_object_gets_its_own_data_key_bound_to_its_arn(
    bastion: bastion_pkg.Bastion, bucket: str
) -> None:
    bastion.store.put_object(bucket, "a", b"1")
    bastion.store.put_object(bucket, "b", b"1")
    kms = [e for e in bastion.runtime.trail.events if e["eventName"] == "GenerateDataKey"]
    assert len(kms) == 2
    for event, key in zip(kms, ["a", "b"], strict=True):
        assert event["userIdentity"]["invokedBy"] == "s3.amazonaws.com"
        context = event["requestParameters"]["encryptionContext"]
        assert context == {"aws:s3:arn": f"arn:bastion:s3:::fraud-data/{key}"}


def test_object_calls_are_data_events(bastion: bastion_pkg.Bastion, bucket: str) -> None:
    bastion.store.put_object(bucket, "a", b"1")
    bastion.store.get_object(bucket, "a")
    s3 = [e for e in bastion.runtime.trail.events if e["eventSource"] == "s3.amazonaws.com"]
    put, get = s3[-2], s3[-1]
    assert (put["eventName"], put["eventCategory"], put["managementEvent"]) == (
        "PutObject",
        "Data",
        False,
    )
    assert put["responseElements"]["x-amz-server-side-encryption"] == "aws:kms"
    assert (get["eventName"], get["readOnly"]) == ("GetObject", True)


def test_bytes_at_rest_hold_no_plaintext(
    bastion: bastion_pkg.Bastion, bucket: str, blob_files: Callable[[], list[Path]]
) -> None:
    marker = b"CARDHOLDER-4111111111111111-SECRET"
    bastion.store.put_object(bucket, "cards.csv", marker * 1000)
    files = blob_files()
    assert files
    for path in files:
        assert marker not in path.read_bytes()
        assert marker[:16] not in path.read_bytes()


def test_streaming_uses_constant_memory(
    bastion: bastion_pkg.Bastion, bucket: str, tmp_path: Path
) -> None:
    import tracemalloc

    size = 24 << 20
    source = tmp_path / "big.bin"
    with source.open("wb") as fh:
        for i in range(size >> 20):
            fh.write(bytes([i]) * (1 << 20))
    tracemalloc.start()
    try:
        bastion.store.put_object(bucket, "big.bin", source)
        bastion.store.download_object(bucket, "big.bin", tmp_path / "out.bin")
        with bastion.store.open_object(bucket, "big.bin") as fh:
            while fh.read(1 << 20):
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 12 << 20, f"peak {peak / 2**20:.1f} MiB for a {size >> 20} MiB object"
    assert (tmp_path / "out.bin").stat().st_size == size
