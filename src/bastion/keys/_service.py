"""The key service: master keys with AWS KMS semantics, reached only through the gate.

Keys are symmetric (``SYMMETRIC_DEFAULT``, ``ENCRYPT_DECRYPT``: encrypt, decrypt, data keys,
rotation) or asymmetric signing keys (``SIGN_VERIFY``, a key spec of
:data:`~bastion.keys._asymmetric.SIGNING_SPECS`: sign, verify, get the public key; no rotation, as
in KMS). An operation of the other usage raises :class:`InvalidKeyUsage`.

States: ``Enabled`` <-> ``Disabled`` (EnableKey/DisableKey); either -> ``PendingDeletion``
(ScheduleKeyDeletion, 7-30 days) -> ``Disabled`` (CancelKeyDeletion) or gone (maintenance after
the deletion date). Only an ``Enabled`` key encrypts or decrypts: a disabled key raises
:class:`Disabled`, a key pending deletion :class:`InvalidState`, an unknown one :class:`NotFound`.

Each key has material versions 1..n. Rotation (on demand, or automatic when due at maintenance)
adds a version; new ciphertexts use the newest, old ones keep decrypting with theirs. Material
lives in a :class:`~bastion.keys.backends.KeyBackend`; the database keeps only what the backend
returns (sealed material, or a handle). Every time comes from the injected clock.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bastion._text import has_control, unstorable
from bastion.access import PARTITION
from bastion.access.policy import parse_policy
from bastion.clock import Clock, iso_z
from bastion.db import Database
from bastion.errors import (
    Conflict,
    Disabled,
    Invalid,
    InvalidCiphertext,
    InvalidKeyUsage,
    InvalidSignature,
    InvalidState,
    NotFound,
    Tampered,
    UnsupportedOperation,
)
from bastion.keys import _asymmetric
from bastion.keys._asymmetric import MAX_MESSAGE, MAX_SIGNATURE, MESSAGE_TYPES, SIGN_VERIFY
from bastion.keys._ciphertext import (
    NOT_AUTHENTIC,
    canonical_context,
    pack_header,
    split_blob,
    validate_blob,
)
from bastion.keys._models import (
    ENCRYPTION_ALGORITHM,
    KEY_SPEC,
    KEY_USAGE,
    AliasEntry,
    DataKey,
    DecryptResult,
    EncryptedDataKey,
    EncryptResult,
    KeyMetadata,
    KeyState,
    PublicKeyResult,
    ReEncryptResult,
    Rotation,
    RotationStatus,
    RotationType,
    ScheduledDeletion,
    SignResult,
    VerifyResult,
)
from bastion.keys._tables import kms_aliases, kms_key_tags, kms_key_versions, kms_keys
from bastion.keys.backends import KeyBackend, MaterialRef
from bastion.keys.backends._port import NONCE_SIZE
from bastion.types import AccountId, Arn, KeyId

log = logging.getLogger(__name__)

MAX_PLAINTEXT = 4096
MAX_POLICY_BYTES = 32 * 1024
MAX_DESCRIPTION = 8192
MAX_IDENTIFIER = 2048
MAX_TAGS = 50
DELETION_WINDOW = (7, 30)
ROTATION_PERIOD = (90, 2560)
DATA_KEY_BYTES = (1, 1024)
DATA_KEY_SPECS = {"AES_256": 32, "AES_128": 16}
POLICY_NAME = "default"
ALIAS_PREFIX = "alias/"
RESERVED_ALIAS_PREFIX = "alias/aws/"
_ALIAS_RE = re.compile(r"alias/[A-Za-z0-9/_-]{1,250}")

IDENTIFIER_EXPECTED = "a key id, key ARN, alias name (alias/…) or alias ARN"
ALIAS_EXPECTED = (
    "'alias/' followed by 1-250 letters, digits, '/', '_' or '-', not starting with 'alias/aws/'"
)
TARGET_EXPECTED = "a key id or key ARN (an alias cannot point at another alias)"
POLICY_EXPECTED = "a JSON object of at most 32 KB (a key policy document)"
TAG_KEY_EXPECTED = (
    "a string of 1-128 characters, without control characters, not starting with 'aws:'"
)
TAG_VALUE_EXPECTED = "a string of at most 256 characters without control characters"
TEXT_EXPECTED = "text without NUL characters or lone surrogates"
KEY_USAGE_EXPECTED = f"'{KEY_USAGE}' or '{SIGN_VERIFY}'"
KEY_SPEC_EXPECTED = (
    f"'{KEY_SPEC}' ({KEY_USAGE}) or an asymmetric signing key spec ({SIGN_VERIFY}): "
    + ", ".join(_asymmetric.SIGNING_SPECS)
)
MESSAGE_TYPE_EXPECTED = " or ".join(f"'{t}'" for t in MESSAGE_TYPES)
IDENTIFIER_TEXT_EXPECTED = "an identifier without control characters or lone surrogates"


def _utc(moment: datetime) -> datetime:
    """Datetimes read back from SQLite are naive; every stored time is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _opt_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else _utc(moment)


def _int_in(value: object, bounds: tuple[int, int], *, field: str, operation: str) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(
            field, got=value, expected=f"an integer in [{low}, {high}]", operation=operation
        )
    return value


