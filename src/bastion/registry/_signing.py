"""Signed manifests of model folders, in the OpenSSF ``model-signing`` v1.0 format.

A folder's manifest lists every regular file with its path (POSIX, relative), SHA-256 and size.
It is signed as ``model-signing`` (https://github.com/sigstore/model-transparency) signs a model
with a key: an in-toto statement (predicate type ``https://model_signing/signature/v1.0``, one
resource per file, the subject digest a SHA-256 over the files' digests) in a DSSE envelope,
inside a Sigstore bundle (``application/vnd.dev.sigstore.bundle.v0.3+json``) whose verification
material is the SHA-256 of the public key's PEM. The DSSE signature is ECDSA over the envelope's
pre-authentication encoding, made by the key service: ``kms:Sign`` with ``MessageType=DIGEST``,
so the private key never leaves it. ``SignedManifest.to_json()`` is therefore a ``model.sig``
that ``model_signing verify key --signature model.sig --public_key key.pem`` accepts offline.

Bastion adds two things the format allows: each resource's ``size``, and a ``bastion`` object
in the predicate naming the key ARN and signing algorithm (both signed). Verification checks the
signature first (with a public key, or with ``kms:Verify``), then that the folder holds exactly
the signed files with the signed bytes; the first file that is modified, missing, extra or not a
regular file is named (:class:`~bastion.errors.SignatureMismatch` with ``path`` and ``problem``).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from bastion.errors import Invalid, InvalidSignature, SignatureMismatch
from bastion.keys import KeysClient

MANIFEST_KIND = "bastion.registry/manifest@1"
"""Kind of the canonical document whose SHA-256 is a version's content id."""
SIGNATURE_KIND = "bastion.registry/model-signature@1"
BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://model_signing/signature/v1.0"
SERIALIZATION = {"method": "files", "hash_type": "sha256", "allow_symlinks": False}
ALGORITHMS = {
    "secp256r1": "ECDSA_SHA_256",
    "secp384r1": "ECDSA_SHA_384",
    "secp521r1": "ECDSA_SHA_512",
}
"""The curves ``model-signing`` verifies, with the KMS algorithm that signs for each."""
_HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "ECDSA_SHA_256": hashes.SHA256,
    "ECDSA_SHA_384": hashes.SHA384,
    "ECDSA_SHA_512": hashes.SHA512,
}
MAX_FILES = 100_000
MAX_PAYLOAD_BYTES = 32 * 1024 * 1024
CHUNK = 1 << 20
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, kw_only=True)
class ManifestFile:
    """One file of a model folder: its path (POSIX, relative), SHA-256 (hex) and size."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """The regular files of a folder, sorted by path; ``model_name`` is informative only."""

    files: tuple[ManifestFile, ...]
    model_name: str = "model"

    def canonical(self) -> bytes:
        """Canonical JSON of the files (sorted keys, no spaces): what ``sha256`` hashes."""
        document = {"kind": MANIFEST_KIND, "files": [_file_dict(f) for f in self.files]}
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    @property
    def sha256(self) -> str:
        """The content id of the files (independent of the key that signs them)."""
        return hashlib.sha256(self.canonical()).hexdigest()


@dataclass(frozen=True, kw_only=True)
class SignedManifest:
    """A manifest and the ``model-signing`` bundle that signs it (``to_json()`` is a model.sig).

    ``manifest``, ``key_arn`` and ``algorithm`` are read from the bundle; they are claims until
    :func:`verify_directory` (or :func:`verify_signature`) has checked the signature, which
    always re-reads the bundle itself.
    """

    manifest: Manifest
    key_arn: str
    algorithm: str
    bundle: dict[str, Any] = field(repr=False)

    @property
    def files(self) -> tuple[ManifestFile, ...]:
        return self.manifest.files

    @property
    def sha256(self) -> str:
        return self.manifest.sha256

    @property
    def signature(self) -> bytes:
        """The DSSE signature (ECDSA, DER)."""
        return base64.b64decode(self.bundle["dsseEnvelope"]["signatures"][0]["sig"])

    def to_dict(self) -> dict[str, Any]:
        """The Sigstore bundle as a JSON-ready dict (a copy)."""
        return copy.deepcopy(self.bundle)

    def to_json(self) -> str:
        """The bundle as JSON text: the content of a ``model-signing`` ``model.sig`` file."""
        return json.dumps(self.bundle, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: object) -> SignedManifest:
        """Read a stored bundle (not verified yet); a malformed one is refused naming the field."""
        return _parse_bundle(data)

    @classmethod
    def from_json(cls, text: str | bytes) -> SignedManifest:
        """Read a ``model.sig`` file's content (not verified yet)."""
        if len(text) > 2 * MAX_PAYLOAD_BYTES:
            raise Invalid(
                "manifest", got=f"<{len(text)} bytes>", expected=f"at most {MAX_PAYLOAD_BYTES}"
            )
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Invalid(
                "manifest", got="text that is not JSON", expected="a Sigstore bundle (JSON)"
            ) from exc
        return _parse_bundle(data)


