"""`bastion keys …`: master keys, aliases, rotation and deletion (one SDK call per command)."""

from __future__ import annotations

from pathlib import Path

import typer

from bastion.cli._common import JsonOption, emit, parse_pairs, session
from bastion.errors import Conflict, Invalid

app = typer.Typer(
    help="Master keys: create, list, rotate, disable, schedule deletion, aliases.",
    no_args_is_help=True,
)

KEY_COLUMNS = ["key_id", "key_state", "current_version", "description", "creation_date"]
KeyArg = typer.Argument(..., help="Key id, key ARN, alias name (alias/…) or alias ARN.")


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
    as_json: bool = JsonOption,
) -> None:
    """Create a symmetric master key (AES-256-GCM).

    Example: bastion keys create --description "fraud data" --tag team=risk
    """
    with session() as client:
        tags = parse_pairs(tag, field="tag")
        policy = policy_file.read_text() if policy_file is not None else None
        key = client.keys.create_key(description=description, tags=tags or None, policy=policy)
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
