"""Key material at rest: only sealed, bound to its key and version; corrupt rows are named."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bastion.db import Database, metadata
from bastion.errors import InvalidState, Tampered
from bastion.keys import KeysClient, KeyService
from bastion.keys._root import RootSealer
from bastion.keys._tables import TABLES, kms_key_versions
from bastion.keys.backends import FakeKms, LocalKeystore
from bastion.keys.backends._local import material_aad


def _material_row(db: Database, key_id: str, version: int = 1) -> bytes:
    with db.read() as conn:
        return bytes(
            conn.execute(
                sa.select(kms_key_versions.c.material).where(
                    kms_key_versions.c.key_id == key_id, kms_key_versions.c.version == version
                )
            ).scalar_one()
        )


def _write_material(db: Database, key_id: str, material: bytes, version: int = 1) -> None:
    with db.write() as conn:
        conn.execute(
            kms_key_versions.update()
            .where(kms_key_versions.c.key_id == key_id, kms_key_versions.c.version == version)
            .values(material=material)
        )


def test_material_is_stored_sealed_and_bound_to_key_and_version(bastion) -> None:  # type: ignore[no-untyped-def]
    keys: KeysClient = bastion.keys
    runtime = bastion.runtime
    key = keys.create_key()
    keys.rotate_key_on_demand(key.key_id)
    raw = [
        runtime.sealer.open(
            _material_row(runtime.db, key.key_id, v), aad=material_aad(key.key_id, v)
        )
        for v in (1, 2)
    ]
    assert all(len(m) == 32 for m in raw) and raw[0] != raw[1]
    with runtime.db.read() as conn:
        for table in TABLES:
            for row in conn.execute(sa.select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        assert not any(m in bytes(value) for m in raw)
    if runtime.db.is_sqlite:
        path = Path(str(runtime.db.url.database))
        on_disk = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert _material_row(runtime.db, key.key_id) in on_disk  # the sealed form is there
        assert not any(m in on_disk for m in raw)  # the plaintext form never is


def test_corrupt_material_row_names_the_key(bastion) -> None:  # type: ignore[no-untyped-def]
    keys: KeysClient = bastion.keys
    db = bastion.runtime.db
    key, other = keys.create_key(), keys.create_key()
    blob = keys.encrypt(key.key_id, b"secret").ciphertext_blob
    sealed = bytearray(_material_row(db, key.key_id))
    sealed[20] ^= 0x01
    _write_material(db, key.key_id, bytes(sealed))
    for call in (
        lambda: keys.encrypt(key.key_id, b"x"),
        lambda: keys.decrypt(blob),
        lambda: keys.generate_data_key(key.key_id),
    ):
        with pytest.raises(Tampered) as info:
            call()
        assert f"key '{key.key_id}' version 1" in info.value.message
        assert "restore the row from a backup" in info.value.message
    assert keys.encrypt(other.key_id, b"fine").key_id == other.arn


@pytest.mark.parametrize("damage", [b"", b"\x01short", b"\x02" + b"\x00" * 60])
def test_malformed_material_row_is_tampered(bastion, damage: bytes) -> None:  # type: ignore[no-untyped-def]
    keys: KeysClient = bastion.keys
    key = keys.create_key()
    _write_material(bastion.runtime.db, key.key_id, damage)
    with pytest.raises(Tampered, match=key.key_id):
        keys.encrypt(key.key_id, b"x")


def test_material_copied_from_another_key_does_not_open(bastion) -> None:  # type: ignore[no-untyped-def]
    keys: KeysClient = bastion.keys
    db = bastion.runtime.db
    a, b = keys.create_key(), keys.create_key()
    _write_material(db, b.key_id, _material_row(db, a.key_id))
    with pytest.raises(Tampered, match=b.key_id):
        keys.encrypt(b.key_id, b"x")
    # nor from another version of the same key
    keys.rotate_key_on_demand(a.key_id)
    _write_material(db, a.key_id, _material_row(db, a.key_id, 1), version=2)
    with pytest.raises(Tampered, match="version 2"):
        keys.encrypt(a.key_id, b"x")


def test_wrong_root_key_cannot_use_material(
    make_service: Callable[..., KeyService], sealer: RootSealer
) -> None:
    service = make_service()
    key = service.create_key()
    blob = service.encrypt(key.key_id, b"x").ciphertext_blob
    other = make_service(LocalKeystore(RootSealer(os.urandom(32))))
    with pytest.raises(Tampered, match="root key"):
        other.decrypt(blob)


def test_key_of_another_backend_is_refused_by_name(make_service: Callable[..., KeyService]) -> None:
    fake = make_service(FakeKms())
    key = fake.create_key()
    assert key.backend == "fake-kms" and key.origin == "EXTERNAL_KEY_STORE"
    with pytest.raises(InvalidState, match="BASTION_KEYS__BACKEND=fake-kms"):
        make_service().encrypt(key.key_id, b"x")


@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning"
)
@pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index"
)
def test_migration_matches_tables(database: Database) -> None:
    mine = {t.name for t in TABLES}
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    ours = [d for d in diff if any(name in repr(d) for name in mine)]
    assert ours == []
    assert mine <= set(sa.inspect(database.engine).get_table_names())
