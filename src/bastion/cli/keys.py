"""`bastion keys …`: master keys, aliases, rotation, deletion, signing (one SDK call a command)."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import typer

from bastion.cli._common import JsonOption, emit, parse_pairs, session
from bastion.errors import Conflict, Invalid

app = typer.Typer(
    help="Master keys: create, list, rotate, disable, schedule deletion, aliases, sign, verify.",
    no_args_is_help=True,
)

KEY_COLUMNS = ["key_id", "key_state", "current_version", "description", "creation_date"]
KeyArg = typer.Argument(..., help="Key id, key ARN, alias name (alias/…) or alias ARN.")
MessageFileOption = typer.Option(
    ...,
    "--message-file",
    exists=True,
    dir_okay=False,
    readable=True,
    help="File holding the message (1-4096 bytes), or the digest with --message-type DIGEST.",
)
AlgorithmOption = typer.Option(
    ..., "--algorithm", help="Signing algorithm, e.g. ECDSA_SHA_256 or ED25519_SHA_512."
)
MessageTypeOption = typer.Option(
    "RAW", "--message-type", help="RAW (hashed while signing) or DIGEST (already hashed)."
)


@app.command()
def create(
    description: str = typer.Option("", "--description", "-d", help="What the key protects."),
    tag: list[str] | None = typer.Option(None, "--tag", help="KEY=VALUE tag; repeatable."),
    policy_file: Path | None = typer.Option(
        None,
        "--policy-file",
        exists=True,
        dir_okay=False,
        readable=True,
        help="Key policy JSON (default: the account root may do all).",
    ),
    key_usage: str = typer.Option(
        "ENCRYPT_DECRYPT", "--key-usage", help="ENCRYPT_DECRYPT or SIGN_VERIFY."
    ),
    key_spec: str = typer.Option(
        "SYMMETRIC_DEFAULT",
        "--key-spec",
        help="SYMMETRIC_DEFAULT, or for SIGN_VERIFY: ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, "
        "ECC_SECG_P256K1, ECC_NIST_EDWARDS25519, RSA_2048, RSA_3072, RSA_4096.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create a symmetric master key (AES-256-GCM), or an asymmetric signing key.

    Example: bastion keys create --description "fraud data" --tag team=risk
    Example: bastion keys create --key-usage SIGN_VERIFY --key-spec ECC_NIST_P256
    """
    with session() as client:
        tags = parse_pairs(tag, field="tag")
        policy = policy_file.read_text() if policy_file is not None else None
        key = client.keys.create_key(
            description=description,
            tags=tags or None,
            policy=policy,
            key_usage=key_usage,
            key_spec=key_spec,
        )
    emit(key, as_json=as_json, columns=KEY_COLUMNS, title="key created")


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """List the account's keys, oldest first.

    Example: bastion keys list --json
    """
    with session() as client:
        keys = client.keys.list_keys()
    emit(keys, as_json=as_json, columns=KEY_COLUMNS, title="keys")


@app.command()
def describe(key: str = KeyArg, as_json: bool = JsonOption) -> None:
    """Show one key's metadata.

    Example: bastion keys describe alias/fraud-data
    """
    with session() as client:
        metadata = client.keys.describe_key(key)
    emit(metadata, as_json=as_json, title="key")


@app.command()
def rotate(
    key: str = KeyArg,
    enable_auto: bool = typer.Option(
        False, "--enable-auto", help="Turn on automatic rotation instead of rotating now."
    ),
    period_days: int = typer.Option(
        365, "--period-days", help="Automatic rotation period in days (90-2560)."
    ),
    disable_auto: bool = typer.Option(False, "--disable-auto", help="Turn automatic rotation off."),
    as_json: bool = JsonOption,
) -> None:
    """Rotate a key now (old ciphertexts keep decrypting), or switch automatic rotation.

    Example: bastion keys rotate alias/fraud-data
    Example: bastion keys rotate alias/fraud-data --enable-auto --period-days 180
    """
    with session() as client:
        if enable_auto and disable_auto:
            raise Invalid(
                "disable_auto",
                got="--disable-auto with --enable-auto",
                expected="at most one of --enable-auto and --disable-auto",
            )
        if enable_auto:
            result: object = client.keys.enable_key_rotation(
                key, rotation_period_in_days=period_days
            )
        elif disable_auto:
            result = client.keys.disable_key_rotation(key)
        else:
            result = {"key_id": client.keys.rotate_key_on_demand(key), "rotation": "ON_DEMAND"}
    emit(result, as_json=as_json, title="rotation")


@app.command()
def disable(key: str = KeyArg, as_json: bool = JsonOption) -> None:
    """Disable a key: it stops encrypting and decrypting until enabled.

    Example: bastion keys disable alias/fraud-data
    """
    with session() as client:
        metadata = client.keys.disable_key(key)
    emit(metadata, as_json=as_json, columns=KEY_COLUMNS, title="key disabled")


@app.command()
def enable(key: str = KeyArg, as_json: bool = JsonOption) -> None:
    """Enable a disabled key.

    Example: bastion keys enable alias/fraud-data
    """
    with session() as client:
        metadata = client.keys.enable_key(key)
    emit(metadata, as_json=as_json, columns=KEY_COLUMNS, title="key enabled")


