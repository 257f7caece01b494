"""`bastion access …`: users, groups, roles, policies, tokens, access keys, guardrails, the
simulator and explanations (one SDK call per command, as the owner)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Literal

import typer

from bastion.access import actions_markdown, declared_actions
from bastion.cli._common import (
    JsonOption,
    emit,
    fail_cleanly,
    parse_pairs,
    session,
    to_jsonable,
)
from bastion.errors import Invalid

app = typer.Typer(
    help="Access control: users, groups, roles, policies, credentials, guardrails, simulator.",
    no_args_is_help=True,
)
user_app = typer.Typer(help="IAM users.", no_args_is_help=True)
group_app = typer.Typer(help="IAM groups.", no_args_is_help=True)
role_app = typer.Typer(help="IAM roles and AssumeRole.", no_args_is_help=True)
policy_app = typer.Typer(help="Managed and inline policies.", no_args_is_help=True)
token_app = typer.Typer(help="Bearer API tokens.", no_args_is_help=True)
key_app = typer.Typer(help="Access key pairs (AWS Signature Version 4).", no_args_is_help=True)
guardrail_app = typer.Typer(
    help="Organisation guardrails (SCPs), accounts and organisational units.",
    no_args_is_help=True,
)
app.add_typer(user_app, name="user")
app.add_typer(group_app, name="group")
app.add_typer(role_app, name="role")
app.add_typer(policy_app, name="policy")
app.add_typer(token_app, name="token")
app.add_typer(key_app, name="key")
app.add_typer(guardrail_app, name="guardrail")

USER_COLUMNS = ["name", "arn", "user_id", "permissions_boundary", "tags"]
ROLE_COLUMNS = ["name", "arn", "max_session_duration", "permissions_boundary", "tags"]
POLICY_COLUMNS = ["name", "arn", "default_version", "attachment_count", "description"]
TOKEN_COLUMNS = [
    "token_id",
    "principal_arn",
    "description",
    "expires_at",
    "revoked_at",
    "last_used_at",
]
GUARDRAIL_COLUMNS = ["guardrail_id", "name", "targets", "description"]
TagOption = typer.Option(None, "--tag", help="KEY=VALUE tag; repeatable.")
FileOption = typer.Option(..., "--file", "-f", exists=True, dir_okay=False, readable=True)


EntityKind = Literal["user", "group", "role"]


def _read(path: Path) -> str:
    return path.read_text()


def _entity(user: str | None, group: str | None, role: str | None) -> tuple[EntityKind, str]:
    given = [(k, v) for k, v in (("user", user), ("group", group), ("role", role)) if v]
    if len(given) != 1:
        raise Invalid(
            "--user/--group/--role",
            got=len(given),
            expected="exactly one of --user, --group, --role",
        )
    kind, name = given[0]
    return ("user" if kind == "user" else "group" if kind == "group" else "role"), name


# -- users ----------------------------------------------------------------------------------


@user_app.command("create")
def user_create(
    name: str = typer.Argument(..., help="User name (letters, digits, + = , . @ _ -)."),
    path: str = typer.Option("/", "--path", help="IAM path, e.g. /team/ml/."),
    tag: list[str] | None = TagOption,
    boundary: str | None = typer.Option(None, "--boundary", help="Permissions boundary ARN."),
    as_json: bool = JsonOption,
) -> None:
    """Create a user (it may do nothing until a policy allows it).

    Example: bastion access user create alice --tag team=risk
    """
    with session() as client:
        user = client.access.create_user(
            name,
            path=path,
            tags=parse_pairs(tag, field="tag") or None,
            permissions_boundary=boundary,
        )
    emit(user, as_json=as_json, columns=USER_COLUMNS, title="user created")


@user_app.command("list")
def user_list(as_json: bool = JsonOption) -> None:
    """List the account's users.

    Example: bastion access user list --json
    """
    with session() as client:
        users = client.access.list_users()
    emit(users, as_json=as_json, columns=USER_COLUMNS, title="users")


@user_app.command("show")
def user_show(name: str = typer.Argument(...), as_json: bool = JsonOption) -> None:
    """Show a user with its groups, inline and attached policies.

    Example: bastion access user show alice
    """
    with session() as client:
        user = client.access.get_user(name)
        detail: dict[str, Any] = {
            "user": user,
            "groups": [g.name for g in client.access.list_groups_for_user(name)],
            "inline_policies": client.access.list_inline_policies("user", name),
            "attached_policies": [
                p.arn for p in client.access.list_attached_policies("user", name)
            ],
        }
    emit(detail, as_json=as_json, title="user")


@user_app.command("delete")
def user_delete(name: str = typer.Argument(...), as_json: bool = JsonOption) -> None:
    """Delete a user with its policies, tokens and access keys.

    Example: bastion access user delete alice
    """
    with session() as client:
        client.access.delete_user(name)
    emit({"deleted": name}, as_json=as_json, title="user deleted")


@user_app.command("tag")
def user_tag(
    name: str = typer.Argument(...),
    tag: list[str] = typer.Option(..., "--tag"),
    as_json: bool = JsonOption,
) -> None:
    """Add or change a user's tags (aws:PrincipalTag/… in policies).

    Example: bastion access user tag alice --tag team=risk
    """
    with session() as client:
        client.access.tag_user(name, parse_pairs(tag, field="tag"))
        tags = client.access.list_user_tags(name)
    emit(tags, as_json=as_json, title="tags")


@user_app.command("boundary")
def user_boundary(
    name: str = typer.Argument(...),
    policy_arn: str | None = typer.Argument(None, help="Managed policy ARN; omit with --remove."),
    remove: bool = typer.Option(False, "--remove", help="Remove the boundary."),
    as_json: bool = JsonOption,
) -> None:
    """Set or remove a user's permissions boundary.

    Example: bastion access user boundary alice arn:bastion:iam::123456789012:policy/Boundary
    """
    with session() as client:
        if remove:
            client.access.delete_user_permissions_boundary(name)
        elif policy_arn:
            client.access.put_user_permissions_boundary(name, policy_arn)
        else:
            raise Invalid("policy_arn", got=None, expected="a managed policy ARN, or --remove")
        user = client.access.get_user(name)
    emit(user, as_json=as_json, columns=USER_COLUMNS, title="user")


# -- groups ---------------------------------------------------------------------------------


@group_app.command("create")
def group_create(name: str = typer.Argument(...), as_json: bool = JsonOption) -> None:
    """Create a group.

    Example: bastion access group create data-scientists
    """
    with session() as client:
        group = client.access.create_group(name)
    emit(group, as_json=as_json, title="group created")


@group_app.command("list")
def group_list(as_json: bool = JsonOption) -> None:
    """List groups.

    Example: bastion access group list
    """
    with session() as client:
        groups = client.access.list_groups()
    emit(groups, as_json=as_json, columns=["name", "arn", "group_id"], title="groups")


@group_app.command("add-user")
def group_add_user(
    group: str = typer.Argument(...), user: str = typer.Argument(...), as_json: bool = JsonOption
) -> None:
    """Make a user a member of a group.

    Example: bastion access group add-user data-scientists alice
    """
    with session() as client:
        client.access.add_user_to_group(group, user)
        members = client.access.get_group(group)
    emit({"group": group, "members": members}, as_json=as_json, title="group")


@group_app.command("remove-user")
def group_remove_user(
    group: str = typer.Argument(...), user: str = typer.Argument(...), as_json: bool = JsonOption
) -> None:
    """Remove a user from a group.

    Example: bastion access group remove-user data-scientists alice
    """
    with session() as client:
        client.access.remove_user_from_group(group, user)
        members = client.access.get_group(group)
    emit({"group": group, "members": members}, as_json=as_json, title="group")


@group_app.command("delete")
def group_delete(name: str = typer.Argument(...), as_json: bool = JsonOption) -> None:
    """Delete a group (its members stay users).

    Example: bastion access group delete data-scientists
    """
    with session() as client:
        client.access.delete_group(name)
    emit({"deleted": name}, as_json=as_json, title="group deleted")


# -- roles ----------------------------------------------------------------------------------


@role_app.command("create")
def role_create(
    name: str = typer.Argument(...),
    trust_file: Path = typer.Option(
        ..., "--trust-file", exists=True, dir_okay=False, readable=True, help="Trust policy JSON."
    ),
    description: str = typer.Option("", "--description"),
    max_session: int = typer.Option(3600, "--max-session", help="Longest session, seconds."),
    tag: list[str] | None = TagOption,
    boundary: str | None = typer.Option(None, "--boundary", help="Permissions boundary ARN."),
    as_json: bool = JsonOption,
) -> None:
    """Create a role; its trust policy names who may assume it.

    Example: bastion access role create fraud-client --trust-file trust.json
    """
    with session() as client:
        role = client.access.create_role(
            name,
            _read(trust_file),
            description=description,
            max_session_duration=max_session,
            tags=parse_pairs(tag, field="tag") or None,
            permissions_boundary=boundary,
        )
    emit(role, as_json=as_json, columns=ROLE_COLUMNS, title="role created")


@role_app.command("list")
def role_list(as_json: bool = JsonOption) -> None:
    """List roles.

    Example: bastion access role list
    """
    with session() as client:
        roles = client.access.list_roles()
    emit(roles, as_json=as_json, columns=ROLE_COLUMNS, title="roles")


@role_app.command("show")
def role_show(name: str = typer.Argument(...), as_json: bool = JsonOption) -> None:
    """Show a role with its trust policy and policies.

    Example: bastion access role show fraud-client --json
    """
    with session() as client:
        detail = {
            "role": client.access.get_role(name),
            "inline_policies": client.access.list_inline_policies("role", name),
            "attached_policies": [
                p.arn for p in client.access.list_attached_policies("role", name)
            ],
        }
    emit(detail, as_json=as_json, title="role")


@role_app.command("trust")
def role_trust(
    name: str = typer.Argument(...),
    trust_file: Path = typer.Option(
        ..., "--trust-file", exists=True, dir_okay=False, readable=True
    ),
    as_json: bool = JsonOption,
) -> None:
    """Replace a role's trust policy.

    Example: bastion access role trust fraud-client --trust-file trust.json
    """
    with session() as client:
        client.access.update_assume_role_policy(name, _read(trust_file))
        role = client.access.get_role(name)
    emit(role, as_json=as_json, columns=ROLE_COLUMNS, title="role")


@role_app.command("delete")
def role_delete(name: str = typer.Argument(...), as_json: bool = JsonOption) -> None:
    """Delete a role; its sessions stop working.

    Example: bastion access role delete fraud-client
    """
    with session() as client:
        client.access.delete_role(name)
    emit({"deleted": name}, as_json=as_json, title="role deleted")


@role_app.command("assume")
def role_assume(
    role_arn: str = typer.Argument(...),
    session_name: str = typer.Option(..., "--session-name"),
    duration: int | None = typer.Option(None, "--duration", help="Seconds, 900 to the role's max."),
    policy_file: Path | None = typer.Option(
        None, "--policy-file", exists=True, dir_okay=False, readable=True, help="Session policy."
    ),
    tag: list[str] | None = typer.Option(None, "--tag", help="Session tag KEY=VALUE."),
    as_json: bool = JsonOption,
) -> None:
    """Get short-lived credentials of a role (printed once: keep them secret).

    Example: bastion access role assume arn:bastion:iam::123456789012:role/ops --session-name me
    """
    with session() as client:
        creds = client.access.assume_role(
            role_arn,
            session_name,
            duration_seconds=duration,
            policy=_read(policy_file) if policy_file else None,
            tags=parse_pairs(tag, field="tag") or None,
        )
    emit(creds, as_json=as_json, title="session credentials")


# -- policies -------------------------------------------------------------------------------


@policy_app.command("create")
def policy_create(
    name: str = typer.Argument(...),
    file: Path = FileOption,
    description: str = typer.Option("", "--description"),
    as_json: bool = JsonOption,
) -> None:
    """Create a managed policy from a JSON file.

    Example: bastion access policy create FraudInvoke -f fraud-invoke.json
    """
    with session() as client:
        created = client.access.create_policy(name, _read(file), description=description)
    emit(created, as_json=as_json, columns=POLICY_COLUMNS, title="policy created")


@policy_app.command("list")
def policy_list(as_json: bool = JsonOption) -> None:
    """List managed policies.

    Example: bastion access policy list
    """
    with session() as client:
        policies = client.access.list_policies()
    emit(policies, as_json=as_json, columns=POLICY_COLUMNS, title="policies")


@policy_app.command("show")
def policy_show(
    arn: str = typer.Argument(...),
    version: str | None = typer.Option(None, "--version", help="v1, v2 … (default: default)."),
    as_json: bool = JsonOption,
) -> None:
    """Show a managed policy's document.

    Example: bastion access policy show arn:bastion:iam::123456789012:policy/FraudInvoke
    """
    with session() as client:
        shown = client.access.get_policy_version(arn, version)
    emit(shown, as_json=as_json, title="policy version")


@policy_app.command("new-version")
def policy_new_version(
    arn: str = typer.Argument(...),
    file: Path = FileOption,
    default: bool = typer.Option(False, "--default", help="Make it the default version."),
    as_json: bool = JsonOption,
) -> None:
    """Add a version to a managed policy (5 at most).

    Example: bastion access policy new-version arn:…:policy/FraudInvoke -f v2.json --default
    """
    with session() as client:
        made = client.access.create_policy_version(arn, _read(file), set_as_default=default)
    emit(made, as_json=as_json, title="policy version")


@policy_app.command("set-default")
def policy_set_default(
    arn: str = typer.Argument(...), version: str = typer.Argument(...), as_json: bool = JsonOption
) -> None:
    """Choose the version of a managed policy that applies.

    Example: bastion access policy set-default arn:…:policy/FraudInvoke v1
    """
    with session() as client:
        client.access.set_default_policy_version(arn, version)
        shown = client.access.get_policy(arn)
    emit(shown, as_json=as_json, columns=POLICY_COLUMNS, title="policy")


@policy_app.command("delete")
def policy_delete(arn: str = typer.Argument(...), as_json: bool = JsonOption) -> None:
    """Delete a managed policy that is attached nowhere.

    Example: bastion access policy delete arn:…:policy/Old
    """
    with session() as client:
        client.access.delete_policy(arn)
    emit({"deleted": arn}, as_json=as_json, title="policy deleted")


@policy_app.command("attach")
def policy_attach(
    arn: str = typer.Argument(..., help="Managed policy ARN."),
    user: str | None = typer.Option(None, "--user"),
    group: str | None = typer.Option(None, "--group"),
    role: str | None = typer.Option(None, "--role"),
    detach: bool = typer.Option(False, "--detach", help="Detach instead."),
    as_json: bool = JsonOption,
) -> None:
    """Attach (or --detach) a managed policy to a user, group or role.

    Example: bastion access policy attach arn:…:policy/FraudInvoke --role fraud-client
    """
    with session() as client:
        kind, name = _entity(user, group, role)
        if detach:
            client.access.detach_policy(kind, name, arn)
        else:
            client.access.attach_policy(kind, name, arn)
        attached = [p.arn for p in client.access.list_attached_policies(kind, name)]
    emit({kind: name, "attached_policies": attached}, as_json=as_json, title="attached policies")


@policy_app.command("put")
def policy_put(
    policy_name: str = typer.Argument(..., help="Inline policy name."),
    file: Path = FileOption,
    user: str | None = typer.Option(None, "--user"),
    group: str | None = typer.Option(None, "--group"),
    role: str | None = typer.Option(None, "--role"),
    as_json: bool = JsonOption,
) -> None:
    """Add or replace an inline policy of a user, group or role.

    Example: bastion access policy put least-privilege -f fraud.json --role fraud-client
    """
    with session() as client:
        kind, name = _entity(user, group, role)
        client.access.put_inline_policy(kind, name, policy_name, _read(file))
        names = client.access.list_inline_policies(kind, name)
    emit({kind: name, "inline_policies": names}, as_json=as_json, title="inline policies")


@policy_app.command("remove")
def policy_remove(
    policy_name: str = typer.Argument(..., help="Inline policy name."),
    user: str | None = typer.Option(None, "--user"),
    group: str | None = typer.Option(None, "--group"),
    role: str | None = typer.Option(None, "--role"),
    as_json: bool = JsonOption,
) -> None:
    """Delete an inline policy of a user, group or role.

    Example: bastion access policy remove least-privilege --role fraud-client
    """
    with session() as client:
        kind, name = _entity(user, group, role)
        client.access.delete_inline_policy(kind, name, policy_name)
        names = client.access.list_inline_policies(kind, name)
    emit({kind: name, "inline_policies": names}, as_json=as_json, title="inline policies")


@policy_app.command("validate")
def policy_validate(
    file: Path = FileOption,
    kind: str = typer.Option("identity", "--kind", help="identity, resource, scp, boundary …"),
    as_json: bool = JsonOption,
) -> None:
    """Check a policy: errors name the JSON path; warnings are like IAM Access Analyzer's.

    Example: bastion access policy validate -f fraud.json
    """
    with session() as client:
        warnings = client.access.validate_policy(_read(file), kind=kind)  # type: ignore[arg-type]
    emit(
        warnings or [{"code": "ok", "path": "", "message": "no findings"}],
        as_json=as_json,
        columns=["code", "path", "message"],
        title="policy findings",
    )


# -- tokens and access keys -----------------------------------------------------------------


@token_app.command("create")
def token_create(
    user: str | None = typer.Option(None, "--user", help="Default: the owner itself."),
    description: str = typer.Option("", "--description"),
    days: int = typer.Option(90, "--days", help="Days until it expires (1-3650)."),
    as_json: bool = JsonOption,
) -> None:
    """Make a bearer API token; it is printed once and stored only as a keyed hash.

    Example: bastion access token create --user alice --days 30 --json
    """
    with session() as client:
        made = client.access.create_api_token(
            user_name=user, description=description, expires_in_days=days
        )
    emit(
        {"token": made.token, **_plain(made.info)}, as_json=as_json, title="API token (shown once)"
    )


@token_app.command("list")
def token_list(user: str | None = typer.Option(None, "--user"), as_json: bool = JsonOption) -> None:
    """List API tokens (never their secrets).

    Example: bastion access token list --user alice
    """
    with session() as client:
        tokens = client.access.list_api_tokens(user_name=user)
    emit(tokens, as_json=as_json, columns=TOKEN_COLUMNS, title="API tokens")


@token_app.command("revoke")
def token_revoke(
    token_id: str = typer.Argument(..., help="bst_…"), as_json: bool = JsonOption
) -> None:
    """Revoke an API token: it stops working at once.

    Example: bastion access token revoke bst_0123456789abcdef
    """
    with session() as client:
        revoked = client.access.revoke_api_token(token_id)
    emit(revoked, as_json=as_json, columns=TOKEN_COLUMNS, title="API token revoked")


@key_app.command("create")
def key_create(user: str | None = typer.Option(None, "--user"), as_json: bool = JsonOption) -> None:
    """Make an access key pair for boto3 / SigV4 (the secret is printed once).

    Example: bastion access key create --user alice --json
    """
    with session() as client:
        made = client.access.create_access_key(user_name=user)
    emit(
        {"access_key_id": made.access_key_id, "secret_access_key": made.secret_access_key},
        as_json=as_json,
        title="access key (secret shown once)",
    )


@key_app.command("list")
def key_list(user: str | None = typer.Option(None, "--user"), as_json: bool = JsonOption) -> None:
    """List access keys (never their secrets).

    Example: bastion access key list --user alice
    """
    with session() as client:
        keys = client.access.list_access_keys(user_name=user)
    emit(
        keys,
        as_json=as_json,
        columns=["access_key_id", "status", "created_at", "last_used_at"],
        title="access keys",
    )


@key_app.command("set-status")
def key_status(
    access_key_id: str = typer.Argument(...),
    status: str = typer.Argument(..., help="Active or Inactive."),
    user: str | None = typer.Option(None, "--user"),
    as_json: bool = JsonOption,
) -> None:
    """Make an access key Active or Inactive.

    Example: bastion access key set-status AKIA… Inactive --user alice
    """
    with session() as client:
        key = client.access.update_access_key(access_key_id, status, user_name=user)
    emit(key, as_json=as_json, title="access key")


@key_app.command("delete")
def key_delete(
    access_key_id: str = typer.Argument(...),
    user: str | None = typer.Option(None, "--user"),
    as_json: bool = JsonOption,
) -> None:
    """Delete an access key.

    Example: bastion access key delete AKIA… --user alice
    """
    with session() as client:
        client.access.delete_access_key(access_key_id, user_name=user)
    emit({"deleted": access_key_id}, as_json=as_json, title="access key deleted")


# -- guardrails, accounts, OUs --------------------------------------------------------------


@guardrail_app.command("create")
def guardrail_create(
    name: str = typer.Argument(...),
    file: Path = FileOption,
    description: str = typer.Option("", "--description"),
    as_json: bool = JsonOption,
) -> None:
    """Create a guardrail (an SCP); attach it to take effect.

    Example: bastion access guardrail create RequireIsolatedTraining -f scp.json
    """
    with session() as client:
        made = client.access.create_guardrail(name, _read(file), description=description)
    emit(made, as_json=as_json, columns=GUARDRAIL_COLUMNS, title="guardrail created")


@guardrail_app.command("list")
def guardrail_list(as_json: bool = JsonOption) -> None:
    """List guardrails and where they are attached.

    Example: bastion access guardrail list
    """
    with session() as client:
        found = client.access.list_guardrails()
    emit(found, as_json=as_json, columns=GUARDRAIL_COLUMNS, title="guardrails")


@guardrail_app.command("attach")
def guardrail_attach(
    guardrail: str = typer.Argument(..., help="Guardrail id (p-…) or name."),
    target: str = typer.Argument(..., help="Account id, OU id (ou-…) or root id (r-…)."),
    detach: bool = typer.Option(False, "--detach", help="Detach instead."),
    as_json: bool = JsonOption,
) -> None:
    """Attach (or --detach) a guardrail to the root, an OU or an account.

    Example: bastion access guardrail attach RequireIsolatedTraining 123456789012
    """
    with session() as client:
        if detach:
            client.access.detach_guardrail(guardrail, target)
        else:
            client.access.attach_guardrail(guardrail, target)
        shown = client.access.get_guardrail(guardrail)
    emit(shown, as_json=as_json, columns=GUARDRAIL_COLUMNS, title="guardrail")


@guardrail_app.command("delete")
def guardrail_delete(guardrail: str = typer.Argument(...), as_json: bool = JsonOption) -> None:
    """Delete a detached guardrail.

    Example: bastion access guardrail delete RequireIsolatedTraining
    """
    with session() as client:
        client.access.delete_guardrail(guardrail)
    emit({"deleted": guardrail}, as_json=as_json, title="guardrail deleted")


@guardrail_app.command("accounts")
def guardrail_accounts(
    create: str | None = typer.Option(None, "--create", help="Create a member account."),
    as_json: bool = JsonOption,
) -> None:
    """List the organisation's accounts (or --create one).

    Example: bastion access guardrail accounts --create prod
    """
    with session() as client:
        if create:
            client.access.create_account(create)
        accounts = client.access.list_accounts()
    emit(accounts, as_json=as_json, title="accounts")


# -- decisions ------------------------------------------------------------------------------


@app.command()
def simulate(
    principal: str = typer.Option(..., "--principal", help="User, role or root ARN."),
    action: str = typer.Option(..., "--action", help="e.g. kms:Decrypt"),
    resource: str = typer.Option("*", "--resource", help="Resource ARN."),
    context: list[str] | None = typer.Option(None, "--context", help="KEY=VALUE; repeatable."),
    as_json: bool = JsonOption,
) -> None:
    """Would PRINCIPAL be allowed ACTION on RESOURCE? Shows the deciding statements and why
    every other statement did not apply.

    Example: bastion access simulate --principal arn:bastion:iam::123456789012:user/alice
    --action kms:Encrypt --resource "*" --context aws:SourceIp=10.0.0.1
    """
    with session() as client:
        result = client.access.simulate(
            principal, action, resource, parse_pairs(context, field="context")
        )
    if as_json:
        emit(result, as_json=True)
        return
    emit(
        {"decision": result.decision, "reason": result.reason},
        as_json=False,
        title=f"{action} on {resource}",
    )
    rows = [
        {
            "policy": p.policy,
            "type": p.policy_type if p.level is None else f"{p.policy_type} (level {p.level})",
            "sid": s.sid or f"#{s.index}",
            "effect": s.effect,
            "applies": "yes" if s.applies else "no",
            "why": s.reason,
        }
        for p in result.policies
        for s in p.statements
    ]
    if rows:
        emit(rows, as_json=False, title="statements")


@app.command()
def explain(
    request_id: str = typer.Argument(..., help="requestID of a recorded call."),
    as_json: bool = JsonOption,
) -> None:
    """Explain a recorded call (e.g. a denied one) under today's policies.

    Example: bastion access explain 1b4e28ba-2fa1-11d2-883f-0016d3cca427
    """
    with session() as client:
        result = client.access.explain(request_id)
    if as_json:
        emit(result, as_json=True)
        return
    sim = result.simulation
    emit(
        {
            "call": f"{result.event_name} at {result.event_time}",
            "recorded": result.recorded_error_code or "allowed",
            "message": result.recorded_error_message or "",
            "now": sim.decision,
            "reason": sim.reason,
            "deciding": ", ".join(
                f"{d.policy} {d.sid or '#' + str(d.index)}" for d in sim.deciding
            ),
        },
        as_json=False,
        title=f"request {request_id}",
    )


@app.command()
def whoami(as_json: bool = JsonOption) -> None:
    """Show who the CLI acts as (sts:GetCallerIdentity).

    Example: bastion access whoami
    """
    with session() as client:
        identity = client.access.get_caller_identity()
    emit(identity, as_json=as_json, title="caller identity")


@app.command()
def actions(
    markdown: bool = typer.Option(False, "--markdown", help="Print docs/actions.md."),
    as_json: bool = JsonOption,
) -> None:
    """The action catalogue: every action, its resource ARN and condition keys.

    Example: bastion access actions --markdown > docs/actions.md
    """
    with fail_cleanly():
        if markdown:
            sys.stdout.write(actions_markdown())
            return
        rows = [
            {
                "action": a.name,
                "resource": a.arn_pattern,
                "read_only": a.read_only,
                "condition_keys": list(a.all_condition_keys),
                "doc": a.doc,
            }
            for a in sorted(declared_actions().values(), key=lambda a: a.name.lower())
        ]
    emit(rows, as_json=as_json, columns=["action", "resource", "read_only", "doc"], title="actions")


def _plain(value: Any) -> dict[str, Any]:
    data = to_jsonable(value)
    return data if isinstance(data, dict) else {"value": data}