def default_policy(account_id: str) -> str:
    """The KMS default key policy: the account root may do everything (delegates to IAM)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{PARTITION}:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        },
        indent=2,
    )


@dataclass(frozen=True)
class _Ident:
    """A parsed key identifier: a key id, or an alias name."""

    kind: str  # "key" | "alias"
    value: str


class KeyService:
    """Raw key operations on the database and a key backend (the client wraps them in the gate)."""

    def __init__(
        self,
        *,
        db: Database,
        backend: KeyBackend,
        clock: Clock,
        account_id: AccountId,
        region: str = "local",
    ) -> None:
        self.db = db
        self.backend = backend
        self.clock = clock
        self.account_id = account_id
        self.region = region
        self._arn_prefix = f"arn:{PARTITION}:kms:{region}:{account_id}:"

    # ----------------------------------------------------------------- identifiers and ARNs

    def key_arn(self, key_id: str) -> Arn:
        """The ARN of key ``key_id`` in this account and region."""
        return Arn(f"{self._arn_prefix}key/{key_id}")

    def alias_arn(self, alias_name: str) -> Arn:
        """The ARN of alias ``alias/…``."""
        return Arn(f"{self._arn_prefix}{alias_name}")

    def _parse(self, value: object, *, field: str = "key_id", operation: str) -> _Ident:
        if not isinstance(value, str) or not value or len(value) > MAX_IDENTIFIER:
            shown = value if isinstance(value, str) else type(value).__name__
            raise Invalid(field, got=shown, expected=IDENTIFIER_EXPECTED, operation=operation)
        if has_control(value):
            raise Invalid(
                field, got=_safe(value), expected=IDENTIFIER_TEXT_EXPECTED, operation=operation
            )
        if value.startswith(ALIAS_PREFIX):
            return _Ident("alias", value)
        if value.startswith("arn:"):
            if value.startswith(self._arn_prefix):
                rest = value[len(self._arn_prefix) :]
                if rest.startswith("key/") and len(rest) > 4:
                    return _Ident("key", rest[4:])
                if rest.startswith(ALIAS_PREFIX):
                    return _Ident("alias", rest)
            raise NotFound(
                f"Key '{value}' not found: it is not a key or alias ARN of this account "
                f"(they start with '{self._arn_prefix}')"
            )
        return _Ident("key", value)

    def resource_arn(self, identifier: object) -> Arn:
        """The ARN the gate authorizes and audits for ``identifier`` (best effort, never raises).

        An alias names the key it points at, as KMS authorizes the key, not the alias. Something
        that cannot be resolved keeps its own form; the operation itself then reports the error.
        """
        try:
            ident = self._parse(identifier, operation="resolve")
        except (Invalid, NotFound):
            if isinstance(identifier, str) and not has_control(identifier):
                return Arn(identifier)
            return self.key_arn("*")
        if ident.kind == "key":
            return self.key_arn(ident.value)
        with self.db.read() as conn:
            target = conn.execute(
                sa.select(kms_aliases.c.target_key_id).where(
                    kms_aliases.c.alias_name == ident.value
                )
            ).scalar_one_or_none()
        return self.key_arn(target) if target is not None else self.alias_arn(ident.value)

    def _key_row(
        self, conn: Connection, identifier: object, *, operation: str, lock: bool = False
    ) -> Row[Any]:
        ident = self._parse(identifier, operation=operation)
        query = sa.select(kms_keys)
        if ident.kind == "alias":
            query = query.join(kms_aliases, kms_aliases.c.target_key_id == kms_keys.c.key_id).where(
                kms_aliases.c.alias_name == ident.value
            )
        else:
            query = query.where(kms_keys.c.key_id == ident.value)
        if lock:
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            what = "Alias" if ident.kind == "alias" else "Key"
            raise NotFound(
                f"{what} '{identifier}' not found; list keys with 'bastion keys list' "
                "(a key may also be named by its ARN, alias name or alias ARN)"
            )
        return row

    # ----------------------------------------------------------------- state rules

    def _require_usable(self, row: Row[Any]) -> None:
        """Only an Enabled key may be used (or rotated)."""
        state = KeyState(row.state)
        if state is KeyState.DISABLED:
            raise Disabled(
                f"Key '{row.arn}' is disabled; enable it first "
                f"(EnableKey, or 'bastion keys enable {row.key_id}')"
            )
        if state is KeyState.PENDING_DELETION:
            self._refuse_pending(row)
        if row.backend != self.backend.name:
            raise InvalidState(
                f"Key '{row.arn}' is held by the '{row.backend}' key backend but this "
                f"installation uses '{self.backend.name}'; set BASTION_KEYS__BACKEND={row.backend}"
            )

    @staticmethod
    def _refuse_pending(row: Row[Any]) -> None:
        if KeyState(row.state) is KeyState.PENDING_DELETION:
            raise InvalidState(
                f"Key '{row.arn}' is pending deletion (deletion date "
                f"{iso_z(_utc(row.deletion_date))}); cancel the deletion first "
                f"(CancelKeyDeletion, or 'bastion keys cancel-deletion {row.key_id}')"
            )

    @staticmethod
    def _require_usage(row: Row[Any], usage: str, *, operation: str) -> None:
        """KMS refuses an operation of the other key usage (InvalidKeyUsageException)."""
        if row.key_usage != usage:
            raise InvalidKeyUsage(
                f"Key '{row.arn}' has KeyUsage {row.key_usage} (key spec {row.key_spec}); "
                f"{operation} needs a {usage} key"
            )

    @staticmethod
    def _signing_spec(row: Row[Any]) -> _asymmetric.SigningSpec:
        spec = _asymmetric.SIGNING_SPECS.get(row.key_spec)
        if spec is None:
            raise Tampered(
                f"Key '{row.arn}' has KeyUsage {SIGN_VERIFY} but key spec {row.key_spec!r}, "
                "which does not sign; the key's row was modified, restore it from a backup"
            )
        return spec

    @staticmethod
    def _refuse_rotation(row: Row[Any]) -> None:
        if row.key_spec != KEY_SPEC:
            raise UnsupportedOperation(
                f"Key '{row.arn}' is an asymmetric {row.key_spec} key: only symmetric "
                "encryption keys rotate, as in KMS. To replace a signing key, create a new key "
                "and point its alias at it (UpdateAlias)"
            )

    def _metadata(self, row: Row[Any]) -> KeyMetadata:
        signing = _asymmetric.SIGNING_SPECS.get(row.key_spec)
        return KeyMetadata(
            key_id=KeyId(row.key_id),
            arn=Arn(row.arn),
            aws_account_id=self.account_id,
            description=row.description,
            creation_date=_utc(row.created_at),
            key_state=KeyState(row.state),
            key_usage=row.key_usage,
            key_spec=row.key_spec,
            origin=row.origin,
            backend=row.backend,
            deletion_date=_opt_utc(row.deletion_date),
            pending_deletion_window_in_days=row.pending_window_days,
            current_version=row.current_version,
            encryption_algorithms=() if signing is not None else (ENCRYPTION_ALGORITHM,),
            signing_algorithms=signing.algorithms if signing is not None else (),
        )

    # ----------------------------------------------------------------- keys

    def create_key(
        self,
        *,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        policy: str | None = None,
        key_usage: str = KEY_USAGE,
        key_spec: str = KEY_SPEC,
    ) -> KeyMetadata:
        """CreateKey: a symmetric encryption key, or an asymmetric signing key (``SIGN_VERIFY``
        with a key spec such as ``ECC_NIST_P256``), with its first material version."""
        op = "CreateKey"
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            raise Invalid(
                "description",
                got=description if isinstance(description, str) else type(description).__name__,
                expected=f"a string of at most {MAX_DESCRIPTION} characters",
                operation=op,
            )
        if unstorable(description):
            raise Invalid(
                "description", got=_safe(description), expected=TEXT_EXPECTED, operation=op
            )
        _check_key_kind(key_usage, key_spec, operation=op)
        clean_tags = _validate_tags(tags or {}, operation=op)
        policy_text = default_policy(self.account_id) if policy is None else policy
        _validate_policy(policy_text, operation=op)
        key_id = KeyId(str(uuid.uuid4()))
        now = self.clock.now()
        if key_usage == SIGN_VERIFY:
            stored = self.backend.create_signing_material(key_id, 1, key_spec)
        else:
            stored = self.backend.create_material(key_id, 1)
        try:
            with self.db.write() as conn:
                conn.execute(
                    kms_keys.insert().values(
                        key_id=key_id,
                        arn=self.key_arn(key_id),
                        description=description,
                        key_usage=key_usage,
                        key_spec=key_spec,
                        origin=self.backend.origin,
                        backend=self.backend.name,
                        state=KeyState.ENABLED.value,
                        created_at=now,
                        rotation_enabled=False,
                        current_version=1,
                        policy=policy_text,
                    )
                )
                conn.execute(
                    kms_key_versions.insert().values(
                        key_id=key_id, version=1, material=stored, created_at=now
                    )
                )
                if clean_tags:
                    conn.execute(
                        kms_key_tags.insert(),
                        [
                            {"key_id": key_id, "tag_key": k, "tag_value": v}
                            for k, v in clean_tags.items()
                        ],
                    )
                row = self._key_row(conn, key_id, operation=op)
        except Exception:
            self.backend.destroy_material(MaterialRef(key_id=key_id, version=1, stored=stored))
            raise
        log.info("keys.create key=%s spec=%s backend=%s", key_id, key_spec, self.backend.name)
        return self._metadata(row)

    def describe_key(self, key_id: str) -> KeyMetadata:
        """DescribeKey."""
        with self.db.read() as conn:
            return self._metadata(self._key_row(conn, key_id, operation="DescribeKey"))

    def list_keys(self) -> list[KeyMetadata]:
        """ListKeys: every key of the account (with full metadata), oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(kms_keys).order_by(kms_keys.c.created_at, kms_keys.c.key_id)
            ).all()
        return [self._metadata(row) for row in rows]

    def _set_state(self, key_id: str, state: KeyState, *, operation: str) -> KeyMetadata:
        with self.db.write() as conn:
            row = self._key_row(conn, key_id, operation=operation, lock=True)
            self._refuse_pending(row)
            if row.state != state.value:
                conn.execute(
                    kms_keys.update()
                    .where(kms_keys.c.key_id == row.key_id)
                    .values(state=state.value)
                )
            row = self._key_row(conn, row.key_id, operation=operation)
        log.info("keys.state key=%s state=%s", row.key_id, state.value)
        return self._metadata(row)

    def enable_key(self, key_id: str) -> KeyMetadata:
        """EnableKey: Disabled -> Enabled (refused while pending deletion)."""
        return self._set_state(key_id, KeyState.ENABLED, operation="EnableKey")

    def disable_key(self, key_id: str) -> KeyMetadata:
        """DisableKey: Enabled -> Disabled (refused while pending deletion)."""
        return self._set_state(key_id, KeyState.DISABLED, operation="DisableKey")

    def schedule_key_deletion(
        self, key_id: str, *, pending_window_in_days: int = 30
    ) -> ScheduledDeletion:
        """ScheduleKeyDeletion: the key becomes unusable now and is deleted after the window."""
        op = "ScheduleKeyDeletion"
        days = _int_in(
            pending_window_in_days, DELETION_WINDOW, field="pending_window_in_days", operation=op
        )
        with self.db.write() as conn:
            row = self._key_row(conn, key_id, operation=op, lock=True)
            self._refuse_pending(row)
            deletion_date = self.clock.now() + timedelta(days=days)
            conn.execute(
                kms_keys.update()
                .where(kms_keys.c.key_id == row.key_id)
                .values(
                    state=KeyState.PENDING_DELETION.value,
                    deletion_date=deletion_date,
                    pending_window_days=days,
                )
            )
        log.info("keys.schedule_deletion key=%s days=%d", row.key_id, days)
        return ScheduledDeletion(
            key_id=Arn(row.arn),
            deletion_date=deletion_date,
            key_state=KeyState.PENDING_DELETION,
            pending_window_in_days=days,
        )

    def cancel_key_deletion(self, key_id: str) -> KeyMetadata:
        """CancelKeyDeletion: PendingDeletion -> Disabled, as KMS does."""
        op = "CancelKeyDeletion"
        with self.db.write() as conn:
            row = self._key_row(conn, key_id, operation=op, lock=True)
            if KeyState(row.state) is not KeyState.PENDING_DELETION:
                raise InvalidState(
                    f"Key '{row.arn}' is not pending deletion (its state is {row.state}); "
                    "there is no deletion to cancel"
                )
            conn.execute(
                kms_keys.update()
                .where(kms_keys.c.key_id == row.key_id)
                .values(state=KeyState.DISABLED.value, deletion_date=None, pending_window_days=None)
            )
            row = self._key_row(conn, row.key_id, operation=op)
        log.info("keys.cancel_deletion key=%s", row.key_id)
        return self._metadata(row)

    # ----------------------------------------------------------------- aliases

    def _alias_entry(self, row: Row[Any]) -> AliasEntry:
        return AliasEntry(
            alias_name=row.alias_name,
            alias_arn=self.alias_arn(row.alias_name),
            target_key_id=KeyId(row.target_key_id),
            creation_date=_utc(row.created_at),
            last_updated_date=_utc(row.updated_at),
        )

    def _alias_target(self, conn: Connection, target_key_id: object, *, operation: str) -> Row[Any]:
        ident = self._parse(target_key_id, field="target_key_id", operation=operation)
        if ident.kind == "alias":
            raise Invalid(
                "target_key_id", got=target_key_id, expected=TARGET_EXPECTED, operation=operation
            )
        row = self._key_row(conn, target_key_id, operation=operation, lock=True)
        self._refuse_pending(row)
        return row

    def create_alias(self, alias_name: str, target_key_id: str) -> AliasEntry:
        """CreateAlias: a new ``alias/…`` name for a key."""
        op = "CreateAlias"
        name = _validate_alias(alias_name, operation=op)
        now = self.clock.now()
        with self.db.write() as conn:
            self.db.lock(conn, "kms:aliases")
            key = self._alias_target(conn, target_key_id, operation=op)
            exists = conn.execute(
                sa.select(kms_aliases.c.alias_name).where(kms_aliases.c.alias_name == name)
            ).first()
            if exists is not None:
                raise Conflict(
                    f"Alias '{name}' already exists; point it elsewhere with UpdateAlias "
                    "('bastion keys alias' does that) or choose another name"
                )
            conn.execute(
                kms_aliases.insert().values(
                    alias_name=name, target_key_id=key.key_id, created_at=now, updated_at=now
                )
            )
            row = conn.execute(sa.select(kms_aliases).where(kms_aliases.c.alias_name == name)).one()
        log.info("keys.alias.create alias=%s key=%s", name, key.key_id)
        return self._alias_entry(row)

    def update_alias(self, alias_name: str, target_key_id: str) -> AliasEntry:
        """UpdateAlias: point an existing alias at another key."""
        op = "UpdateAlias"
        name = _validate_alias(alias_name, operation=op)
        with self.db.write() as conn:
            self.db.lock(conn, "kms:aliases")
            if (
                conn.execute(
                    sa.select(kms_aliases.c.alias_name).where(kms_aliases.c.alias_name == name)
                ).first()
                is None
            ):
                raise NotFound(f"Alias '{name}' not found; create it with CreateAlias first")
            key = self._alias_target(conn, target_key_id, operation=op)
            conn.execute(
                kms_aliases.update()
                .where(kms_aliases.c.alias_name == name)
                .values(target_key_id=key.key_id, updated_at=self.clock.now())
            )
            row = conn.execute(sa.select(kms_aliases).where(kms_aliases.c.alias_name == name)).one()
        log.info("keys.alias.update alias=%s key=%s", name, key.key_id)
        return self._alias_entry(row)

    def delete_alias(self, alias_name: str) -> None:
        """DeleteAlias (the key is untouched)."""
        name = _validate_alias(alias_name, operation="DeleteAlias")
        with self.db.write() as conn:
            self.db.lock(conn, "kms:aliases")
            deleted = conn.execute(kms_aliases.delete().where(kms_aliases.c.alias_name == name))
            if deleted.rowcount == 0:
                raise NotFound(f"Alias '{name}' not found; list aliases with ListAliases")
        log.info("keys.alias.delete alias=%s", name)

    def list_aliases(self, key_id: str | None = None) -> list[AliasEntry]:
        """ListAliases, optionally only those of one key; sorted by name."""
        with self.db.read() as conn:
            query = sa.select(kms_aliases).order_by(kms_aliases.c.alias_name)
            if key_id is not None:
                row = self._key_row(conn, key_id, operation="ListAliases")
                query = query.where(kms_aliases.c.target_key_id == row.key_id)
            rows = conn.execute(query).all()
        return [self._alias_entry(row) for row in rows]

    # ----------------------------------------------------------------- rotation

    def _add_version(self, conn: Connection, row: Row[Any], rotation_type: RotationType) -> int:
        version = int(row.current_version) + 1
        stored = self.backend.create_material(KeyId(row.key_id), version)
        try:
            conn.execute(
                kms_key_versions.insert().values(
                    key_id=row.key_id,
                    version=version,
                    material=stored,
                    rotation_type=rotation_type.value,
                    created_at=self.clock.now(),
                )
            )
            conn.execute(
                kms_keys.update()
                .where(kms_keys.c.key_id == row.key_id)
                .values(current_version=version)
            )
        except Exception:
            self.backend.destroy_material(
                MaterialRef(key_id=KeyId(row.key_id), version=version, stored=stored)
            )
            raise
        return version

    def enable_key_rotation(
        self, key_id: str, *, rotation_period_in_days: int = 365
    ) -> RotationStatus:
        """EnableKeyRotation: rotate automatically every ``rotation_period_in_days`` (90-2560)."""
        op = "EnableKeyRotation"
        period = _int_in(
            rotation_period_in_days, ROTATION_PERIOD, field="rotation_period_in_days", operation=op
        )
        with self.db.write() as conn:
            row = self._key_row(conn, key_id, operation=op, lock=True)
            self._refuse_rotation(row)
            self._require_usable(row)
            conn.execute(
                kms_keys.update()
                .where(kms_keys.c.key_id == row.key_id)
                .values(
                    rotation_enabled=True,
                    rotation_period_days=period,
                    next_rotation_at=self.clock.now() + timedelta(days=period),
                )
            )
            row = self._key_row(conn, row.key_id, operation=op)
        log.info("keys.rotation.enable key=%s period_days=%d", row.key_id, period)
        return self._rotation_status(row)

    def disable_key_rotation(self, key_id: str) -> RotationStatus:
        """DisableKeyRotation."""
        op = "DisableKeyRotation"
        with self.db.write() as conn:
            row = self._key_row(conn, key_id, operation=op, lock=True)
            self._refuse_rotation(row)
            self._require_usable(row)
            conn.execute(
                kms_keys.update()
                .where(kms_keys.c.key_id == row.key_id)
                .values(rotation_enabled=False, rotation_period_days=None, next_rotation_at=None)
            )
            row = self._key_row(conn, row.key_id, operation=op)
        log.info("keys.rotation.disable key=%s", row.key_id)
        return self._rotation_status(row)

    @staticmethod
    def _rotation_status(row: Row[Any]) -> RotationStatus:
        # KMS reports rotation as off while a key is pending deletion; it resumes on cancel.
        active = bool(row.rotation_enabled) and row.state != KeyState.PENDING_DELETION.value
        return RotationStatus(
            key_id=Arn(row.arn),
            key_rotation_enabled=active,
            rotation_period_in_days=row.rotation_period_days if active else None,
            next_rotation_date=_opt_utc(row.next_rotation_at) if active else None,
        )

    def get_key_rotation_status(self, key_id: str) -> RotationStatus:
        """GetKeyRotationStatus."""
        with self.db.read() as conn:
            return self._rotation_status(
                self._key_row(conn, key_id, operation="GetKeyRotationStatus")
            )

    def rotate_key_on_demand(self, key_id: str) -> Arn:
        """RotateKeyOnDemand: add a material version now (the automatic schedule is unchanged)."""
        op = "RotateKeyOnDemand"
        with self.db.write() as conn:
            row = self._key_row(conn, key_id, operation=op, lock=True)
            self._refuse_rotation(row)
            self._require_usable(row)
            version = self._add_version(conn, row, RotationType.ON_DEMAND)
        log.info("keys.rotate key=%s version=%d type=on_demand", row.key_id, version)
        return Arn(row.arn)

    def list_key_rotations(self, key_id: str) -> list[Rotation]:
        """ListKeyRotations: every completed rotation, oldest first."""
        with self.db.read() as conn:
            row = self._key_row(conn, key_id, operation="ListKeyRotations")
            versions = conn.execute(
                sa.select(
                    kms_key_versions.c.version,
                    kms_key_versions.c.created_at,
                    kms_key_versions.c.rotation_type,
                )
                .where(kms_key_versions.c.key_id == row.key_id, kms_key_versions.c.version > 1)
                .order_by(kms_key_versions.c.version)
            ).all()
        return [
            Rotation(
                key_id=Arn(row.arn),
                version=v.version,
                rotation_date=_utc(v.created_at),
                rotation_type=RotationType(v.rotation_type),
            )
            for v in versions
        ]

    # ----------------------------------------------------------------- policy and tags

    def get_key_policy(self, key_id: str, *, policy_name: str = POLICY_NAME) -> str:
        """GetKeyPolicy: the stored policy document (JSON text)."""
        _check_policy_name(policy_name, operation="GetKeyPolicy")
        with self.db.read() as conn:
            return str(self._key_row(conn, key_id, operation="GetKeyPolicy").policy)

    def put_key_policy(self, key_id: str, policy: str, *, policy_name: str = POLICY_NAME) -> None:
        """PutKeyPolicy: replace the policy document (evaluated by the access room)."""
        op = "PutKeyPolicy"
        _check_policy_name(policy_name, operation=op)
        _validate_policy(policy, operation=op)
        with self.db.write() as conn:
            row = self._key_row(conn, key_id, operation=op, lock=True)
            self._refuse_pending(row)
            conn.execute(
                kms_keys.update().where(kms_keys.c.key_id == row.key_id).values(policy=policy)
            )
        log.info("keys.policy.put key=%s bytes=%d", row.key_id, len(policy.encode()))

    def tag_resource(self, key_id: str, tags: Mapping[str, str]) -> None:
        """TagResource: add or overwrite tags (at most 50 per key)."""
        op = "TagResource"
        clean = _validate_tags(tags, operation=op)
        with self.db.write() as conn:
            row = self._key_row(conn, key_id, operation=op, lock=True)
            self._refuse_pending(row)
            existing = set(
                conn.execute(
                    sa.select(kms_key_tags.c.tag_key).where(kms_key_tags.c.key_id == row.key_id)
                ).scalars()
            )
            if len(existing | clean.keys()) > MAX_TAGS:
                raise Invalid(
                    "tags",
                    got=f"{len(existing | clean.keys())} tags in all",
                    expected=f"at most {MAX_TAGS} tags per key; untag some first",
                    operation=op,
                )
            for tag_key, tag_value in clean.items():
                if tag_key in existing:
                    conn.execute(
                        kms_key_tags.update()
                        .where(
                            kms_key_tags.c.key_id == row.key_id, kms_key_tags.c.tag_key == tag_key
                        )
                        .values(tag_value=tag_value)
                    )
                else:
                    conn.execute(
                        kms_key_tags.insert().values(
                            key_id=row.key_id, tag_key=tag_key, tag_value=tag_value
                        )
                    )

    def untag_resource(self, key_id: str, tag_keys: Sequence[str]) -> None:
        """UntagResource: remove tags by key (missing keys are ignored, as in KMS)."""
        op = "UntagResource"
        if isinstance(tag_keys, str) or not all(isinstance(k, str) for k in tag_keys):
            raise Invalid("tag_keys", got=tag_keys, expected="a list of tag keys", operation=op)
        for tag_key in tag_keys:
            if not isinstance(tag_key, str) or has_control(tag_key):
                raise Invalid(
                    "tag_keys",
                    got=_safe(tag_key) if isinstance(tag_key, str) else type(tag_key).__name__,
                    expected=f"tag keys as {TAG_KEY_EXPECTED}",
                    operation=op,
                )
        with self.db.write() as conn:
            row = self._key_row(conn, key_id, operation=op, lock=True)
            self._refuse_pending(row)
            if tag_keys:
                conn.execute(
                    kms_key_tags.delete().where(
                        kms_key_tags.c.key_id == row.key_id,
                        kms_key_tags.c.tag_key.in_(list(tag_keys)),
                    )
                )

    def list_resource_tags(self, key_id: str) -> dict[str, str]:
        """ListResourceTags."""
        with self.db.read() as conn:
            row = self._key_row(conn, key_id, operation="ListResourceTags")
            rows = conn.execute(
                sa.select(kms_key_tags.c.tag_key, kms_key_tags.c.tag_value)
                .where(kms_key_tags.c.key_id == row.key_id)
                .order_by(kms_key_tags.c.tag_key)
            ).all()
        return {r.tag_key: r.tag_value for r in rows}

    # ----------------------------------------------------------------- cryptography

    def _current(
        self, key_id: str, *, operation: str, usage: str | None = KEY_USAGE
    ) -> tuple[Row[Any], MaterialRef]:
        """An Enabled key's row (of ``usage``, unless ``None``) and its newest material version."""
        with self.db.read() as conn:
            row = self._key_row(conn, key_id, operation=operation)
            self._require_usable(row)
            if usage is not None:
                self._require_usage(row, usage, operation=operation)
            stored = conn.execute(
                sa.select(kms_key_versions.c.material).where(
                    kms_key_versions.c.key_id == row.key_id,
                    kms_key_versions.c.version == row.current_version,
                )
            ).scalar_one()
        ref = MaterialRef(key_id=KeyId(row.key_id), version=row.current_version, stored=stored)
        return row, ref

    def _encrypt_with(self, ref: MaterialRef, plaintext: bytes, context: bytes) -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        header = pack_header(ref.key_id, ref.version, nonce)
        body = self.backend.encrypt(ref, nonce=nonce, plaintext=plaintext, aad=header + context)
        return header + body

    def encrypt(
        self,
        key_id: str,
        plaintext: bytes,
        *,
        encryption_context: Mapping[str, str] | None = None,
    ) -> EncryptResult:
        """Encrypt 1-4096 bytes under the key's newest material, bound to the context."""
        op = "Encrypt"
        plaintext = _sized_bytes(
            plaintext,
            MAX_PLAINTEXT,
            field="plaintext",
            hint="use envelope encryption for more",
            operation=op,
        )
        context = canonical_context(encryption_context, field="encryption_context", operation=op)
        row, ref = self._current(key_id, operation=op)
        blob = self._encrypt_with(ref, plaintext, context)
        log.debug(
            "keys.encrypt key=%s version=%d bytes=%d", row.key_id, ref.version, len(plaintext)
        )
        return EncryptResult(ciphertext_blob=blob, key_id=Arn(row.arn))

    def _data_key_size(
        self, key_spec: str | None, number_of_bytes: int | None, *, operation: str
    ) -> int:
        if key_spec is not None and number_of_bytes is not None:
            raise Invalid(
                "number_of_bytes",
                got=number_of_bytes,
                expected="left out when key_spec is given (give exactly one of them)",
                operation=operation,
            )
        if number_of_bytes is not None:
            return _int_in(
                number_of_bytes, DATA_KEY_BYTES, field="number_of_bytes", operation=operation
            )
        spec = "AES_256" if key_spec is None else key_spec
        if spec not in DATA_KEY_SPECS:
            raise Invalid(
                "key_spec", got=spec, expected="'AES_256' or 'AES_128'", operation=operation
            )
        return DATA_KEY_SPECS[spec]

    def generate_data_key(
        self,
        key_id: str,
        *,
        encryption_context: Mapping[str, str] | None = None,
        key_spec: str | None = None,
        number_of_bytes: int | None = None,
    ) -> DataKey:
        """GenerateDataKey: a random data key, in plaintext and encrypted under the master key."""
        op = "GenerateDataKey"
        size = self._data_key_size(key_spec, number_of_bytes, operation=op)
        context = canonical_context(encryption_context, field="encryption_context", operation=op)
        row, ref = self._current(key_id, operation=op)
        plaintext = os.urandom(size)
        blob = self._encrypt_with(ref, plaintext, context)
        log.debug("keys.generate_data_key key=%s version=%d", row.key_id, ref.version)
        return DataKey(plaintext=plaintext, ciphertext_blob=blob, key_id=Arn(row.arn))

    def generate_data_key_without_plaintext(
        self,
        key_id: str,
        *,
        encryption_context: Mapping[str, str] | None = None,
        key_spec: str | None = None,
        number_of_bytes: int | None = None,
    ) -> EncryptedDataKey:
        """GenerateDataKeyWithoutPlaintext: only the encrypted data key."""
        op = "GenerateDataKeyWithoutPlaintext"
        size = self._data_key_size(key_spec, number_of_bytes, operation=op)
        context = canonical_context(encryption_context, field="encryption_context", operation=op)
        row, ref = self._current(key_id, operation=op)
        blob = self._encrypt_with(ref, os.urandom(size), context)
        return EncryptedDataKey(ciphertext_blob=blob, key_id=Arn(row.arn))

    def _open_blob(
        self, blob: object, context_value: object, key_id: object, *, operation: str, field: str
    ) -> tuple[Row[Any], bytes]:
        raw = validate_blob(blob, operation=operation)
        context = canonical_context(context_value, field=field, operation=operation)
        header, body = split_blob(raw)
        with self.db.read() as conn:
            if key_id is not None:
                named = self._key_row(conn, key_id, operation=operation)
                self._require_usage(named, KEY_USAGE, operation=operation)
                if named.key_id != header.key_id:
                    raise InvalidCiphertext(NOT_AUTHENTIC)
            row = conn.execute(
                sa.select(kms_keys).where(kms_keys.c.key_id == header.key_id)
            ).first()
            if row is None:
                raise InvalidCiphertext(NOT_AUTHENTIC)
            self._require_usable(row)
            self._require_usage(row, KEY_USAGE, operation=operation)
            stored = conn.execute(
                sa.select(kms_key_versions.c.material).where(
                    kms_key_versions.c.key_id == header.key_id,
                    kms_key_versions.c.version == header.version,
                )
            ).scalar_one_or_none()
        if stored is None:
            raise InvalidCiphertext(NOT_AUTHENTIC)
        ref = MaterialRef(key_id=header.key_id, version=header.version, stored=stored)
        try:
            plaintext = self.backend.decrypt(
                ref, nonce=header.nonce, ciphertext=body, aad=header.raw + context
            )
        except InvalidCiphertext:
            raise InvalidCiphertext(NOT_AUTHENTIC) from None
        return row, plaintext

    def decrypt(
        self,
        ciphertext_blob: bytes,
        *,
        encryption_context: Mapping[str, str] | None = None,
        key_id: str | None = None,
    ) -> DecryptResult:
        """Decrypt: the key comes from the blob; ``key_id``, when given, must be that key."""
        row, plaintext = self._open_blob(
            ciphertext_blob,
            encryption_context,
            key_id,
            operation="Decrypt",
            field="encryption_context",
        )
        log.debug("keys.decrypt key=%s", row.key_id)
        return DecryptResult(plaintext=plaintext, key_id=Arn(row.arn))

    def re_encrypt(
        self,
        ciphertext_blob: bytes,
        destination_key_id: str,
        *,
        source_encryption_context: Mapping[str, str] | None = None,
        destination_encryption_context: Mapping[str, str] | None = None,
        source_key_id: str | None = None,
    ) -> ReEncryptResult:
        """ReEncrypt: decrypt under the source key and encrypt under the destination key."""
        op = "ReEncrypt"
        dest_context = canonical_context(
            destination_encryption_context, field="destination_encryption_context", operation=op
        )
        source, plaintext = self._open_blob(
            ciphertext_blob,
            source_encryption_context,
            source_key_id,
            operation=op,
            field="source_encryption_context",
        )
        dest, ref = self._current(destination_key_id, operation=op)
        blob = self._encrypt_with(ref, plaintext, dest_context)
        log.debug("keys.re_encrypt source=%s destination=%s", source.key_id, dest.key_id)
        return ReEncryptResult(
            ciphertext_blob=blob, key_id=Arn(dest.arn), source_key_id=Arn(source.arn)
        )

    # ----------------------------------------------------------------- signing

    def _signing_request(
        self,
        key_id: str,
        message: object,
        message_type: object,
        signing_algorithm: object,
        *,
        operation: str,
    ) -> tuple[Row[Any], MaterialRef, _asymmetric.SigningSpec, bytes, str, str]:
        """Check a Sign/Verify request against the key; the key must be Enabled SIGN_VERIFY."""
        raw = _sized_bytes(
            message,
            MAX_MESSAGE,
            field="message",
            hint="sign a digest with message_type DIGEST for more",
            operation=operation,
        )
        if not isinstance(message_type, str) or message_type not in MESSAGE_TYPES:
            raise Invalid(
                "message_type",
                got=message_type,
                expected=MESSAGE_TYPE_EXPECTED,
                operation=operation,
            )
        row, ref = self._current(key_id, operation=operation, usage=SIGN_VERIFY)
        spec = self._signing_spec(row)
        algorithm = _asymmetric.check_request(
            spec,
            algorithm=signing_algorithm,
            message=raw,
            message_type=message_type,
            operation=operation,
        )
        return row, ref, spec, raw, message_type, algorithm

    def sign(
        self,
        key_id: str,
        message: bytes,
        *,
        signing_algorithm: str,
        message_type: str = "RAW",
    ) -> SignResult:
        """Sign: a signature of 1-4096 bytes of message (``RAW``) or of a digest (``DIGEST``)."""
        row, ref, spec, raw, kind, algorithm = self._signing_request(
            key_id, message, message_type, signing_algorithm, operation="Sign"
        )
        signature = self.backend.sign(
            ref,
            key_spec=spec.key_spec,
            signing_algorithm=algorithm,
            message=raw,
            message_type=kind,
        )
        log.debug("keys.sign key=%s algorithm=%s type=%s", row.key_id, algorithm, kind)
        return SignResult(key_id=Arn(row.arn), signature=signature, signing_algorithm=algorithm)

    def verify(
        self,
        key_id: str,
        message: bytes,
        signature: bytes,
        *,
        signing_algorithm: str,
        message_type: str = "RAW",
    ) -> VerifyResult:
        """Verify: raises :class:`InvalidSignature` unless ``signature`` is the key's signature."""
        op = "Verify"
        sig = _sized_bytes(signature, MAX_SIGNATURE, field="signature", hint="", operation=op)
        row, ref, spec, raw, kind, algorithm = self._signing_request(
            key_id, message, message_type, signing_algorithm, operation=op
        )
        public = _asymmetric.load_public(self.backend.get_public_key(ref, key_spec=spec.key_spec))
        valid = _asymmetric.is_valid(
            public, algorithm=algorithm, message=raw, message_type=kind, signature=sig
        )
        log.debug("keys.verify key=%s algorithm=%s valid=%s", row.key_id, algorithm, valid)
        if not valid:
            raise InvalidSignature(
                f"The signature does not verify with key '{row.arn}' and {algorithm} "
                f"(message_type {kind}): the message or the signature changed, or another key, "
                "algorithm or message type made it"
            )
        return VerifyResult(key_id=Arn(row.arn), signature_valid=True, signing_algorithm=algorithm)

    def get_public_key(self, key_id: str) -> PublicKeyResult:
        """GetPublicKey: the DER SubjectPublicKeyInfo of an asymmetric key."""
        op = "GetPublicKey"
        row, ref = self._current(key_id, operation=op, usage=None)
        if row.key_usage != SIGN_VERIFY:
            raise UnsupportedOperation(
                f"Key '{row.arn}' is a symmetric encryption key: it has no public key "
                f"(GetPublicKey works on {SIGN_VERIFY} keys)"
            )
        spec = self._signing_spec(row)
        return PublicKeyResult(
            key_id=Arn(row.arn),
            public_key=self.backend.get_public_key(ref, key_spec=spec.key_spec),
            key_spec=spec.key_spec,
            key_usage=SIGN_VERIFY,
            signing_algorithms=spec.algorithms,
        )

    # ----------------------------------------------------------------- maintenance

    def due_rotations(self) -> list[KeyId]:
        """Enabled keys of this backend whose automatic rotation date has come."""
        now = self.clock.now()
        with self.db.read() as conn:
            ids = conn.execute(
                sa.select(kms_keys.c.key_id)
                .where(
                    kms_keys.c.state == KeyState.ENABLED.value,
                    kms_keys.c.rotation_enabled.is_(True),
                    kms_keys.c.next_rotation_at <= now,
                    kms_keys.c.backend == self.backend.name,
                )
                .order_by(kms_keys.c.key_id)
            ).scalars()
            return [KeyId(i) for i in ids]

    def due_deletions(self) -> list[KeyId]:
        """Keys pending deletion whose deletion date has passed."""
        now = self.clock.now()
        with self.db.read() as conn:
            ids = conn.execute(
                sa.select(kms_keys.c.key_id)
                .where(
                    kms_keys.c.state == KeyState.PENDING_DELETION.value,
                    kms_keys.c.deletion_date <= now,
                )
                .order_by(kms_keys.c.key_id)
            ).scalars()
            return [KeyId(i) for i in ids]

    def rotate_if_due(self, key_id: KeyId) -> bool:
        """Rotate one key automatically if it is still due; returns whether it rotated."""
        now = self.clock.now()
        with self.db.write() as conn:
            row = self._key_row(conn, key_id, operation="RotateKey", lock=True)
            due = (
                row.state == KeyState.ENABLED.value
                and row.rotation_enabled
                and row.next_rotation_at is not None
                and _utc(row.next_rotation_at) <= now
            )
            if not due:
                return False
            self._require_usable(row)
            version = self._add_version(conn, row, RotationType.AUTOMATIC)
            conn.execute(
                kms_keys.update()
                .where(kms_keys.c.key_id == row.key_id)
                .values(next_rotation_at=now + timedelta(days=row.rotation_period_days))
            )
        log.info("keys.rotate key=%s version=%d type=automatic", key_id, version)
        return True

    def delete_if_due(self, key_id: KeyId) -> bool:
        """Delete one key (material, aliases, tags) if its deletion date has passed."""
        now = self.clock.now()
        with self.db.write() as conn:
            row = self._key_row(conn, key_id, operation="DeleteKey", lock=True)
            due = (
                row.state == KeyState.PENDING_DELETION.value
                and row.deletion_date is not None
                and _utc(row.deletion_date) <= now
            )
            if not due:
                return False
            refs = [
                MaterialRef(key_id=key_id, version=v.version, stored=v.material)
                for v in conn.execute(
                    sa.select(kms_key_versions.c.version, kms_key_versions.c.material).where(
                        kms_key_versions.c.key_id == key_id
                    )
                )
            ]
            conn.execute(kms_aliases.delete().where(kms_aliases.c.target_key_id == key_id))
            conn.execute(kms_key_tags.delete().where(kms_key_tags.c.key_id == key_id))
            conn.execute(kms_key_versions.delete().where(kms_key_versions.c.key_id == key_id))
            conn.execute(kms_keys.delete().where(kms_keys.c.key_id == key_id))
        if row.backend == self.backend.name:
            for ref in refs:
                self.backend.destroy_material(ref)
        log.info("keys.delete key=%s versions=%d", key_id, len(refs))
        return True


