"""Credentials: bearer API tokens, access key pairs and role sessions (AssumeRole).

Secrets are shown once, when made, and never stored in the clear:

* an API token ``bst_<id>_<secret>`` and a session token ``bss_<id>_<secret>`` are stored only as
  HMAC-SHA256 under a 32-byte key that is itself sealed by the root key (``iam_secrets``), so a
  copy of the database alone cannot even test a guessed token;
* an access key's secret is sealed by the root key, bound to its access key id (SigV4
  verification must recompute the signature, so a hash would not do).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bastion.access._changes import ChangeLog
from bastion.access._iam import MAX_ACCESS_KEYS, aware, bump_generation
from bastion.access._models import (
    AccessKey,
    ApiToken,
    NewAccessKey,
    NewApiToken,
    SessionCredentials,
)
from bastion.access._names import access_key_id, org_id
from bastion.access._tables import iam_access_keys, iam_api_tokens, iam_secrets, sts_sessions
from bastion.clock import Clock
from bastion.db import Database
from bastion.errors import Conflict, Invalid, NotFound
from bastion.types import Arn

log = logging.getLogger(__name__)


class Sealer(Protocol):
    """Seals small secrets under the root key (``bastion.keys._root.RootSealer``)."""

    def seal(self, plaintext: bytes, *, aad: bytes) -> bytes: ...

    def open(self, sealed: bytes, *, aad: bytes) -> bytes: ...


API_TOKEN_PREFIX = "bst_"  # noqa: S105 (a prefix, not a secret)
SESSION_TOKEN_PREFIX = "bss_"  # noqa: S105
_ID_LENGTH = 16
_TOKEN_ID = re.compile(r"bs[ts]_[a-z0-9]{16}")
TOKEN_KEY_NAME = "token-hmac"  # noqa: S105
_TOKEN_KEY_AAD = b"bastion/iam/token-hmac"
MAX_TOKEN_DAYS = 3650
LAST_USED_GRANULARITY = timedelta(minutes=1)
ACTIVE = "Active"
INACTIVE = "Inactive"


def _secret_aad(key_id: str) -> bytes:
    return b"bastion/iam/access-key/" + key_id.encode()


def split_token(token: str) -> tuple[str, str] | None:
    """``(token_id, whole token)`` for a well-formed token, else ``None``."""
    if (
        not isinstance(token, str)
        or len(token) > 256
        or not (token.isascii() and token.isprintable())
    ):
        return None
    if not token.startswith((API_TOKEN_PREFIX, SESSION_TOKEN_PREFIX)):
        return None
    cut = len(API_TOKEN_PREFIX) + _ID_LENGTH
    if len(token) < cut + 2 or token[cut] != "_":
        return None
    return token[:cut], token


@dataclass(frozen=True, kw_only=True)
class StoredToken:
    """A token row as authentication needs it."""

    token_id: str
    principal_arn: Arn
    session_id: str | None
    digest: bytes
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class StoredKey:
    """An access key row as SigV4 verification needs it (the secret opened)."""

    access_key_id: str
    principal_arn: Arn
    session_id: str | None
    secret: str
    status: str
    expires_at: datetime | None
    last_used_at: datetime | None

    def __repr__(self) -> str:
        return f"StoredKey(access_key_id={self.access_key_id!r}, secret=<hidden>)"


class CredentialService:
    """Makes, lists, revokes and looks up credentials."""

    def __init__(self, *, db: Database, clock: Clock, sealer: Sealer, changes: ChangeLog) -> None:
        self.db = db
        self.clock = clock
        self.sealer = sealer
        self.changes = changes
        self._token_key: bytes | None = None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.db.write() as conn:
            self.db.lock(conn, "iam")
            yield conn
            bump_generation(conn)
        self.changes.iam_changed()

    # -- the token key ----------------------------------------------------------------------

    def _key(self) -> bytes:
        if self._token_key is not None:
            return self._token_key
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(iam_secrets.c.sealed).where(iam_secrets.c.name == TOKEN_KEY_NAME)
            ).first()
        if row is None:
            with self.db.write() as conn:
                self.db.lock(conn, "iam")
                row = conn.execute(
                    sa.select(iam_secrets.c.sealed).where(iam_secrets.c.name == TOKEN_KEY_NAME)
                ).first()
                if row is None:
                    sealed = self.sealer.seal(secrets.token_bytes(32), aad=_TOKEN_KEY_AAD)
                    conn.execute(
                        iam_secrets.insert().values(
                            name=TOKEN_KEY_NAME, sealed=sealed, created_at=self.clock.now()
                        )
                    )
                    row = conn.execute(
                        sa.select(iam_secrets.c.sealed).where(iam_secrets.c.name == TOKEN_KEY_NAME)
                    ).one()
        self._token_key = self.sealer.open(bytes(row.sealed), aad=_TOKEN_KEY_AAD)
        return self._token_key

    def digest(self, token: str) -> bytes:
        """HMAC-SHA256 of a whole token under the sealed token key."""
        return hmac.new(self._key(), token.encode(), hashlib.sha256).digest()

    def _new_token(self, prefix: str) -> tuple[str, str]:
        token_id = prefix + org_id("", _ID_LENGTH)
        return token_id, f"{token_id}_{secrets.token_urlsafe(32)}"

    # -- API tokens -------------------------------------------------------------------------

    def _token(self, row: Row[tuple[object, ...]]) -> ApiToken:
        return ApiToken(
            token_id=str(row.token_id),
            principal_arn=Arn(str(row.principal_arn)),
            description=str(row.description),
            created_at=aware(row.created_at),
            expires_at=aware(row.expires_at) if row.expires_at else None,
            revoked_at=aware(row.revoked_at) if row.revoked_at else None,
            last_used_at=aware(row.last_used_at) if row.last_used_at else None,
        )

    def create_api_token(
        self, principal_arn: Arn, *, description: str = "", expires_in_days: int | None = 90
    ) -> NewApiToken:
        """A bearer token for ``principal_arn`` (a user or the account root)."""
        op = "CreateApiToken"
        if expires_in_days is not None and (
            not isinstance(expires_in_days, int)
            or isinstance(expires_in_days, bool)
            or not 1 <= expires_in_days <= MAX_TOKEN_DAYS
        ):
            raise Invalid(
                "expires_in_days",
                got=expires_in_days,
                expected=f"an integer in [1, {MAX_TOKEN_DAYS}], or None for no expiry",
                operation=op,
            )
        if not isinstance(description, str) or len(description) > 1000:
            raise Invalid(
                "description",
                got=description,
                expected="text of at most 1000 characters",
                operation=op,
            )
        now = self.clock.now()
        token_id, token = self._new_token(API_TOKEN_PREFIX)
        expires = now + timedelta(days=expires_in_days) if expires_in_days is not None else None
        digest = self.digest(token)
        with self._write() as conn:
            conn.execute(
                iam_api_tokens.insert().values(
                    token_id=token_id,
                    principal_arn=principal_arn,
                    session_id=None,
                    digest=digest,
                    description=description,
                    created_at=now,
                    expires_at=expires,
                )
            )
            row = conn.execute(
                sa.select(iam_api_tokens).where(iam_api_tokens.c.token_id == token_id)
            ).one()
        log.info("access.token.create id=%s principal=%s", token_id, principal_arn)
        return NewApiToken(token=token, info=self._token(row))

    def list_api_tokens(self, principal_arn: Arn) -> list[ApiToken]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(iam_api_tokens)
                .where(
                    iam_api_tokens.c.principal_arn == principal_arn,
                    iam_api_tokens.c.session_id.is_(None),
                )
                .order_by(iam_api_tokens.c.created_at, iam_api_tokens.c.token_id)
            ).all()
        return [self._token(r) for r in rows]

    def token_owner(self, token_id: str) -> Arn:
        """The principal an API token belongs to (``NotFound`` when unknown)."""
        _check_token_id(token_id)
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(iam_api_tokens.c.principal_arn).where(
                    iam_api_tokens.c.token_id == token_id, iam_api_tokens.c.session_id.is_(None)
                )
            ).first()
        if row is None:
            raise NotFound(f"API token '{token_id}' not found")
        return Arn(str(row.principal_arn))

    def revoke_api_token(self, token_id: str) -> ApiToken:
        """Revoke a token: it stops working at once; the record stays for the audit."""
        _check_token_id(token_id)
        with self._write() as conn:
            row = conn.execute(
                sa.select(iam_api_tokens).where(
                    iam_api_tokens.c.token_id == token_id, iam_api_tokens.c.session_id.is_(None)
                )
            ).first()
            if row is None:
                raise NotFound(f"API token '{token_id}' not found")
            if row.revoked_at is None:
                conn.execute(
                    iam_api_tokens.update()
                    .where(iam_api_tokens.c.token_id == token_id)
                    .values(revoked_at=self.clock.now())
                )
            row = conn.execute(
                sa.select(iam_api_tokens).where(iam_api_tokens.c.token_id == token_id)
            ).one()
        log.info("access.token.revoke id=%s", token_id)
        return self._token(row)

    def stored_token(self, token_id: str) -> StoredToken | None:
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(iam_api_tokens).where(iam_api_tokens.c.token_id == token_id)
            ).first()
        if row is None:
            return None
        return StoredToken(
            token_id=str(row.token_id),
            principal_arn=Arn(str(row.principal_arn)),
            session_id=str(row.session_id) if row.session_id else None,
            digest=bytes(row.digest),
            expires_at=aware(row.expires_at) if row.expires_at else None,
            revoked_at=aware(row.revoked_at) if row.revoked_at else None,
            last_used_at=aware(row.last_used_at) if row.last_used_at else None,
        )

    def touch_token(self, token_id: str, last_used_at: datetime | None) -> None:
        """Record the last use (at most once a minute per token)."""
        now = self.clock.now()
        if last_used_at is not None and now - last_used_at < LAST_USED_GRANULARITY:
            return
        with self.db.write() as conn:
            conn.execute(
                iam_api_tokens.update()
                .where(iam_api_tokens.c.token_id == token_id)
                .values(last_used_at=now)
            )

    # -- access keys ------------------------------------------------------------------------

    def _access_key(self, row: Row[tuple[object, ...]]) -> AccessKey:
        return AccessKey(
            access_key_id=str(row.access_key_id),
            principal_arn=Arn(str(row.principal_arn)),
            status=str(row.status),
            created_at=aware(row.created_at),
            last_used_at=aware(row.last_used_at) if row.last_used_at else None,
        )

    def create_access_key(self, principal_arn: Arn) -> NewAccessKey:
        """A long-term key pair (``AKIA…``) for a user; at most two per user, as IAM."""
        now = self.clock.now()
        key_id = access_key_id("AKIA")
        secret = _new_secret()
        with self._write() as conn:
            count = conn.execute(
                sa.select(sa.func.count()).where(
                    iam_access_keys.c.principal_arn == principal_arn,
                    iam_access_keys.c.session_id.is_(None),
                )
            ).scalar_one()
            if count >= MAX_ACCESS_KEYS:
                raise Conflict(
                    f"{principal_arn} already has {MAX_ACCESS_KEYS} access keys; delete one first"
                )
            conn.execute(
                iam_access_keys.insert().values(
                    access_key_id=key_id,
                    principal_arn=principal_arn,
                    session_id=None,
                    secret_sealed=self.sealer.seal(secret.encode(), aad=_secret_aad(key_id)),
                    status=ACTIVE,
                    created_at=now,
                )
            )
            row = conn.execute(
                sa.select(iam_access_keys).where(iam_access_keys.c.access_key_id == key_id)
            ).one()
        log.info("access.key.create id=%s principal=%s", key_id, principal_arn)
        return NewAccessKey(
            access_key_id=key_id, secret_access_key=secret, info=self._access_key(row)
        )

    def list_access_keys(self, principal_arn: Arn) -> list[AccessKey]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(iam_access_keys)
                .where(
                    iam_access_keys.c.principal_arn == principal_arn,
                    iam_access_keys.c.session_id.is_(None),
                )
                .order_by(iam_access_keys.c.created_at, iam_access_keys.c.access_key_id)
            ).all()
        return [self._access_key(r) for r in rows]

    def _owned_key(
        self, conn: Connection, key_id: object, principal_arn: Arn, *, operation: str
    ) -> Row[tuple[object, ...]]:
        if not isinstance(key_id, str) or not key_id:
            raise Invalid(
                "access_key_id",
                got=key_id,
                expected="an access key id (AKIA…)",
                operation=operation,
            )
        row = conn.execute(
            sa.select(iam_access_keys).where(
                iam_access_keys.c.access_key_id == key_id,
                iam_access_keys.c.principal_arn == principal_arn,
                iam_access_keys.c.session_id.is_(None),
            )
        ).first()
        if row is None:
            raise NotFound(f"Access key '{key_id}' not found for {principal_arn}")
        return row

    def update_access_key(self, principal_arn: Arn, key_id: str, status: str) -> AccessKey:
        op = "UpdateAccessKey"
        if status not in (ACTIVE, INACTIVE):
            raise Invalid("status", got=status, expected="'Active' or 'Inactive'", operation=op)
        with self._write() as conn:
            self._owned_key(conn, key_id, principal_arn, operation=op)
            conn.execute(
                iam_access_keys.update()
                .where(iam_access_keys.c.access_key_id == key_id)
                .values(status=status)
            )
            row = conn.execute(
                sa.select(iam_access_keys).where(iam_access_keys.c.access_key_id == key_id)
            ).one()
        return self._access_key(row)

    def delete_access_key(self, principal_arn: Arn, key_id: str) -> None:
        with self._write() as conn:
            self._owned_key(conn, key_id, principal_arn, operation="DeleteAccessKey")
            conn.execute(iam_access_keys.delete().where(iam_access_keys.c.access_key_id == key_id))
        log.info("access.key.delete id=%s", key_id)

    def stored_key(self, key_id: str) -> StoredKey | None:
        """The key with its secret opened (for SigV4 verification only)."""
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(iam_access_keys).where(iam_access_keys.c.access_key_id == key_id)
            ).first()
        if row is None:
            return None
        secret = self.sealer.open(bytes(row.secret_sealed), aad=_secret_aad(str(row.access_key_id)))
        return StoredKey(
            access_key_id=str(row.access_key_id),
            principal_arn=Arn(str(row.principal_arn)),
            session_id=str(row.session_id) if row.session_id else None,
            secret=secret.decode(),
            status=str(row.status),
            expires_at=aware(row.expires_at) if row.expires_at else None,
            last_used_at=aware(row.last_used_at) if row.last_used_at else None,
        )

    def touch_key(self, key_id: str, last_used_at: datetime | None) -> None:
        now = self.clock.now()
        if last_used_at is not None and now - last_used_at < LAST_USED_GRANULARITY:
            return
        with self.db.write() as conn:
            conn.execute(
                iam_access_keys.update()
                .where(iam_access_keys.c.access_key_id == key_id)
                .values(last_used_at=now)
            )

    # -- role sessions ----------------------------------------------------------------------

    def create_session(
        self,
        *,
        role_arn: Arn,
        role_id: str,
        session_name: str,
        source_arn: Arn,
        duration: timedelta,
        policy: str | None,
        tags: Mapping[str, str],
        chained: bool,
    ) -> SessionCredentials:
        """Record a session and make its credentials (key pair + session token)."""
        now = self.clock.now()
        expires = now + duration
        session_id = org_id("", _ID_LENGTH)
        key_id = access_key_id("ASIA")
        secret = _new_secret()
        token_id, token = self._new_token(SESSION_TOKEN_PREFIX)
        digest = self.digest(token)
        with self.db.write() as conn:
            conn.execute(
                sts_sessions.delete().where(sts_sessions.c.expires_at < now - timedelta(days=1))
            )
            conn.execute(
                sts_sessions.insert().values(
                    session_id=session_id,
                    role_arn=role_arn,
                    session_name=session_name,
                    source_arn=source_arn,
                    policy=policy,
                    tags=json.dumps(dict(tags), sort_keys=True),
                    chained=chained,
                    created_at=now,
                    expires_at=expires,
                )
            )
            conn.execute(
                iam_access_keys.insert().values(
                    access_key_id=key_id,
                    principal_arn=role_arn,
                    session_id=session_id,
                    secret_sealed=self.sealer.seal(secret.encode(), aad=_secret_aad(key_id)),
                    status=ACTIVE,
                    created_at=now,
                    expires_at=expires,
                )
            )
            conn.execute(
                iam_api_tokens.insert().values(
                    token_id=token_id,
                    principal_arn=role_arn,
                    session_id=session_id,
                    digest=digest,
                    description=f"session {session_name}",
                    created_at=now,
                    expires_at=expires,
                )
            )
        size = len(policy or "") + len(json.dumps(dict(tags)))
        log.info("access.session.create role=%s session=%s", role_arn, session_id)
        return SessionCredentials(
            access_key_id=key_id,
            secret_access_key=secret,
            session_token=token,
            expiration=expires,
            assumed_role_arn=role_arn,
            assumed_role_id=f"{role_id}:{session_name}",
            packed_policy_size=min(100, size * 100 // 2048),
        )


def _check_token_id(token_id: object) -> None:
    if not isinstance(token_id, str) or not _TOKEN_ID.fullmatch(token_id):
        raise Invalid(
            "token_id",
            got=token_id,
            expected="an API token id such as 'bst_0123456789abcdef' (the part before the secret)",
        )


def _new_secret() -> str:
    """40 characters, like an AWS secret access key."""
    return base64.b64encode(secrets.token_bytes(30)).decode()


__all__ = [
    "ACTIVE",
    "API_TOKEN_PREFIX",
    "INACTIVE",
    "SESSION_TOKEN_PREFIX",
    "CredentialService",
    "Sealer",
    "StoredKey",
    "StoredToken",
    "split_token",
]