# ------------------------------------------------------------------------------- building


def build_manifest(directory: Path) -> Manifest:
    """Hash every regular file under ``directory``; a symlink or special file is refused."""
    root = Path(directory)
    if not root.is_dir() or root.is_symlink():
        raise Invalid("directory", got=str(root), expected="an existing folder (not a symlink)")
    found, odd = _scan(root)
    if odd is not None:
        raise Invalid(
            "directory",
            got=f"{odd} (a symlink or special file)",
            expected="a model folder of regular files only (copy what links point to)",
        )
    if not found:
        raise Invalid("directory", got=f"{root} (no files)", expected="at least one model file")
    if len(found) > MAX_FILES:
        raise Invalid("directory", got=f"{len(found)} files", expected=f"at most {MAX_FILES}")
    files = []
    for rel in sorted(found):
        if not _safe_path(rel):
            raise Invalid(
                "directory", got=rel, expected="file names that are printable, without '\\'"
            )
        digest, size = _digest(found[rel])
        files.append(ManifestFile(path=rel, sha256=digest, size=size))
    return Manifest(files=tuple(files), model_name=root.resolve().name or "model")


def _scan(root: Path) -> tuple[dict[str, Path], str | None]:
    """Regular files under ``root`` by relative POSIX path, and the first entry that is not one
    (a symlink, device, socket or pipe); symlinks are never followed."""
    found: dict[str, Path] = {}
    odd: list[str] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                path = Path(entry.path)
                rel = path.relative_to(root).as_posix()
                if entry.is_symlink():
                    odd.append(rel)
                elif entry.is_dir(follow_symlinks=False):
                    stack.append(path)
                elif entry.is_file(follow_symlinks=False):
                    found[rel] = path
                else:
                    odd.append(rel)
    return found, min(odd) if odd else None