# --------------------------------------------------------------------- validation helpers


def _safe(text: str) -> str:
    """``text`` as it can be shown in a message and logged (lone surrogates escaped)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _sized_bytes(value: object, high: int, *, field: str, hint: str, operation: str) -> bytes:
    """``value`` as bytes of length 1 to ``high``, else Invalid naming ``field``."""
    if isinstance(value, bytes | bytearray) and 1 <= len(value) <= high:
        return bytes(value)
    got = f"<{len(value)} bytes>" if isinstance(value, bytes | bytearray) else type(value).__name__
    more = f" ({hint})" if hint else ""
    raise Invalid(
        field, got=got, expected=f"bytes of length 1 to {high}{more}", operation=operation
    )


def _check_key_kind(key_usage: object, key_spec: object, *, operation: str) -> None:
    """The KeyUsage/KeySpec pairs KMS accepts that Bastion implements."""
    if not isinstance(key_usage, str) or key_usage not in (KEY_USAGE, SIGN_VERIFY):
        raise Invalid("key_usage", got=key_usage, expected=KEY_USAGE_EXPECTED, operation=operation)
    if not isinstance(key_spec, str) or (
        key_spec != KEY_SPEC and key_spec not in _asymmetric.SIGNING_SPECS
    ):
        raise Invalid("key_spec", got=key_spec, expected=KEY_SPEC_EXPECTED, operation=operation)
    if key_usage == SIGN_VERIFY and key_spec == KEY_SPEC:
        raise Invalid(
            "key_usage",
            got=key_usage,
            expected=f"'{KEY_USAGE}' for a {KEY_SPEC} key (give key_spec, one of "
            + ", ".join(_asymmetric.SIGNING_SPECS)
            + f", for a {SIGN_VERIFY} key)",
            operation=operation,
        )
    if key_usage == KEY_USAGE and key_spec != KEY_SPEC:
        raise Invalid(
            "key_usage",
            got=key_usage,
            expected=f"'{SIGN_VERIFY}' for a {key_spec} key (asymmetric keys here sign; they "
            "do not encrypt)",
            operation=operation,
        )


def _validate_alias(value: object, *, operation: str) -> str:
    if (
        not isinstance(value, str)
        or not _ALIAS_RE.fullmatch(value)
        or value.startswith(RESERVED_ALIAS_PREFIX)
    ):
        shown = _safe(value) if isinstance(value, str) else type(value).__name__
        raise Invalid("alias_name", got=shown, expected=ALIAS_EXPECTED, operation=operation)
    return value


def _validate_policy(policy: object, *, operation: str) -> None:
    if not isinstance(policy, str):
        raise Invalid(
            "policy", got=type(policy).__name__, expected=POLICY_EXPECTED, operation=operation
        )
    size = len(policy.encode("utf-8", errors="surrogatepass"))
    if size > MAX_POLICY_BYTES:
        raise Invalid(
            "policy", got=f"<{size} bytes>", expected=POLICY_EXPECTED, operation=operation
        )
    if unstorable(policy):
        raise Invalid(
            "policy", got=f"<{size} bytes>", expected=f"{TEXT_EXPECTED}", operation=operation
        )
    try:
        document = json.loads(policy)
    except json.JSONDecodeError as exc:
        raise Invalid(
            "policy",
            got=f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
            expected=POLICY_EXPECTED,
            operation=operation,
        ) from None
    if not isinstance(document, dict):
        raise Invalid(
            "policy",
            got=f"a JSON {type(document).__name__}",
            expected=POLICY_EXPECTED,
            operation=operation,
        )
    try:
        parse_policy(policy, kind="resource")
    except Invalid as exc:
        raise Invalid(
            f"policy.{exc.field}" if exc.field else "policy",
            got=exc.got,
            expected=exc.expected,
            operation=operation,
        ) from None


def _check_policy_name(name: object, *, operation: str) -> None:
    if name != POLICY_NAME:
        raise Invalid(
            "policy_name",
            got=name,
            expected=f"'{POLICY_NAME}' (a key has one policy)",
            operation=operation,
        )


def _validate_tags(tags: object, *, operation: str) -> dict[str, str]:
    if not isinstance(tags, Mapping):
        raise Invalid(
            "tags",
            got=type(tags).__name__,
            expected="a mapping of tag keys to values",
            operation=operation,
        )
    clean: dict[str, str] = {}
    for key, value in tags.items():
        if (
            not isinstance(key, str)
            or not 1 <= len(key) <= 128
            or key.lower().startswith("aws:")
            or has_control(key)
        ):
            raise Invalid(
                "tags",
                got=_safe(key) if isinstance(key, str) else type(key).__name__,
                expected=f"tag keys as {TAG_KEY_EXPECTED}",
                operation=operation,
            )
        if not isinstance(value, str) or len(value) > 256 or has_control(value):
            raise Invalid(
                "tags",
                got=f"{_safe(key)}={_safe(value) if isinstance(value, str) else value!r}",
                expected=f"tag values as {TAG_VALUE_EXPECTED}",
                operation=operation,
            )
        clean[key] = value
    if len(clean) > MAX_TAGS:
        raise Invalid(
            "tags",
            got=f"{len(clean)} tags",
            expected=f"at most {MAX_TAGS} tags per key",
            operation=operation,
        )
    return clean
