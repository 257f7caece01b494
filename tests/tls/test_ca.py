"""The local CA: created once, key sealed, server certificates that verify and renew."""

from __future__ import annotations

import ipaddress
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bastion.errors import Invalid, InvalidCiphertext, NotFound
from bastion.keys._root import RootSealer
from bastion.tls import ensure_local_ca, ensure_server_certificate, tls_dir, user_certificate
from bastion.tls._ca import CA_CERT, CA_KEY


@pytest.fixture
def sealer() -> RootSealer:
    return RootSealer(b"\x01" * 32)


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ca_is_created_once_with_its_key_sealed(tmp_path: Path, sealer: RootSealer) -> None:
    ca_path = ensure_local_ca(tmp_path, sealer)
    key_path = tls_dir(tmp_path) / CA_KEY
    assert _mode(key_path) == 0o600
    raw = key_path.read_bytes()
    assert b"PRIVATE KEY" not in raw
    with pytest.raises(ValueError):
        serialization.load_der_private_key(raw, password=None)
    ca = _cert(ca_path)
    basic = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca is True and basic.path_length == 0
    before = (ca_path.read_bytes(), raw)
    assert ensure_local_ca(tmp_path, sealer) == ca_path
    assert (ca_path.read_bytes(), key_path.read_bytes()) == before


def test_server_certificate_verifies_against_the_ca(tmp_path: Path, sealer: RootSealer) -> None:
    files = ensure_server_certificate(tmp_path, sealer)
    assert files.issued and files.source == "local-ca" and files.ca_file is not None
    assert _mode(files.key_file) == 0o600
    ca, cert = _cert(files.ca_file), _cert(files.cert_file)
    cert.verify_directly_issued_by(ca)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(sans.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.SERVER_AUTH in usage
    assert cert.not_valid_after_utc - datetime.now(UTC) > timedelta(days=360)
    again = ensure_server_certificate(tmp_path, sealer)
    assert not again.issued
    assert again.cert_file.read_bytes() == files.cert_file.read_bytes()


def test_server_certificate_is_reissued_for_new_hosts_and_near_expiry(
    tmp_path: Path, sealer: RootSealer
) -> None:
    first = ensure_server_certificate(tmp_path, sealer).cert_file.read_bytes()
    wider = ensure_server_certificate(tmp_path, sealer, hosts=["localhost", "bastion.internal"])
    assert wider.issued and wider.cert_file.read_bytes() != first
    sans = _cert(wider.cert_file).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert "bastion.internal" in sans.value.get_values_for_type(x509.DNSName)
    later = datetime.now(UTC) + timedelta(days=340)
    renewed = ensure_server_certificate(
        tmp_path, sealer, hosts=["localhost", "bastion.internal"], now=later
    )
    assert renewed.issued
    # the CA itself is never replaced
    assert ensure_local_ca(tmp_path, sealer) == tmp_path / "tls" / CA_CERT


def test_wrong_root_key_cannot_issue(tmp_path: Path, sealer: RootSealer) -> None:
    ensure_local_ca(tmp_path, sealer)
    with pytest.raises(InvalidCiphertext):
        ensure_server_certificate(tmp_path, RootSealer(b"\x02" * 32))


def test_incomplete_ca_is_a_clear_error(tmp_path: Path, sealer: RootSealer) -> None:
    ensure_local_ca(tmp_path, sealer)
    (tls_dir(tmp_path) / CA_KEY).unlink()
    with pytest.raises(NotFound, match=r"ca\.key\.sealed is missing"):
        ensure_local_ca(tmp_path, sealer)


@pytest.mark.parametrize("hosts", [[], [""], ["*.example"], ["a/b"], ["x" * 300]])
def test_bad_hosts_are_refused(tmp_path: Path, sealer: RootSealer, hosts: list[str]) -> None:
    with pytest.raises(Invalid) as err:
        ensure_server_certificate(tmp_path, sealer, hosts=hosts)
    assert err.value.field == "hosts"


def _pair(tmp_path: Path, name: str) -> tuple[Path, Path]:
    files = ensure_server_certificate(tmp_path / name, RootSealer(b"\x03" * 32))
    return files.cert_file, files.key_file


def test_user_certificate(tmp_path: Path) -> None:
    cert, key = _pair(tmp_path, "a")
    files = user_certificate(cert, key)
    assert files.source == "user" and files.ca_file is None
    _, other_key = _pair(tmp_path, "b")
    with pytest.raises(Invalid) as err:
        user_certificate(cert, other_key)
    assert err.value.field == "key_file"
    with pytest.raises(Invalid) as err:
        user_certificate(tmp_path / "missing.pem", key)
    assert err.value.field == "cert_file"
    with pytest.raises(Invalid) as err:
        user_certificate(key, key)
    assert err.value.field == "cert_file"
    encrypted = tmp_path / "enc.key"
    private = ec.generate_private_key(ec.SECP256R1())
    encrypted.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    with pytest.raises(Invalid) as err:
        user_certificate(cert, encrypted)
    assert err.value.field == "key_file"


def test_public_names_are_pinned() -> None:
    import bastion.tls

    assert sorted(bastion.tls.__all__) == [
        "DEFAULT_HOSTS",
        "TlsFiles",
        "ensure_local_ca",
        "ensure_server_certificate",
        "tls_dir",
        "user_certificate",
    ]