@app.command("schedule-deletion")
def schedule_deletion(
    key: str = KeyArg,
    days: int = typer.Option(30, "--days", help="Waiting period in days (7-30)."),
    as_json: bool = JsonOption,
) -> None:
    """Make a key unusable now and delete it after the waiting period.

    Example: bastion keys schedule-deletion alias/old-key --days 7
    """
    with session() as client:
        scheduled = client.keys.schedule_key_deletion(key, pending_window_in_days=days)
    emit(scheduled, as_json=as_json, title="deletion scheduled")


@app.command("cancel-deletion")
def cancel_deletion(key: str = KeyArg, as_json: bool = JsonOption) -> None:
    """Cancel a scheduled deletion; the key comes back Disabled (enable it to use it).

    Example: bastion keys cancel-deletion alias/old-key
    """
    with session() as client:
        metadata = client.keys.cancel_key_deletion(key)
    emit(metadata, as_json=as_json, columns=KEY_COLUMNS, title="deletion cancelled")


@app.command()
def alias(
    name: str = typer.Argument(..., help="Alias name, e.g. alias/fraud-data."),
    key: str = typer.Argument(..., help="Key id or key ARN the alias points at."),
    as_json: bool = JsonOption,
) -> None:
    """Create an alias, or point an existing one at another key.

    Example: bastion keys alias alias/fraud-data 1234abcd-12ab-34cd-56ef-1234567890ab
    """
    with session() as client:
        try:
            entry = client.keys.create_alias(name, key)
        except Conflict:
            entry = client.keys.update_alias(name, key)
    emit(entry, as_json=as_json, title="alias")


@app.command()
def maintain(as_json: bool = JsonOption) -> None:
    """Rotate keys that are due and delete keys whose deletion date passed (run it daily).

    Example: bastion keys maintain --json
    """
    with session() as client:
        report = client.keys.run_maintenance()
    emit(
        {"rotated": list(report.rotated), "deleted": list(report.deleted)},
        as_json=as_json,
        title="key maintenance",
    )


@app.command()
def sign(
    key: str = KeyArg,
    message_file: Path = MessageFileOption,
    algorithm: str = AlgorithmOption,
    message_type: str = MessageTypeOption,
    output: Path | None = typer.Option(
        None, "--output", "-o", dir_okay=False, help="Write the raw signature bytes here."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Sign a message (or a digest) with an asymmetric key; prints the signature in base64.

    Example: bastion keys sign alias/signer --message-file m.txt --algorithm ECDSA_SHA_256 -o m.sig
    """
    with session() as client:
        signed = client.keys.sign(
            key,
            message_file.read_bytes(),
            signing_algorithm=algorithm,
            message_type=message_type,
        )
    result: dict[str, object] = {
        "key_id": signed.key_id,
        "signing_algorithm": signed.signing_algorithm,
    }
    if output is not None:
        output.write_bytes(signed.signature)
        result["output"] = str(output)
    else:
        result["signature"] = base64.b64encode(signed.signature).decode("ascii")
    emit(result, as_json=as_json, title="signature")


@app.command()
def verify(
    key: str = KeyArg,
    message_file: Path = MessageFileOption,
    signature_file: Path = typer.Option(
        ...,
        "--signature-file",
        exists=True,
        dir_okay=False,
        readable=True,
        help="File holding the raw signature bytes (as written by 'bastion keys sign -o').",
    ),
    algorithm: str = AlgorithmOption,
    message_type: str = MessageTypeOption,
    as_json: bool = JsonOption,
) -> None:
    """Check a signature with the key; exit code 0 when valid, 2 (with the reason) when not.

    Example: bastion keys verify alias/signer --message-file m.txt --signature-file m.sig
    --algorithm ECDSA_SHA_256
    """
    with session() as client:
        result = client.keys.verify(
            key,
            message_file.read_bytes(),
            signature_file.read_bytes(),
            signing_algorithm=algorithm,
            message_type=message_type,
        )
    emit(result, as_json=as_json, title="signature valid")


@app.command("public-key")
def public_key(
    key: str = KeyArg,
    output: Path | None = typer.Option(
        None, "--output", "-o", dir_okay=False, help="Write the key here instead of stdout."
    ),
    der: bool = typer.Option(False, "--der", help="DER SubjectPublicKeyInfo instead of PEM."),
    as_json: bool = JsonOption,
) -> None:
    """Print (or save) the public key of an asymmetric key, PEM by default.

    Example: bastion keys public-key alias/model-signing -o model-signing.pem
    """
    with session() as client:
        result = client.keys.get_public_key(key)
    data = result.public_key if der else result.pem.encode("ascii")
    if output is not None:
        output.write_bytes(data)
    if as_json:
        emit(
            {
                "key_id": result.key_id,
                "key_spec": result.key_spec,
                "key_usage": result.key_usage,
                "signing_algorithms": list(result.signing_algorithms),
                "public_key_pem": result.pem,
            },
            as_json=True,
        )
    elif output is None:
        if der:
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(result.pem)