def _digest(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a regular file, opened without following a symlink."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise Invalid("directory", got=str(path), expected="regular files only")
        hasher = hashlib.sha256()
        size = 0
        while chunk := fh.read(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


# ------------------------------------------------------------------------------- signing


def _file_dict(f: ManifestFile) -> dict[str, Any]:
    return {"path": f.path, "sha256": f.sha256, "size": f.size}


def _root_digest(files: tuple[ManifestFile, ...]) -> str:
    """``model-signing``'s subject digest: SHA-256 over the files' digests, in order."""
    hasher = hashlib.sha256()
    for f in files:
        hasher.update(bytes.fromhex(f.sha256))
    return hasher.hexdigest()


def _statement(manifest: Manifest, *, key_arn: str, algorithm: str) -> bytes:
    statement = {
        "_type": STATEMENT_TYPE,
        "subject": [
            {"name": manifest.model_name, "digest": {"sha256": _root_digest(manifest.files)}}
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "serialization": {**SERIALIZATION, "ignore_paths": []},
            "resources": [
                {"name": f.path, "algorithm": "sha256", "digest": f.sha256, "size": f.size}
                for f in manifest.files
            ],
            "bastion": {"kind": SIGNATURE_KIND, "key_arn": key_arn, "signing_algorithm": algorithm},
        },
    }
    return json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()


def _pae(payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding of an in-toto payload: what is signed."""
    kind = PAYLOAD_TYPE.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _hint(public_der: bytes) -> str:
    """The bundle's key hint, as ``model-signing`` computes it: SHA-256 of the PEM."""
    pem = serialization.load_der_public_key(public_der).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(pem).hexdigest()


def _pae_digest(payload: bytes, algorithm: str) -> bytes:
    hasher = hashes.Hash(_HASHES[algorithm]())
    hasher.update(_pae(payload))
    return hasher.finalize()


def sign_manifest(manifest: Manifest, *, keys: KeysClient, key_id: str) -> SignedManifest:
    """Sign ``manifest`` with the key service's ECDSA key ``key_id`` (``ECC_NIST_P256``,
    ``P384`` or ``P521``): ``kms:GetPublicKey`` for the key hint, then ``kms:Sign`` of the
    statement's digest (``MessageType=DIGEST``)."""
    if not manifest.files or len(manifest.files) > MAX_FILES:
        raise Invalid(
            "manifest", got=f"{len(manifest.files)} files", expected=f"1 to {MAX_FILES} files"
        )
    public = keys.get_public_key(key_id)
    loaded = serialization.load_der_public_key(public.public_key)
    curve = loaded.curve.name if isinstance(loaded, ec.EllipticCurvePublicKey) else ""
    algorithm = ALGORITHMS.get(curve)
    if algorithm is None:
        raise Invalid(
            "key_id",
            got=f"{key_id} ({public.key_spec})",
            expected="an ECC_NIST_P256, ECC_NIST_P384 or ECC_NIST_P521 signing key (the "
            "model-signing format is verified with ECDSA)",
            operation="SignManifest",
        )
    payload = _statement(manifest, key_arn=public.key_id, algorithm=algorithm)
    signed = keys.sign(
        public.key_id,
        _pae_digest(payload, algorithm),
        signing_algorithm=algorithm,
        message_type="DIGEST",
    )
    bundle = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {
            "publicKey": {"hint": _hint(public.public_key)},
            "tlogEntries": [],
        },
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode("ascii"),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [
                {"sig": base64.b64encode(signed.signature).decode("ascii"), "keyid": ""}
            ],
        },
    }
    return _parse_bundle(bundle)


# ------------------------------------------------------------------------------- reading


def _bad(where: str, got: object, expected: str) -> Invalid:
    shown = got if isinstance(got, str | int | None) else type(got).__name__
    if isinstance(shown, str) and len(shown) > 80:
        shown = shown[:77] + "..."
    return Invalid(f"manifest.{where}", got=shown, expected=expected)


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(where, value, "a JSON object")
    return value


def _b64(value: object, where: str, *, limit: int) -> bytes:
    if not isinstance(value, str) or len(value) > limit * 4 // 3 + 4:
        raise _bad(where, value, f"base64 text of at most {limit} bytes")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _bad(where, value, "base64 text") from None


def _safe_path(path: str) -> bool:
    """A relative POSIX path without '..', '.', empty parts, backslashes or control characters."""
    pure = PurePosixPath(path)
    return (
        bool(path)
        and len(path) <= 4096
        and path.isprintable()
        and "\\" not in path
        and not pure.is_absolute()
        and all(part not in ("..", ".") for part in path.split("/"))
        and str(pure) == path
    )


def _resource(item: object, i: int) -> ManifestFile:
    where = f"resources[{i}]"
    entry = _mapping(item, where)
    name, digest, size = entry.get("name"), entry.get("digest"), entry.get("size")
    if not isinstance(name, str) or not _safe_path(name):
        raise _bad(f"{where}.name", name, "a relative POSIX path without '..' (no absolute path)")
    if entry.get("algorithm") != "sha256":
        raise _bad(f"{where}.algorithm", entry.get("algorithm"), "'sha256'")
    if not isinstance(digest, str) or len(digest) != 64 or not set(digest) <= _HEX:
        raise _bad(f"{where}.digest", digest, "64 lowercase hex digits")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise _bad(f"{where}.size", size, "a size in bytes")
    return ManifestFile(path=name, sha256=digest, size=size)


def _read_statement(payload: bytes) -> tuple[Manifest, str, str]:
    """The manifest, key ARN and algorithm in a statement (structure only, no signature)."""
    try:
        statement = _mapping(json.loads(payload), "payload")
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise _bad("payload", "<not JSON>", "an in-toto statement (JSON)") from None
    if statement.get("_type") != STATEMENT_TYPE:
        raise _bad("payload._type", statement.get("_type"), f"'{STATEMENT_TYPE}'")
    if statement.get("predicateType") != PREDICATE_TYPE:
        raise _bad("payload.predicateType", statement.get("predicateType"), f"'{PREDICATE_TYPE}'")
    predicate = _mapping(statement.get("predicate"), "payload.predicate")
    serial = _mapping(predicate.get("serialization"), "payload.predicate.serialization")
    if any(serial.get(k) != v for k, v in SERIALIZATION.items()):
        raise _bad("payload.predicate.serialization", "other settings", f"{SERIALIZATION}")
    resources = predicate.get("resources")
    if not isinstance(resources, list) or not 1 <= len(resources) <= MAX_FILES:
        raise _bad("resources", resources, f"a list of 1 to {MAX_FILES} files")
    files = tuple(_resource(item, i) for i, item in enumerate(resources))
    paths = [f.path for f in files]
    if paths != sorted(set(paths)):
        raise _bad("resources", "unsorted or repeated names", "unique names in sorted order")
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or len(subjects) != 1:
        raise _bad("payload.subject", subjects, "a list of one subject")
    subject = _mapping(subjects[0], "payload.subject[0]")
    digest = _mapping(subject.get("digest"), "payload.subject[0].digest").get("sha256")
    if digest != _root_digest(files):
        raise _bad("payload.subject[0].digest", digest, "the SHA-256 over the files' digests")
    name = subject.get("name")
    extra = _mapping(predicate.get("bastion"), "payload.predicate.bastion")
    key_arn, algorithm = extra.get("key_arn"), extra.get("signing_algorithm")
    if extra.get("kind") != SIGNATURE_KIND:
        raise _bad("payload.predicate.bastion.kind", extra.get("kind"), f"'{SIGNATURE_KIND}'")
    if not isinstance(key_arn, str) or not key_arn.startswith("arn:"):
        raise _bad("payload.predicate.bastion.key_arn", key_arn, "a key ARN")
    if algorithm not in _HASHES:
        raise _bad("payload.predicate.bastion.signing_algorithm", algorithm, ", ".join(_HASHES))
    manifest = Manifest(files=files, model_name=name if isinstance(name, str) else "model")
    return manifest, key_arn, str(algorithm)


def _parse_bundle(data: object) -> SignedManifest:
    bundle = _mapping(data, "bundle")
    if bundle.get("mediaType") != BUNDLE_MEDIA_TYPE:
        raise _bad("mediaType", bundle.get("mediaType"), f"'{BUNDLE_MEDIA_TYPE}'")
    material = _mapping(bundle.get("verificationMaterial"), "verificationMaterial")
    hint = _mapping(material.get("publicKey"), "verificationMaterial.publicKey").get("hint")
    if not isinstance(hint, str) or len(hint) != 64 or not set(hint) <= _HEX:
        raise _bad("verificationMaterial.publicKey.hint", hint, "64 lowercase hex digits")
    envelope = _mapping(bundle.get("dsseEnvelope"), "dsseEnvelope")
    if envelope.get("payloadType") != PAYLOAD_TYPE:
        raise _bad("dsseEnvelope.payloadType", envelope.get("payloadType"), f"'{PAYLOAD_TYPE}'")
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or len(signatures) != 1:
        raise _bad("dsseEnvelope.signatures", signatures, "a list of one signature")
    sig = _mapping(signatures[0], "dsseEnvelope.signatures[0]")
    _b64(sig.get("sig"), "dsseEnvelope.signatures[0].sig", limit=1024)
    payload = _b64(envelope.get("payload"), "dsseEnvelope.payload", limit=MAX_PAYLOAD_BYTES)
    manifest, key_arn, algorithm = _read_statement(payload)
    clean = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {"publicKey": {"hint": hint}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": envelope["payload"],
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"sig": sig["sig"], "keyid": str(sig.get("keyid") or "")}],
        },
    }
    return SignedManifest(manifest=manifest, key_arn=key_arn, algorithm=algorithm, bundle=clean)


