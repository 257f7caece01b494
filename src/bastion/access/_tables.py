"""Tables only the access room writes (schema in migrations 0001 and 0005).

``principals`` holds every identity that can act or be assumed: account roots, users and roles
(``type`` Root, IAMUser, Role). Secrets are never stored in the clear: API tokens and session
tokens only as an HMAC-SHA256 under a key sealed by the root key (``iam_secrets``), access-key
secrets only sealed by the root key (SigV4 verification needs the secret itself).
"""

import sqlalchemy as sa

from bastion.db import metadata

_TS = sa.DateTime(timezone=True)
_ARN = sa.String(2048)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("account_id", sa.String(12), primary_key=True),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("name", sa.String(64), nullable=True),
    sa.Column("parent_id", sa.String(64), nullable=True),
    sa.Column("management", sa.Boolean(), nullable=False, server_default=sa.false()),
)

principals = sa.Table(
    "principals",
    metadata,
    sa.Column("arn", _ARN, primary_key=True),
    sa.Column("principal_id", sa.String(128), nullable=False, unique=True),
    sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.account_id"), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("path", sa.String(512), nullable=True),
    sa.Column("boundary_arn", _ARN, nullable=True),
    sa.Column("trust_policy", sa.Text(), nullable=True),
    sa.Column("max_session_seconds", sa.Integer(), nullable=True),
    sa.Column("description", sa.Text(), nullable=True),
    sa.Index("uq_principals_account_type_name", "account_id", "type", "name", unique=True),
)

iam_groups = sa.Table(
    "iam_groups",
    metadata,
    sa.Column("arn", _ARN, primary_key=True),
    sa.Column("group_id", sa.String(128), nullable=False, unique=True),
    sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.account_id"), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("path", sa.String(512), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.UniqueConstraint("account_id", "name", name="uq_iam_groups_account_name"),
)

iam_group_members = sa.Table(
    "iam_group_members",
    metadata,
    sa.Column(
        "group_arn", _ARN, sa.ForeignKey("iam_groups.arn", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "user_arn", _ARN, sa.ForeignKey("principals.arn", ondelete="CASCADE"), primary_key=True
    ),
    sa.Index("ix_iam_group_members_user_arn", "user_arn"),
)

iam_policies = sa.Table(
    "iam_policies",
    metadata,
    sa.Column("arn", _ARN, primary_key=True),
    sa.Column("policy_id", sa.String(128), nullable=False, unique=True),
    sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.account_id"), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("path", sa.String(512), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("default_version", sa.Integer(), nullable=False),
    sa.Column("next_version", sa.Integer(), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
    sa.UniqueConstraint("account_id", "name", name="uq_iam_policies_account_name"),
)

iam_policy_versions = sa.Table(
    "iam_policy_versions",
    metadata,
    sa.Column(
        "policy_arn", _ARN, sa.ForeignKey("iam_policies.arn", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("document", sa.Text(), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
)

iam_attachments = sa.Table(
    "iam_attachments",
    metadata,
    sa.Column("entity_arn", _ARN, primary_key=True),
    sa.Column("policy_arn", _ARN, sa.ForeignKey("iam_policies.arn"), primary_key=True),
    sa.Index("ix_iam_attachments_policy_arn", "policy_arn"),
)

iam_inline_policies = sa.Table(
    "iam_inline_policies",
    metadata,
    sa.Column("entity_arn", _ARN, primary_key=True),
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("document", sa.Text(), nullable=False),
)

iam_tags = sa.Table(
    "iam_tags",
    metadata,
    sa.Column("entity_arn", _ARN, primary_key=True),
    sa.Column("tag_key", sa.String(128), primary_key=True),
    sa.Column("tag_value", sa.String(256), nullable=False),
)

org_units = sa.Table(
    "org_units",
    metadata,
    sa.Column("ou_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("parent_id", sa.String(64), sa.ForeignKey("org_units.ou_id"), nullable=True),
    sa.Column("created_at", _TS, nullable=False),
)

org_guardrails = sa.Table(
    "org_guardrails",
    metadata,
    sa.Column("guardrail_id", sa.String(64), primary_key=True),
    sa.Column("arn", _ARN, nullable=False, unique=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("document", sa.Text(), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)

org_guardrail_targets = sa.Table(
    "org_guardrail_targets",
    metadata,
    sa.Column(
        "guardrail_id",
        sa.String(64),
        sa.ForeignKey("org_guardrails.guardrail_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("target_id", sa.String(64), primary_key=True),
)

sts_sessions = sa.Table(
    "sts_sessions",
    metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column(
        "role_arn", _ARN, sa.ForeignKey("principals.arn", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("session_name", sa.String(64), nullable=False),
    sa.Column("source_arn", _ARN, nullable=False),
    sa.Column("policy", sa.Text(), nullable=True),
    sa.Column("tags", sa.Text(), nullable=False),
    sa.Column("chained", sa.Boolean(), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("expires_at", _TS, nullable=False),
)

iam_api_tokens = sa.Table(
    "iam_api_tokens",
    metadata,
    sa.Column("token_id", sa.String(64), primary_key=True),
    sa.Column(
        "principal_arn", _ARN, sa.ForeignKey("principals.arn", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "session_id",
        sa.String(64),
        sa.ForeignKey("sts_sessions.session_id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column("digest", sa.LargeBinary(), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("expires_at", _TS, nullable=True),
    sa.Column("revoked_at", _TS, nullable=True),
    sa.Column("last_used_at", _TS, nullable=True),
    sa.Index("ix_iam_api_tokens_principal_arn", "principal_arn"),
)

iam_access_keys = sa.Table(
    "iam_access_keys",
    metadata,
    sa.Column("access_key_id", sa.String(32), primary_key=True),
    sa.Column(
        "principal_arn", _ARN, sa.ForeignKey("principals.arn", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "session_id",
        sa.String(64),
        sa.ForeignKey("sts_sessions.session_id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("expires_at", _TS, nullable=True),
    sa.Column("last_used_at", _TS, nullable=True),
    sa.Index("ix_iam_access_keys_principal_arn", "principal_arn"),
)

iam_secrets = sa.Table(
    "iam_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("sealed", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
)

iam_state = sa.Table(
    "iam_state",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("generation", sa.BigInteger(), nullable=False),
)

sigv4_signatures = sa.Table(
    "sigv4_signatures",
    metadata,
    sa.Column("signature", sa.String(64), primary_key=True),
    sa.Column("expires_at", _TS, nullable=False),
    sa.Index("ix_sigv4_signatures_expires_at", "expires_at"),
)
