"""`bastion keys create --key-usage SIGN_VERIFY`, `sign`, `verify`, `public-key` (both DBs)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from typer.testing import CliRunner

from bastion.cli import app

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised home on SQLite and PostgreSQL."""
    monkeypatch.setenv("BASTION_DATABASE_URL", db_url)
    home = tmp_path / "home"
    result = runner.invoke(app, ["--home", str(home), "init", "--json"])
    assert result.exit_code == 0, result.output
    return home


def cli(home: Path, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, ["--home", str(home), "keys", *args])
    assert result.exit_code == code, result.output
    if code == 0 and "--json" in args:
        return json.loads(result.stdout)
    return result


def test_sign_verify_and_public_key_from_the_command_line(home: Path, tmp_path: Path) -> None:
    created = cli(
        home, "create", "--key-usage", "SIGN_VERIFY", "--key-spec", "ECC_NIST_P256", "--json"
    )
    assert created["key_spec"] == "ECC_NIST_P256"
    assert created["signing_algorithms"] == ["ECDSA_SHA_256"]
    kid = created["key_id"]
    cli(home, "alias", "alias/signer", kid)
    message = tmp_path / "release.txt"
    message.write_bytes(b"release 1.4")
    sig = tmp_path / "release.sig"

    signed = cli(
        home, "sign", "alias/signer", "--message-file", str(message),
        "--algorithm", "ECDSA_SHA_256", "-o", str(sig), "--json",
    )  # fmt: skip
    assert signed == {
        "key_id": created["arn"],
        "signing_algorithm": "ECDSA_SHA_256",
        "output": str(sig),
    }
    verified = cli(
        home, "verify", kid, "--message-file", str(message), "--signature-file", str(sig),
        "--algorithm", "ECDSA_SHA_256", "--json",
    )  # fmt: skip
    assert verified["signature_valid"] is True

    pem = tmp_path / "signer.pem"
    shown = cli(home, "public-key", "alias/signer", "-o", str(pem), "--json")
    assert shown["key_spec"] == "ECC_NIST_P256" and shown["public_key_pem"] == pem.read_text()
    public = serialization.load_pem_public_key(pem.read_bytes())
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(sig.read_bytes(), b"release 1.4", ec.ECDSA(hashes.SHA256()))  # interop
    printed = cli(home, "public-key", kid)
    assert printed.stdout == pem.read_text()

    message.write_bytes(b"release 1.5")
    refused = cli(
        home, "verify", kid, "--message-file", str(message), "--signature-file", str(sig),
        "--algorithm", "ECDSA_SHA_256", code=2,
    )  # fmt: skip
    assert "signature does not verify" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_ed25519_signature_printed_in_base64(home: Path, tmp_path: Path) -> None:
    kid = cli(
        home, "create", "--key-usage", "SIGN_VERIFY", "--key-spec", "ECC_NIST_EDWARDS25519",
        "--json",
    )["key_id"]  # fmt: skip
    message = tmp_path / "m.txt"
    message.write_bytes(b"hello")
    signed = cli(
        home, "sign", kid, "--message-file", str(message), "--algorithm", "ED25519_SHA_512",
        "--json",
    )  # fmt: skip
    signature = base64.b64decode(signed["signature"])
    der = tmp_path / "k.der"
    cli(home, "public-key", kid, "--der", "-o", str(der))
    public = serialization.load_der_public_key(der.read_bytes())
    assert isinstance(public, ed25519.Ed25519PublicKey)
    public.verify(signature, b"hello")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--key-spec", "ECC_NIST_P256"], "'key_usage' parameter of CreateKey"),
        (["create", "--key-usage", "SIGN_VERIFY", "--key-spec", "P-256"], "'key_spec'"),
    ],
)
def test_bad_key_kinds_are_one_line_and_exit_2(home: Path, args: list[str], message: str) -> None:
    result = cli(home, *args, code=2)
    assert message in result.stderr and "Traceback" not in result.output


def test_signing_errors_name_the_field(home: Path, tmp_path: Path) -> None:
    symmetric = cli(home, "create", "--json")["key_id"]
    signing = cli(
        home, "create", "--key-usage", "SIGN_VERIFY", "--key-spec", "ECC_NIST_P384", "--json"
    )["key_id"]
    message = tmp_path / "m.txt"
    message.write_bytes(b"m" * 5000)
    too_big = cli(
        home, "sign", signing, "--message-file", str(message), "--algorithm", "ECDSA_SHA_384",
        code=2,
    )  # fmt: skip
    assert "'message' parameter of Sign must be bytes of length 1 to 4096" in too_big.stderr
    message.write_bytes(b"m")
    wrong = cli(
        home, "sign", signing, "--message-file", str(message), "--algorithm", "ECDSA_SHA_256",
        code=2,
    )  # fmt: skip
    assert "'signing_algorithm' parameter of Sign" in wrong.stderr
    usage = cli(
        home, "sign", symmetric, "--message-file", str(message), "--algorithm", "ECDSA_SHA_256",
        code=2,
    )  # fmt: skip
    assert "Sign needs a SIGN_VERIFY key" in usage.stderr
    assert "has no public key" in cli(home, "public-key", symmetric, code=2).stderr
