"""Asymmetric signing keys: the key specs, their signing algorithms, and the cryptography.

Everything follows AWS KMS, so a signature made here verifies wherever KMS signatures do:

============================  ===============================================  ===============
key spec                      signing algorithms                               signature
============================  ===============================================  ===============
``ECC_NIST_P256``             ``ECDSA_SHA_256``                                DER (r, s)
``ECC_NIST_P384``             ``ECDSA_SHA_384``                                DER (r, s)
``ECC_NIST_P521``             ``ECDSA_SHA_512``                                DER (r, s)
``ECC_SECG_P256K1``           ``ECDSA_SHA_256``                                DER (r, s)
``ECC_NIST_EDWARDS25519``     ``ED25519_SHA_512`` (``MessageType`` ``RAW``)    64 bytes
``RSA_2048/3072/4096``        ``RSASSA_PSS_SHA_256/384/512`` (salt = hash      modulus bytes
                              length, MGF1 with the same hash),
                              ``RSASSA_PKCS1_V1_5_SHA_256/384/512``
============================  ===============================================  ===============

``MessageType`` ``RAW`` hashes the message while signing; ``DIGEST`` takes a digest already made
with the algorithm's hash (its length must match). Pure Ed25519 signs the message itself, so it
takes ``RAW`` only; ``ED25519_PH_SHA_512`` (pre-hashed Ed25519) is not offered because
``cryptography`` does not implement it. Private keys travel between here and a backend as
unencrypted PKCS #8 DER, only in memory; public keys as DER ``SubjectPublicKeyInfo``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature as _BadSignature
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

from bastion.errors import Invalid

SIGN_VERIFY = "SIGN_VERIFY"
MESSAGE_TYPES = ("RAW", "DIGEST")
MAX_MESSAGE = 4096
MAX_SIGNATURE = 6144

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey

_HASHES: dict[str, type[hashes.SHA256] | type[hashes.SHA384] | type[hashes.SHA512]] = {
    "SHA_256": hashes.SHA256,
    "SHA_384": hashes.SHA384,
    "SHA_512": hashes.SHA512,
}
_RSA_ALGORITHMS = tuple(
    f"{scheme}_{h}" for scheme in ("RSASSA_PSS", "RSASSA_PKCS1_V1_5") for h in _HASHES
)


@dataclass(frozen=True, kw_only=True)
class SigningSpec:
    """One asymmetric key spec: how its key is made and which algorithms it signs with."""

    key_spec: str
    algorithms: tuple[str, ...]
    curve: type[ec.EllipticCurve] | None = None
    rsa_bits: int | None = None

    @property
    def is_ed25519(self) -> bool:
        return self.curve is None and self.rsa_bits is None

    def generate(self) -> bytes:
        """A fresh private key as PKCS #8 DER (keep it in memory only, seal it at once)."""
        key: PrivateKey
        if self.curve is not None:
            key = ec.generate_private_key(self.curve())
        elif self.rsa_bits is not None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=self.rsa_bits)
        else:
            key = ed25519.Ed25519PrivateKey.generate()
        return key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def matches(self, key: PrivateKey | PublicKey) -> bool:
        """Whether ``key`` is a key of this spec (a stored row may have been edited)."""
        if self.curve is not None:
            return isinstance(
                key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey
            ) and isinstance(key.curve, self.curve)
        if self.rsa_bits is not None:
            return (
                isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey)
                and key.key_size == self.rsa_bits
            )
        return isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey)


SIGNING_SPECS: dict[str, SigningSpec] = {
    spec.key_spec: spec
    for spec in (
        SigningSpec(key_spec="ECC_NIST_P256", algorithms=("ECDSA_SHA_256",), curve=ec.SECP256R1),
        SigningSpec(key_spec="ECC_NIST_P384", algorithms=("ECDSA_SHA_384",), curve=ec.SECP384R1),
        SigningSpec(key_spec="ECC_NIST_P521", algorithms=("ECDSA_SHA_512",), curve=ec.SECP521R1),
        SigningSpec(key_spec="ECC_SECG_P256K1", algorithms=("ECDSA_SHA_256",), curve=ec.SECP256K1),
        SigningSpec(key_spec="ECC_NIST_EDWARDS25519", algorithms=("ED25519_SHA_512",)),
        SigningSpec(key_spec="RSA_2048", algorithms=_RSA_ALGORITHMS, rsa_bits=2048),
        SigningSpec(key_spec="RSA_3072", algorithms=_RSA_ALGORITHMS, rsa_bits=3072),
        SigningSpec(key_spec="RSA_4096", algorithms=_RSA_ALGORITHMS, rsa_bits=4096),
    )
}


