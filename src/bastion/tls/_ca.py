"""TLS for the API: a local certificate authority in the home, or the user's own certificate.

``bastion init`` calls :func:`ensure_local_ca`; ``bastion server`` calls
:func:`ensure_server_certificate` (which also creates the CA when it is missing). Files under
``<home>/tls/``::

    ca.pem            the CA certificate: give it to clients (httpx ``verify=``, curl --cacert)
    ca.key.sealed     the CA private key, sealed by the root key (AES-256-GCM), mode 0600
    server.pem        the server certificate (localhost, 127.0.0.1, ::1 by default)
    server.key        the server private key (PEM, mode 0600; the TLS library reads it)

Keys are ECDSA P-256. The CA lives 10 years; a server certificate 365 days and is re-issued when
it has less than 30 days left or does not cover the hosts asked for. Existing CA files are never
overwritten. Validity uses the real time (TLS peers check it against theirs), never a test clock.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bastion.errors import Invalid, NotFound
from bastion.keys._root import RootSealer

log = logging.getLogger(__name__)

TLS_DIR = "tls"
CA_CERT = "ca.pem"
CA_KEY = "ca.key.sealed"
SERVER_CERT = "server.pem"
SERVER_KEY = "server.key"
DEFAULT_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
CA_DAYS = 3650
SERVER_DAYS = 365
RENEW_BEFORE = timedelta(days=30)
_CA_KEY_AAD = b"bastion/tls/ca-key"
_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, kw_only=True)
class TlsFiles:
    """The certificate and key the server presents, and the CA clients should trust."""

    cert_file: Path
    key_file: Path
    ca_file: Path | None
    source: str
    issued: bool = False


def tls_dir(home: Path) -> Path:
    """``<home>/tls``: where the local CA and the server certificate live."""
    return home / TLS_DIR


def ensure_local_ca(home: Path, sealer: RootSealer, *, now: datetime | None = None) -> Path:
    """Create the local CA once (key sealed by the root key); returns the CA certificate path."""
    folder = tls_dir(home)
    cert_path, key_path = folder / CA_CERT, folder / CA_KEY
    if cert_path.exists() and key_path.exists():
        return cert_path
    if cert_path.exists() or key_path.exists():
        missing = key_path if cert_path.exists() else cert_path
        raise NotFound(
            f"The local CA is incomplete: {missing} is missing; restore it, or move "
            f"{folder} away to create a new CA (clients must then trust the new ca.pem)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    moment = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bastion"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Bastion local CA {home.resolve().name}"),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - _SKEW)
        .not_valid_after(moment + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_new(key_path, sealer.seal(der, aad=_CA_KEY_AAD), mode=0o600)
    _write_new(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    log.info("tls.ca_created path=%s", cert_path)
    return cert_path


def ensure_server_certificate(
    home: Path,
    sealer: RootSealer,
    *,
    hosts: Sequence[str] = DEFAULT_HOSTS,
    now: datetime | None = None,
) -> TlsFiles:
    """The server certificate signed by the local CA, issued or re-issued when needed."""
    names = _check_hosts(hosts)
    moment = now or datetime.now(UTC)
    ca_path = ensure_local_ca(home, sealer, now=moment)
    folder = tls_dir(home)
    cert_path, key_path = folder / SERVER_CERT, folder / SERVER_KEY
    if _current(cert_path, key_path, names, moment):
        return TlsFiles(cert_file=cert_path, key_file=key_path, ca_file=ca_path, source="local-ca")
    ca_cert = x509.load_pem_x509_certificate(ca_path.read_bytes())
    ca_key = serialization.load_der_private_key(
        sealer.open((folder / CA_KEY).read_bytes(), aad=_CA_KEY_AAD), password=None
    )
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise Invalid("ca.key.sealed", got=type(ca_key).__name__, expected="an ECDSA private key")
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_address(h)) if _is_ip(h) else x509.DNSName(h) for h in names
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - _SKEW)
        .not_valid_after(moment + timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _replace(key_path, pem_key, mode=0o600)
    _replace(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    log.info("tls.server_certificate_issued hosts=%s", ",".join(names))
    return TlsFiles(
        cert_file=cert_path, key_file=key_path, ca_file=ca_path, source="local-ca", issued=True
    )


def user_certificate(cert_file: Path, key_file: Path) -> TlsFiles:
    """The user's own certificate and key, checked to exist and to be a matching PEM pair."""
    for field, path in (("cert_file", cert_file), ("key_file", key_file)):
        if not path.is_file():
            raise Invalid(field, got=str(path), expected="the path of a readable PEM file")
    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    except ValueError as exc:
        raise Invalid("cert_file", got=str(cert_file), expected="a PEM certificate") from exc
    try:
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise Invalid(
            "key_file", got=str(key_file), expected="an unencrypted PEM private key"
        ) from exc
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if cert.public_key().public_bytes(
        serialization.Encoding.DER, spki
    ) != key.public_key().public_bytes(serialization.Encoding.DER, spki):
        raise Invalid("key_file", got=str(key_file), expected=f"the private key of {cert_file}")
    return TlsFiles(cert_file=cert_file, key_file=key_file, ca_file=None, source="user")


def _check_hosts(hosts: Sequence[str]) -> list[str]:
    names = [h.strip() for h in hosts]
    if not names or any(not h or len(h) > 253 or any(c in h for c in "/ *\x00") for h in names):
        raise Invalid("hosts", got=list(hosts), expected="one or more DNS names or IP addresses")
    return names


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _current(cert_path: Path, key_path: Path, names: list[str], now: datetime) -> bool:
    """True when the server certificate exists, is valid long enough and covers ``names``."""
    if not (cert_path.exists() and key_path.exists()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return False
    covered = {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
    covered.update(sans.get_values_for_type(x509.DNSName))
    wanted = {str(ipaddress.ip_address(h)) if _is_ip(h) else h for h in names}
    return wanted <= covered and cert.not_valid_after_utc - now > RENEW_BEFORE


def _write_new(path: Path, data: bytes, *, mode: int) -> None:
    """Create ``path`` with ``mode``; never overwrites (a concurrent init loses cleanly)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _replace(path: Path, data: bytes, *, mode: int) -> None:
    """Write ``path`` atomically (temporary file with ``mode``, then rename)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.unlink(missing_ok=True)
    _write_new(temp, data, mode=mode)
    os.replace(temp, path)


__all__ = [
    "DEFAULT_HOSTS",
    "TlsFiles",
    "ensure_local_ca",
    "ensure_server_certificate",
    "tls_dir",
    "user_certificate",
]