# ------------------------------------------------------------------------------- verifying


def _load_public(public_key: bytes) -> ec.EllipticCurvePublicKey:
    try:
        if public_key.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(public_key)
        else:
            key = serialization.load_der_public_key(public_key)
    except (ValueError, TypeError) as exc:
        raise Invalid(
            "public_key", got=f"<{len(public_key)} bytes>", expected="a PEM or DER public key"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name not in ALGORITHMS:
        raise Invalid(
            "public_key", got=type(key).__name__, expected="an ECDSA P-256, P-384 or P-521 key"
        )
    return key


def _refused(signed: SignedManifest, why: str) -> SignatureMismatch:
    return SignatureMismatch(
        f"The signed manifest (claimed key {signed.key_arn}) does not verify: {why}; the "
        "manifest was altered or signed by another key, so the files are not trusted",
        path=None,
        problem="signature",
    )


def verify_signature(
    signed: SignedManifest,
    *,
    public_key: bytes | None = None,
    keys: KeysClient | None = None,
    key_id: str | None = None,
) -> Manifest:
    """Check the bundle's signature; returns the manifest it signs.

    With ``public_key`` (PEM or DER) the check is offline. With ``keys`` it is ``kms:Verify``
    by ``key_id`` — the key you trust — or, without one, by the key the manifest names.
    """
    checked = _parse_bundle(signed.bundle)  # never trust fields set beside the bundle
    envelope = checked.bundle["dsseEnvelope"]
    payload = base64.b64decode(envelope["payload"])
    signature = base64.b64decode(envelope["signatures"][0]["sig"])
    digest = _pae_digest(payload, checked.algorithm)
    if public_key is not None:
        key = _load_public(public_key)
        der = key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if _hint(der) != checked.bundle["verificationMaterial"]["publicKey"]["hint"]:
            raise _refused(checked, "it names another public key than the one given")
        if ALGORITHMS[key.curve.name] != checked.algorithm:
            raise _refused(checked, f"{checked.algorithm} does not fit a {key.curve.name} key")
        chosen = _HASHES[checked.algorithm]()
        try:
            key.verify(signature, digest, ec.ECDSA(utils.Prehashed(chosen)))
        except CryptoInvalidSignature:
            raise _refused(checked, "the signature is not the given key's") from None
        return checked.manifest
    if keys is None:
        raise Invalid("public_key", got=None, expected="a public key, or keys= (the key service)")
    verifier = key_id if key_id is not None else checked.key_arn
    try:
        result = keys.verify(
            verifier,
            digest,
            signature,
            signing_algorithm=checked.algorithm,
            message_type="DIGEST",
        )
    except InvalidSignature:
        raise _refused(checked, f"the signature is not key {verifier}'s") from None
    if result.key_id != checked.key_arn:
        raise _refused(checked, f"it names key {checked.key_arn}, signed by {result.key_id}")
    return checked.manifest


def verify_directory(
    directory: Path,
    signed: SignedManifest,
    *,
    public_key: bytes | None = None,
    keys: KeysClient | None = None,
    key_id: str | None = None,
) -> None:
    """Verify the signature (see :func:`verify_signature`), then that ``directory`` holds
    exactly the signed files with the signed bytes.

    Raises :class:`~bastion.errors.SignatureMismatch` naming the first problem: a symlink or
    special file (``not-a-file``), a file listed but ``missing``, a file not listed (``extra``), or
    a file whose size or SHA-256 differs (``modified``; sizes are compared before anything is
    hashed), checked in that order, each by path.
    """
    manifest = verify_signature(signed, public_key=public_key, keys=keys, key_id=key_id)
    root = Path(directory)
    if not root.is_dir() or root.is_symlink():
        raise Invalid("directory", got=str(root), expected="an existing folder (not a symlink)")
    present, odd = _scan(root)
    listed = {f.path: f for f in manifest.files}
    if odd is not None:
        raise SignatureMismatch(
            f"'{odd}' in the model folder is a symlink or special file, which a signed model "
            "never has; refusing to load",
            path=odd,
            problem="not-a-file",
        )
    missing = sorted(set(listed) - set(present))
    if missing:
        raise SignatureMismatch(
            f"'{missing[0]}' is in the signed manifest but missing from the model folder; "
            "refusing to load",
            path=missing[0],
            problem="missing",
        )
    extra = sorted(set(present) - set(listed))
    if extra:
        raise SignatureMismatch(
            f"'{extra[0]}' is not in the signed manifest: a file was added to the model folder; "
            "refusing to load",
            path=extra[0],
            problem="extra",
        )
    ordered = sorted(listed.values(), key=lambda f: f.path)
    for expected in ordered:  # sizes first: a changed length is found without hashing
        size = present[expected.path].stat().st_size
        if size != expected.size:
            raise SignatureMismatch(
                f"'{expected.path}' differs from its signed content ({expected.size} bytes "
                f"signed, {size} found): the file was modified; refusing to load",
                path=expected.path,
                problem="modified",
            )
    for expected in ordered:
        digest, size = _digest(present[expected.path])
        if size != expected.size or digest != expected.sha256:
            raise SignatureMismatch(
                f"'{expected.path}' differs from its signed content (SHA-256 "
                f"{expected.sha256[:16]}…, {expected.size} bytes; found {digest[:16]}…, {size} "
                "bytes): the file was modified; refusing to load",
                path=expected.path,
                problem="modified",
            )


__all__ = [
    "MANIFEST_KIND",
    "Manifest",
    "ManifestFile",
    "SignedManifest",
    "build_manifest",
    "sign_manifest",
    "verify_directory",
    "verify_signature",
]
