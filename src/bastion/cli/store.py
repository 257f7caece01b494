"""`bastion store …`: encrypted buckets and objects (one SDK call per command).

Objects are named ``BUCKET KEY`` everywhere: ``put FILE BUCKET [KEY]``, ``get BUCKET KEY DEST``,
``rm BUCKET KEY``. Large transfers show a progress bar on stderr, so ``--json`` output on stdout
stays clean.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from bastion.cli._common import JsonOption, emit, err_console, parse_pairs, session
from bastion.store import ObjectSummary, StorageClass

app = typer.Typer(
    help="Encrypted object store: buckets (mb, rb), objects (put, get, head, ls, rm).",
    no_args_is_help=True,
)

PROGRESS_MIN_BYTES = 8 << 20
"""Transfers at least this large show a progress bar (on stderr)."""

BUCKET_COLUMNS = ["name", "default_kms_key_arn", "created_at"]
OBJECT_COLUMNS = ["key", "size", "storage_class", "last_modified", "sha256"]
INFO_COLUMNS = ["bucket", "key", "size", "storage_class", "kms_key_arn", "version_id", "sha256"]

BucketArg = typer.Argument(..., help="Bucket name (3-63 lowercase letters, digits, '.', '-').")
KeyArg = typer.Argument(..., help="Object key, e.g. train/2026-01.csv")
KmsKeyOption = typer.Option(
    None,
    "--kms-key",
    help="KMS key (id, ARN, alias/… or alias ARN); default: the bucket's default key.",
)
TagOption = typer.Option(None, "--tag", help="KEY=VALUE tag; repeatable.")


@contextmanager
def _progress(total: int, label: str, *, show: bool) -> Iterator[Callable[[int], None] | None]:
    """A Rich progress bar on stderr fed with running byte counts (or nothing when small)."""
    if not show or total < PROGRESS_MIN_BYTES:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)


@app.command()
def mb(
    bucket: str = BucketArg,
    kms_key: str | None = typer.Option(
        None,
        "--key",
        "--kms-key",
        help="Default KMS key of the bucket (id, ARN, alias/…); default: alias/bastion/s3.",
    ),
    tag: list[str] | None = TagOption,
    as_json: bool = JsonOption,
) -> None:
    """Make a bucket whose objects are encrypted under a default key.

    Example: bastion store mb fraud-data --key alias/fraud-data
    """
    with session() as client:
        tags = parse_pairs(tag, field="tag")
        made = client.store.create_bucket(bucket, default_key_id=kms_key, tags=tags or None)
    emit(made, as_json=as_json, columns=BUCKET_COLUMNS, title="bucket created")


@app.command()
def rb(bucket: str = BucketArg, as_json: bool = JsonOption) -> None:
    """Remove an empty bucket.

    Example: bastion store rb fraud-data
    """
    with session() as client:
        client.store.delete_bucket(bucket)
    emit({"bucket": bucket, "deleted": True}, as_json=as_json, title="bucket removed")


@app.command()
def put(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="Local file to encrypt and store."
    ),
    bucket: str = BucketArg,
    key: str | None = typer.Argument(None, help="Object key (default: the file's name)."),
    kms_key: str | None = KmsKeyOption,
    tag: list[str] | None = TagOption,
    meta: list[str] | None = typer.Option(None, "--meta", help="NAME=VALUE user metadata."),
    storage_class: StorageClass = typer.Option(
        StorageClass.STANDARD, "--storage-class", help="Storage class of the object."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Encrypt FILE into BUCKET under KEY (a fresh data key per object; atomic).

    Example: bastion store put data/train.csv fraud-data train/2026-01.csv --tag dataset=fraud
    """
    with session() as client:
        tags = parse_pairs(tag, field="tag")
        metadata = parse_pairs(meta, field="meta")
        size = file.stat().st_size
        with _progress(size, f"put {file.name}", show=not as_json) as on_progress:
            info = client.store.put_object(
                bucket,
                key if key is not None else file.name,
                file,
                kms_key_id=kms_key,
                tags=tags or None,
                metadata=metadata or None,
                storage_class=storage_class,
                on_progress=on_progress,
            )
    emit(info, as_json=as_json, columns=INFO_COLUMNS, title="object stored")


@app.command()
def get(
    bucket: str = BucketArg,
    key: str = KeyArg,
    dest: str = typer.Argument(..., help="Local file to write, or '-' for stdout."),
    as_json: bool = JsonOption,
) -> None:
    """Decrypt BUCKET/KEY into DEST; the file appears only once its SHA-256 checked out.

    Example: bastion store get fraud-data train/2026-01.csv ./train.csv
    """
    with session() as client:
        if dest == "-":
            client.store.download_object(bucket, key, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        size = client.store.head_object(bucket, key).size
        with _progress(size, f"get {key}", show=not as_json) as on_progress:
            info = client.store.download_object(bucket, key, Path(dest), on_progress=on_progress)
    emit(info, as_json=as_json, columns=INFO_COLUMNS, title=f"written to {dest}")


@app.command()
def head(bucket: str = BucketArg, key: str = KeyArg, as_json: bool = JsonOption) -> None:
    """Show what is recorded about an object (size, SHA-256, key ARN, tags); no decryption.

    Example: bastion store head fraud-data train/2026-01.csv --json
    """
    with session() as client:
        info = client.store.head_object(bucket, key)
    emit(info, as_json=as_json, title="object")


@app.command()
def ls(
    bucket: str | None = typer.Argument(None, help="Bucket to list; without it, list buckets."),
    prefix: str = typer.Option("", "--prefix", help="Only keys that start with this."),
    as_json: bool = JsonOption,
) -> None:
    """List buckets, or the objects of a bucket in key order.

    Example: bastion store ls
    Example: bastion store ls fraud-data --prefix train/ --json
    """
    with session() as client:
        if bucket is None:
            buckets = client.store.list_buckets()
            emit(buckets, as_json=as_json, columns=BUCKET_COLUMNS, title="buckets")
            return
        objects: list[ObjectSummary] = []
        token: str | None = None
        while True:
            page = client.store.list_objects(bucket, prefix=prefix, continuation_token=token)
            objects.extend(page.objects)
            if not page.is_truncated:
                break
            token = page.next_continuation_token
    emit(objects, as_json=as_json, columns=OBJECT_COLUMNS, title=f"s3://{bucket}/{prefix}")


@app.command()
def rm(bucket: str = BucketArg, key: str = KeyArg, as_json: bool = JsonOption) -> None:
    """Delete an object (no error if it does not exist, as in S3; the output says which).

    Example: bastion store rm fraud-data train/2026-01.csv
    """
    with session() as client:
        deleted = client.store.delete_object(bucket, key)
    emit({"bucket": bucket, "key": key, "deleted": deleted}, as_json=as_json, title="rm")
