"""Signed model manifests (OpenSSF model-signing format, key held by the key service).

A signed folder verifies; a flipped byte, a missing, an extra or a linked file is refused naming
it; a forged or re-signed manifest is refused; the bundle verifies with ``model_signing``'s own
verifier and the public key alone (interop); hypothesis over random file trees. SQLite and
PostgreSQL through the ``bastion`` fixture.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.errors import AccessDenied, Disabled, Invalid, SignatureMismatch
from bastion.keys import KeysClient
from bastion.registry._signing import (
    MANIFEST_KIND,
    Manifest,
    SignedManifest,
    build_manifest,
    sign_manifest,
    verify_directory,
    verify_signature,
)
from bastion.sdk import Bastion


@pytest.fixture
def keys(bastion: Bastion) -> KeysClient:
    return bastion.keys


@pytest.fixture
def signing_key(keys: KeysClient) -> str:
    return str(keys.create_key(key_usage="SIGN_VERIFY", key_spec="ECC_NIST_P256").arn)


def make_model(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "model.onnx").write_bytes(os.urandom(2048))
    (root / "conf").mkdir()
    (root / "conf" / "params.json").write_text('{"depth": 6}')
    (root / "conf" / "empty.txt").write_bytes(b"")
    (root / "README.md").write_text("fraud model\n")
    return root


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return make_model(tmp_path / "fraud-model")


def flip(path: Path, offset: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def refused(directory: Path, signed: SignedManifest, **how: Any) -> SignatureMismatch:
    with pytest.raises(SignatureMismatch) as info:
        verify_directory(directory, signed, **how)
    assert info.value.status == 422 and info.value.code == "signature-mismatch"
    return info.value


# ------------------------------------------------------------------------------ manifests


def test_manifest_lists_every_file_with_digest_and_size(model: Path) -> None:
    manifest = build_manifest(model)
    assert [f.path for f in manifest.files] == [
        "README.md",
        "conf/empty.txt",
        "conf/params.json",
        "model.onnx",
    ]
    onnx = manifest.files[-1]
    assert onnx.size == 2048
    assert onnx.sha256 == hashlib.sha256((model / "model.onnx").read_bytes()).hexdigest()
    assert manifest.model_name == "fraud-model"
    # the content id covers paths, digests and sizes, not the folder's name
    moved = model.parent / "elsewhere"
    shutil.copytree(model, moved)
    assert build_manifest(moved).sha256 == manifest.sha256
    document = json.loads(manifest.canonical())
    assert document["kind"] == MANIFEST_KIND and len(document["files"]) == 4


def test_building_refuses_symlinks_empty_and_missing_folders(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="'directory'"):
        build_manifest(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(Invalid, match="at least one model file"):
        build_manifest(tmp_path / "empty")
    linked = make_model(tmp_path / "linked")
    (linked / "weights.bin").symlink_to("/etc/hostname")
    with pytest.raises(Invalid, match=r"weights\.bin"):
        build_manifest(linked)
    dir_link = make_model(tmp_path / "dirlink")
    (dir_link / "more").symlink_to(tmp_path / "linked", target_is_directory=True)
    with pytest.raises(Invalid, match="more"):
        build_manifest(dir_link)
    fifo = make_model(tmp_path / "fifo")
    os.mkfifo(fifo / "pipe")
    with pytest.raises(Invalid, match="pipe"):
        build_manifest(fifo)


# ------------------------------------------------------------------------------ sign and verify


def test_signed_folder_verifies_with_the_key_service_and_the_public_key(
    keys: KeysClient, signing_key: str, model: Path
) -> None:
    signed = sign_manifest(build_manifest(model), keys=keys, key_id=signing_key)
    assert signed.key_arn == signing_key and signed.algorithm == "ECDSA_SHA_256"
    assert signed.sha256 == build_manifest(model).sha256
    verify_directory(model, signed, keys=keys)
    verify_directory(model, signed, keys=keys, key_id=signing_key)
    pem = keys.get_public_key(signing_key).pem.encode()
    der = keys.get_public_key(signing_key).public_key
    verify_directory(model, signed, public_key=pem)
    verify_directory(model, signed, public_key=der)
    # what the registry stores round-trips, through a dict and through model.sig text
    again = SignedManifest.from_dict(json.loads(json.dumps(signed.to_dict())))
    assert again == signed
    assert SignedManifest.from_json(signed.to_json()) == signed
    verify_directory(model, again, public_key=pem)


@pytest.mark.parametrize(
    ("spec", "algorithm"), [("ECC_NIST_P384", "ECDSA_SHA_384"), ("ECC_NIST_P521", "ECDSA_SHA_512")]
)
def test_larger_curves_sign_with_their_hash(
    keys: KeysClient, model: Path, spec: str, algorithm: str
) -> None:
    key = keys.create_key(key_usage="SIGN_VERIFY", key_spec=spec)
    signed = sign_manifest(build_manifest(model), keys=keys, key_id=key.key_id)
    assert signed.algorithm == algorithm
    verify_directory(model, signed, keys=keys)
    verify_directory(model, signed, public_key=keys.get_public_key(key.key_id).pem.encode())


def test_keys_the_format_cannot_carry_are_refused(keys: KeysClient, model: Path) -> None:
    ed = keys.create_key(key_usage="SIGN_VERIFY", key_spec="ECC_NIST_EDWARDS25519")
    with pytest.raises(Invalid, match=r"'key_id'.*ECC_NIST_P256"):
        sign_manifest(build_manifest(model), keys=keys, key_id=ed.key_id)


def test_interop_with_the_openssf_model_signing_verifier(
    keys: KeysClient, signing_key: str, model: Path, tmp_path: Path
) -> None:
    from model_signing import verifying

    signed = sign_manifest(build_manifest(model), keys=keys, key_id=signing_key)
    sig = tmp_path / "model.sig"
    sig.write_text(signed.to_json())
    pem = tmp_path / "signer.pem"
    pem.write_text(keys.get_public_key(signing_key).pem)
    config = verifying.Config().use_elliptic_key_verifier(public_key=pem)  # type: ignore[no-untyped-call]
    config.verify(model, sig)
    flip(model / "conf" / "params.json")
    with pytest.raises(ValueError, match=r"conf/params\.json"):
        config.verify(model, sig)


def test_bundle_is_a_dsse_in_toto_statement(
    keys: KeysClient, signing_key: str, model: Path
) -> None:
    signed = sign_manifest(build_manifest(model), keys=keys, key_id=signing_key)
    bundle = signed.to_dict()
    assert bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    envelope = bundle["dsseEnvelope"]
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://model_signing/signature/v1.0"
    resources = statement["predicate"]["resources"]
    assert [r["name"] for r in resources] == [f.path for f in signed.files]
    assert statement["predicate"]["bastion"]["key_arn"] == signing_key
    assert signed.signature[0] == 0x30  # ECDSA DER, made by kms:Sign


# ------------------------------------------------------------------------------ refusals


def test_one_flipped_byte_is_refused_naming_the_file(
    keys: KeysClient, signing_key: str, model: Path
) -> None:
    signed = sign_manifest(build_manifest(model), keys=keys, key_id=signing_key)
    flip(model / "model.onnx", offset=1000)
    error = refused(model, signed, keys=keys)
    assert error.path == "model.onnx" and error.problem == "modified"
    assert "'model.onnx'" in error.message


def test_missing_extra_and_linked_files_are_named(
    keys: KeysClient, signing_key: str, model: Path, tmp_path: Path
) -> None:
    signed = sign_manifest(build_manifest(model), keys=keys, key_id=signing_key)
    pem = keys.get_public_key(signing_key).pem.encode()

    (model / "conf" / "params.json").unlink()
    error = refused(model, signed, public_key=pem)
    assert (error.path, error.problem) == ("conf/params.json", "missing")
    (model / "conf" / "params.json").write_text('{"depth": 6}')
    verify_directory(model, signed, public_key=pem)

    (model / "conf" / "backdoor.py").write_text("import os")
    error = refused(model, signed, public_key=pem)
    assert (error.path, error.problem) == ("conf/backdoor.py", "extra")
    (model / "conf" / "backdoor.py").unlink()

    (model / "README.md").write_text("fraud model, longer\n")
    error = refused(model, signed, public_key=pem)
    assert (error.path, error.problem) == ("README.md", "modified")
    (model / "README.md").write_text("fraud model\n")

    (model / "model.onnx").rename(tmp_path / "real.onnx")
    (model / "model.onnx").symlink_to(tmp_path / "real.onnx")
    error = refused(model, signed, public_key=pem)
    assert (error.path, error.problem) == ("model.onnx", "not-a-file")


def test_a_forged_manifest_is_refused(keys: KeysClient, signing_key: str, model: Path) -> None:
    signed = sign_manifest(build_manifest(model), keys=keys, key_id=signing_key)
    flip(model / "model.onnx")
    # the attacker rewrites the manifest to the new digest but cannot re-sign it
    bundle = signed.to_dict()
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    forged = build_manifest(model)
    statement["predicate"]["resources"] = [
        {"name": f.path, "algorithm": "sha256", "digest": f.sha256, "size": f.size}
        for f in forged.files
    ]
    root = hashlib.sha256(b"".join(bytes.fromhex(f.sha256) for f in forged.files)).hexdigest()
    statement["subject"][0]["digest"]["sha256"] = root
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    tampered = SignedManifest.from_dict(bundle)
    for how in ({"keys": keys}, {"public_key": keys.get_public_key(signing_key).pem.encode()}):
        error = refused(model, tampered, **how)
        assert error.problem == "signature" and error.path is None
    # fields set beside the bundle are never trusted
    lying = SignedManifest(
        manifest=forged, key_arn=signed.key_arn, algorithm=signed.algorithm, bundle=signed.bundle
    )
    assert refused(model, lying, keys=keys).path == "model.onnx"


def test_a_manifest_signed_by_another_key_is_refused(
    keys: KeysClient, signing_key: str, model: Path
) -> None:
    other = str(keys.create_key(key_usage="SIGN_VERIFY", key_spec="ECC_NIST_P256").arn)
    flip(model / "model.onnx")
    resigned = sign_manifest(build_manifest(model), keys=keys, key_id=other)
    # pinned to the trusted key, with kms:Verify or with its public key: refused
    error = refused(model, resigned, keys=keys, key_id=signing_key)
    assert error.problem == "signature" and other in error.message
    error = refused(model, resigned, public_key=keys.get_public_key(signing_key).pem.encode())
    assert "another public key" in error.message
    # a bundle claiming the trusted key but signed by the other one
    statement_of = sign_manifest(build_manifest(model), keys=keys, key_id=signing_key)
    swapped = statement_of.to_dict()
    swapped["dsseEnvelope"]["signatures"] = resigned.to_dict()["dsseEnvelope"]["signatures"]
    assert refused(model, SignedManifest.from_dict(swapped), keys=keys).problem == "signature"


def test_the_signing_key_state_and_policy_apply(
    keys: KeysClient, signing_key: str, model: Path
) -> None:
    signed = sign_manifest(build_manifest(model), keys=keys, key_id=signing_key)
    keys.disable_key(signing_key)
    with pytest.raises(Disabled):
        verify_directory(model, signed, keys=keys)
    with pytest.raises(Disabled):
        sign_manifest(build_manifest(model), keys=keys, key_id=signing_key)
    keys.enable_key(signing_key)
    deny = {"Effect": "Deny", "Principal": "*", "Action": "kms:Sign", "Resource": "*"}
    policy = json.loads(keys.get_key_policy(signing_key))
    policy["Statement"].append(deny)
    keys.put_key_policy(signing_key, json.dumps(policy))
    verify_directory(model, signed, keys=keys)  # kms:Verify is still allowed
    with pytest.raises(AccessDenied):  # the key policy's explicit deny binds even the owner
        sign_manifest(build_manifest(model), keys=keys, key_id=signing_key)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda b, s: b.update(mediaType="application/json"), "manifest.mediaType"),
        (lambda b, s: b["dsseEnvelope"].update(payload="@@@"), "manifest.dsseEnvelope.payload"),
        (lambda b, s: b["dsseEnvelope"].update(signatures=[]), "manifest.dsseEnvelope.signatures"),
        (lambda b, s: s["predicate"]["resources"][0].update(name="../../etc/passwd"),
         "manifest.resources[0].name"),
        (lambda b, s: s["predicate"]["resources"][0].update(name="/etc/passwd"),
         "manifest.resources[0].name"),
        (lambda b, s: s["predicate"]["resources"][0].update(name="a/./b"),
         "manifest.resources[0].name"),
        (lambda b, s: s["predicate"]["resources"][0].update(digest="XYZ"),
         "manifest.resources[0].digest"),
        (lambda b, s: s["predicate"]["resources"][0].update(size=-1), "manifest.resources[0].size"),
        (lambda b, s: s["predicate"]["resources"].append(s["predicate"]["resources"][0]),
         "manifest.resources"),
        (lambda b, s: s["predicate"]["serialization"].update(allow_symlinks=True),
         "manifest.payload.predicate.serialization"),
        (lambda b, s: s["subject"][0]["digest"].update(sha256="0" * 64),
         "manifest.payload.subject[0].digest"),
        (lambda b, s: s["predicate"]["bastion"].update(signing_algorithm="ED25519_SHA_512"),
         "manifest.payload.predicate.bastion.signing_algorithm"),
    ],
)  # fmt: skip
def test_malformed_bundles_name_the_field(edit: Any, field: str) -> None:
    resources = [{"name": "a.bin", "algorithm": "sha256", "digest": "0" * 64, "size": 1}]
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "m", "digest": {"sha256": hashlib.sha256(bytes(32)).hexdigest()}}],
        "predicateType": "https://model_signing/signature/v1.0",
        "predicate": {
            "serialization": {"method": "files", "hash_type": "sha256", "allow_symlinks": False},
            "resources": resources,
            "bastion": {
                "kind": "bastion.registry/model-signature@1",
                "key_arn": "arn:bastion:kms:local:111122223333:key/x",
                "signing_algorithm": "ECDSA_SHA_256",
            },
        },
    }
    bundle: dict[str, Any] = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": "0" * 64}, "tlogEntries": []},
        "dsseEnvelope": {
            "payloadType": "application/vnd.in-toto+json",
            "signatures": [{"sig": base64.b64encode(b"sig").decode(), "keyid": ""}],
        },
    }
    SignedManifest.from_dict(
        {**bundle, "dsseEnvelope": {**bundle["dsseEnvelope"], "payload": _b64json(statement)}}
    )  # the unedited one parses
    edit(bundle, statement)
    bundle["dsseEnvelope"].setdefault("payload", _b64json(statement))
    with pytest.raises(Invalid) as info:
        SignedManifest.from_dict(bundle)
    assert info.value.field == field, info.value.message


def _b64json(value: object) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def test_hostile_documents_are_refused() -> None:
    junk: object
    for junk in (None, [], "text", {"mediaType": 1}):
        with pytest.raises(Invalid):
            SignedManifest.from_dict(junk)
    with pytest.raises(Invalid, match="not JSON"):
        SignedManifest.from_json("{not json")
    with pytest.raises(Invalid, match="bytes"):
        SignedManifest.from_json("x" * (64 * 1024 * 1024 + 1))
    with pytest.raises(Invalid):
        verify_signature(
            SignedManifest(
                manifest=Manifest(files=()), key_arn="arn:x", algorithm="ECDSA_SHA_256", bundle={}
            )
        )


# ------------------------------------------------------------------------------ property


NAMES = st.text(alphabet="abcdefghij_-.0123456789", min_size=1, max_size=8).filter(
    lambda n: n not in (".", "..")
)
TREES = st.dictionaries(
    st.lists(NAMES, min_size=1, max_size=3).map(tuple),
    st.binary(max_size=300),
    min_size=1,
    max_size=8,
)


def _write_tree(root: Path, tree: dict[tuple[str, ...], bytes]) -> dict[str, bytes]:
    """Write the files; a path that is a prefix of another becomes a folder (skipped as a file)."""
    written: dict[str, bytes] = {}
    dirs = {parts[:i] for parts in tree for i in range(1, len(parts))}
    for parts, data in sorted(tree.items()):
        if parts in dirs:
            continue
        target = root.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written["/".join(parts)] = data
    return written


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=TREES, pick=st.integers(min_value=0), action=st.sampled_from(["flip", "drop", "add"]))
def test_any_change_to_any_tree_is_named(
    keys: KeysClient,
    signing_key: str,
    tmp_path: Path,
    tree: dict[tuple[str, ...], bytes],
    pick: int,
    action: str,
) -> None:
    root = tmp_path / uuid.uuid4().hex
    root.mkdir()
    written = _write_tree(root, tree)
    signed = sign_manifest(build_manifest(root), keys=keys, key_id=signing_key)
    assert [f.path for f in signed.files] == sorted(written)
    pem = keys.get_public_key(signing_key).pem.encode()
    verify_directory(root, signed, public_key=pem)

    victim = sorted(written)[pick % len(written)]
    if action == "flip" and written[victim]:
        flip(root / victim, offset=pick % len(written[victim]))
        expected = (victim, "modified")
    elif action == "flip":  # an empty file grows
        (root / victim).write_bytes(b"!")
        expected = (victim, "modified")
    elif action == "drop":
        (root / victim).unlink()
        expected = (victim, "missing")
    else:
        added = f"{victim}~added"  # "~" is outside the names alphabet: a new file
        (root / added).write_bytes(b"extra")
        expected = (added, "extra")
    error = refused(root, signed, public_key=pem)
    assert (error.path, error.problem) == expected
