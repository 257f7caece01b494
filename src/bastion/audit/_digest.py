"""Signed digests: CloudTrail's log-file integrity validation, adapted to a hash-chained table.

A digest is a small JSON document (canonical text, like a record) naming the range of records it
vouches for (``startSequence``..``endSequence``), their count, the first and last eventID and
eventTime, the chain hash of the last record, and the previous digest's SHA-256 and signature.
It is signed with Ed25519; the signature is over the digest's exact bytes. Because the chain hash
of record *n* depends on every record before it, a digest protects the whole prefix of the trail:
re-computing the chain after an edit, truncating the tail it covers, or removing or replacing a
digest all stop verifying.

The private key is stored only sealed by the root key (associated data
``bastion/audit-signing-key/<key id>``); the public key and its fingerprint are stored in clear.
Verify derives the public key from the sealed private key, so swapping the stored public key for
an attacker's is detected too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from bastion.audit._models import DIGEST_KIND, HASH_ALGORITHM, SIGNATURE_ALGORITHM
from bastion.keys._root import RootSealer


def signing_aad(key_id: str) -> bytes:
    """The associated data that binds a sealed signing key to its row."""
    return f"bastion/audit-signing-key/{key_id}".encode()


def fingerprint_of(public_raw: bytes) -> str:
    """32 hex characters naming a public key (the length CloudTrail's fingerprints have)."""
    return hashlib.sha256(public_raw).hexdigest()[:32]


def public_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_pem(raw: bytes) -> bytes:
    """A public key as PEM (SubjectPublicKeyInfo), for people validating exported digests."""
    return Ed25519PublicKey.from_public_bytes(raw).public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True)
class Signer:
    """The opened signing key of this installation."""

    key_id: str
    fingerprint: str
    private: Ed25519PrivateKey

    def sign(self, body: str) -> bytes:
        return self.private.sign(body.encode())


def new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def seal_key(sealer: RootSealer, key_id: str, key: Ed25519PrivateKey) -> bytes:
    """Seal the raw private key under the root key, bound to its id."""
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return sealer.seal(raw, aad=signing_aad(key_id))


def open_key(sealer: RootSealer, key_id: str, sealed: bytes) -> Ed25519PrivateKey:
    """Open a sealed private key (raises InvalidCiphertext when it was tampered with)."""
    return Ed25519PrivateKey.from_private_bytes(sealer.open(sealed, aad=signing_aad(key_id)))


def signature_valid(public: bytes, body: str, signature: bytes) -> bool:
    """Whether ``signature`` is a valid Ed25519 signature of ``body`` by ``public``."""
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, body.encode())
    except (InvalidSignature, ValueError):
        return False
    return True


def digest_hash(body: str) -> str:
    """Hex SHA-256 of a digest's bytes (the next digest's ``previousDigestHashValue``)."""
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True, kw_only=True)
class DigestRange:
    """What a new digest covers."""

    start_seq: int
    end_seq: int
    last_record_hash: bytes
    first_event: tuple[str, str] | None  # (eventID, eventTime)
    last_event: tuple[str, str] | None


def digest_body(
    *,
    number: int,
    region: str,
    start_time: str,
    end_time: str,
    interval_seconds: int,
    covered: DigestRange,
    previous_body: str | None,
    previous_signature: bytes | None,
    fingerprint: str,
) -> str:
    """The canonical text of a digest (what is signed and stored)."""
    body: dict[str, Any] = {
        "kind": DIGEST_KIND,
        "digestNumber": number,
        "awsRegion": region,
        "digestStartTime": start_time,
        "digestEndTime": end_time,
        "digestIntervalSeconds": interval_seconds,
        "startSequence": covered.start_seq,
        "endSequence": covered.end_seq,
        "recordCount": covered.end_seq - covered.start_seq + 1,
        "firstEventId": covered.first_event[0] if covered.first_event else None,
        "firstEventTime": covered.first_event[1] if covered.first_event else None,
        "lastEventId": covered.last_event[0] if covered.last_event else None,
        "lastEventTime": covered.last_event[1] if covered.last_event else None,
        "lastRecordHash": covered.last_record_hash.hex(),
        "hashAlgorithm": HASH_ALGORITHM,
        "previousDigestHashValue": digest_hash(previous_body) if previous_body else None,
        "previousDigestHashAlgorithm": HASH_ALGORITHM if previous_body else None,
        "previousDigestSignature": previous_signature.hex() if previous_signature else None,
        "digestPublicKeyFingerprint": fingerprint,
        "digestSignatureAlgorithm": SIGNATURE_ALGORITHM,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"))