def digest_size(algorithm: str) -> int | None:
    """Bytes of the digest ``algorithm`` signs (``None`` for pure Ed25519, which has none)."""
    if algorithm == "ED25519_SHA_512":
        return None
    return _HASHES[algorithm[-7:]].digest_size


def _hash(algorithm: str, message_type: str) -> hashes.HashAlgorithm | utils.Prehashed:
    chosen = _HASHES[algorithm[-7:]]()
    return utils.Prehashed(chosen) if message_type == "DIGEST" else chosen


def _rsa_padding(algorithm: str) -> padding.AsymmetricPadding:
    if algorithm.startswith("RSASSA_PSS"):
        chosen = _HASHES[algorithm[-7:]]()
        return padding.PSS(mgf=padding.MGF1(chosen), salt_length=chosen.digest_size)
    return padding.PKCS1v15()


def check_request(
    spec: SigningSpec,
    *,
    algorithm: object,
    message: bytes,
    message_type: str,
    operation: str,
) -> str:
    """Refuse an algorithm the key spec has, or a digest of the wrong length; returns it."""
    if not isinstance(algorithm, str) or algorithm not in spec.algorithms:
        raise Invalid(
            "signing_algorithm",
            got=algorithm,
            expected=f"one of {', '.join(spec.algorithms)} (the signing algorithms of a "
            f"{spec.key_spec} key)",
            operation=operation,
        )
    size = digest_size(algorithm)
    if message_type == "DIGEST":
        if size is None:
            raise Invalid(
                "message_type",
                got=message_type,
                expected=f"'RAW' for {algorithm} (Ed25519 signs the message itself)",
                operation=operation,
            )
        if len(message) != size:
            raise Invalid(
                "message",
                got=f"<{len(message)} bytes>",
                expected=f"a {size}-byte digest for {algorithm} with message_type DIGEST",
                operation=operation,
            )
    return algorithm


def load_private(der: bytes, spec: SigningSpec) -> PrivateKey:
    """The private key in ``der``; ``ValueError`` when it is not a key of ``spec``."""
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError("not a PKCS #8 private key") from exc
    if not isinstance(
        key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
    ) or not spec.matches(key):
        raise ValueError(f"not a {spec.key_spec} private key")
    return key


def public_der(key: PrivateKey) -> bytes:
    """The public half of ``key`` as DER ``SubjectPublicKeyInfo`` (what GetPublicKey returns)."""
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def sign(key: PrivateKey, *, algorithm: str, message: bytes, message_type: str) -> bytes:
    """Sign ``message`` (checked by :func:`check_request` first) in AWS KMS's format."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(_hash(algorithm, message_type)))
    return key.sign(message, _rsa_padding(algorithm), _hash(algorithm, message_type))


def load_public(der: bytes) -> PublicKey:
    """A DER ``SubjectPublicKeyInfo`` of a supported type; ``ValueError`` otherwise."""
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError("not a DER SubjectPublicKeyInfo") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey):
        raise ValueError(f"unsupported public key type {type(key).__name__}")
    return key


def is_valid(
    key: PublicKey, *, algorithm: str, message: bytes, message_type: str, signature: bytes
) -> bool:
    """Whether ``signature`` is ``key``'s signature of ``message`` under ``algorithm``."""
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(_hash(algorithm, message_type)))
        else:
            key.verify(signature, message, _rsa_padding(algorithm), _hash(algorithm, message_type))
    except _BadSignature:
        return False
    return True


__all__ = [
    "MAX_MESSAGE",
    "MAX_SIGNATURE",
    "MESSAGE_TYPES",
    "SIGNING_SPECS",
    "SIGN_VERIFY",
    "PrivateKey",
    "PublicKey",
    "SigningSpec",
    "check_request",
    "digest_size",
    "is_valid",
    "load_private",
    "load_public",
    "public_der",
    "sign",
]
