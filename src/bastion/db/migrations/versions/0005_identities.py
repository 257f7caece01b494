"""access: users, groups, roles, managed and inline policies, guardrails, credentials, sessions.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_ARN = sa.String(2048)
_UNIQUE = "uq_principals_principal_id"
_PG_DEFAULT_UNIQUE = "principals_principal_id_key"


def _pg_constraint_exists(bind: sa.engine.Connection, name: str) -> bool:
    found = bind.execute(
        sa.text(
            "SELECT 1 FROM pg_constraint "
            "WHERE conname = :name AND conrelid = 'principals'::regclass"
        ),
        {"name": name},
    ).first()
    return found is not None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("name", sa.String(64), nullable=True))
        batch.add_column(sa.Column("parent_id", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("management", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # before this revision an installation had exactly one account: it manages the organisation
    op.execute(sa.text("UPDATE accounts SET management = :yes").bindparams(yes=True))
    # 0001 left principals.principal_id's unique constraint unnamed; give it the convention's
    # name (SQLite: by recreating the table, which names reflected constraints)
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if not sqlite and _pg_constraint_exists(bind, _PG_DEFAULT_UNIQUE):
        op.execute(f"ALTER TABLE principals RENAME CONSTRAINT {_PG_DEFAULT_UNIQUE} TO {_UNIQUE}")
    with op.batch_alter_table(
        "principals",
        recreate="always" if sqlite else "auto",
        naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s"},
    ) as batch:
        batch.add_column(sa.Column("path", sa.String(512), nullable=True))
        batch.add_column(sa.Column("boundary_arn", _ARN, nullable=True))
        batch.add_column(sa.Column("trust_policy", sa.Text(), nullable=True))
        batch.add_column(sa.Column("max_session_seconds", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("description", sa.Text(), nullable=True))
    op.create_index(
        "uq_principals_account_type_name",
        "principals",
        ["account_id", "type", "name"],
        unique=True,
    )
    op.create_table(
        "iam_groups",
        sa.Column("arn", _ARN, nullable=False),
        sa.Column("group_id", sa.String(128), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("arn", name="pk_iam_groups"),
        sa.UniqueConstraint("group_id", name="uq_iam_groups_group_id"),
        sa.UniqueConstraint("account_id", "name", name="uq_iam_groups_account_name"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name="fk_iam_groups_account_id_accounts"
        ),
    )
    op.create_table(
        "iam_group_members",
        sa.Column("group_arn", _ARN, nullable=False),
        sa.Column("user_arn", _ARN, nullable=False),
        sa.PrimaryKeyConstraint("group_arn", "user_arn", name="pk_iam_group_members"),
        sa.ForeignKeyConstraint(
            ["group_arn"],
            ["iam_groups.arn"],
            name="fk_iam_group_members_group_arn_iam_groups",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_arn"],
            ["principals.arn"],
            name="fk_iam_group_members_user_arn_principals",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_iam_group_members_user_arn", "iam_group_members", ["user_arn"])
    op.create_table(
        "iam_policies",
        sa.Column("arn", _ARN, nullable=False),
        sa.Column("policy_id", sa.String(128), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("default_version", sa.Integer(), nullable=False),
        sa.Column("next_version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("arn", name="pk_iam_policies"),
        sa.UniqueConstraint("policy_id", name="uq_iam_policies_policy_id"),
        sa.UniqueConstraint("account_id", "name", name="uq_iam_policies_account_name"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name="fk_iam_policies_account_id_accounts"
        ),
    )
    op.create_table(
        "iam_policy_versions",
        sa.Column("policy_arn", _ARN, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("policy_arn", "version", name="pk_iam_policy_versions"),
        sa.ForeignKeyConstraint(
            ["policy_arn"],
            ["iam_policies.arn"],
            name="fk_iam_policy_versions_policy_arn_iam_policies",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "iam_attachments",
        sa.Column("entity_arn", _ARN, nullable=False),
        sa.Column("policy_arn", _ARN, nullable=False),
        sa.PrimaryKeyConstraint("entity_arn", "policy_arn", name="pk_iam_attachments"),
        sa.ForeignKeyConstraint(
            ["policy_arn"], ["iam_policies.arn"], name="fk_iam_attachments_policy_arn_iam_policies"
        ),
    )
    op.create_index("ix_iam_attachments_policy_arn", "iam_attachments", ["policy_arn"])
    op.create_table(
        "iam_inline_policies",
        sa.Column("entity_arn", _ARN, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("entity_arn", "name", name="pk_iam_inline_policies"),
    )
    op.create_table(
        "iam_tags",
        sa.Column("entity_arn", _ARN, nullable=False),
        sa.Column("tag_key", sa.String(128), nullable=False),
        sa.Column("tag_value", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("entity_arn", "tag_key", name="pk_iam_tags"),
    )
    op.create_table(
        "org_units",
        sa.Column("ou_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("parent_id", sa.String(64), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("ou_id", name="pk_org_units"),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["org_units.ou_id"], name="fk_org_units_parent_id_org_units"
        ),
    )
    op.create_table(
        "org_guardrails",
        sa.Column("guardrail_id", sa.String(64), nullable=False),
        sa.Column("arn", _ARN, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("guardrail_id", name="pk_org_guardrails"),
        sa.UniqueConstraint("arn", name="uq_org_guardrails_arn"),
        sa.UniqueConstraint("name", name="uq_org_guardrails_name"),
    )
    op.create_table(
        "org_guardrail_targets",
        sa.Column("guardrail_id", sa.String(64), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("guardrail_id", "target_id", name="pk_org_guardrail_targets"),
        sa.ForeignKeyConstraint(
            ["guardrail_id"],
            ["org_guardrails.guardrail_id"],
            name="fk_org_guardrail_targets_guardrail_id_org_guardrails",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "sts_sessions",
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("role_arn", _ARN, nullable=False),
        sa.Column("session_name", sa.String(64), nullable=False),
        sa.Column("source_arn", _ARN, nullable=False),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("chained", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("session_id", name="pk_sts_sessions"),
        sa.ForeignKeyConstraint(
            ["role_arn"],
            ["principals.arn"],
            name="fk_sts_sessions_role_arn_principals",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "iam_api_tokens",
        sa.Column("token_id", sa.String(64), nullable=False),
        sa.Column("principal_arn", _ARN, nullable=False),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("digest", sa.LargeBinary(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=True),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.Column("last_used_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("token_id", name="pk_iam_api_tokens"),
        sa.ForeignKeyConstraint(
            ["principal_arn"],
            ["principals.arn"],
            name="fk_iam_api_tokens_principal_arn_principals",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sts_sessions.session_id"],
            name="fk_iam_api_tokens_session_id_sts_sessions",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_iam_api_tokens_principal_arn", "iam_api_tokens", ["principal_arn"])
    op.create_table(
        "iam_access_keys",
        sa.Column("access_key_id", sa.String(32), nullable=False),
        sa.Column("principal_arn", _ARN, nullable=False),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=True),
        sa.Column("last_used_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("access_key_id", name="pk_iam_access_keys"),
        sa.ForeignKeyConstraint(
            ["principal_arn"],
            ["principals.arn"],
            name="fk_iam_access_keys_principal_arn_principals",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sts_sessions.session_id"],
            name="fk_iam_access_keys_session_id_sts_sessions",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_iam_access_keys_principal_arn", "iam_access_keys", ["principal_arn"])
    op.create_table(
        "iam_secrets",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_iam_secrets"),
    )
    op.create_table(
        "iam_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_iam_state"),
    )
    op.execute(sa.text("INSERT INTO iam_state (id, generation) VALUES (1, 0)"))
    op.create_table(
        "sigv4_signatures",
        sa.Column("signature", sa.String(64), nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("signature", name="pk_sigv4_signatures"),
    )
    op.create_index("ix_sigv4_signatures_expires_at", "sigv4_signatures", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_sigv4_signatures_expires_at", table_name="sigv4_signatures")
    op.drop_table("sigv4_signatures")
    op.drop_table("iam_state")
    op.drop_table("iam_secrets")
    op.drop_index("ix_iam_access_keys_principal_arn", table_name="iam_access_keys")
    op.drop_table("iam_access_keys")
    op.drop_index("ix_iam_api_tokens_principal_arn", table_name="iam_api_tokens")
    op.drop_table("iam_api_tokens")
    op.drop_table("sts_sessions")
    op.drop_table("org_guardrail_targets")
    op.drop_table("org_guardrails")
    op.drop_table("org_units")
    op.drop_table("iam_tags")
    op.drop_table("iam_inline_policies")
    op.drop_index("ix_iam_attachments_policy_arn", table_name="iam_attachments")
    op.drop_table("iam_attachments")
    op.drop_table("iam_policy_versions")
    op.drop_table("iam_policies")
    op.drop_index("ix_iam_group_members_user_arn", table_name="iam_group_members")
    op.drop_table("iam_group_members")
    op.drop_table("iam_groups")
    op.drop_index("uq_principals_account_type_name", table_name="principals")
    with op.batch_alter_table("principals") as batch:
        batch.drop_column("description")
        batch.drop_column("max_session_seconds")
        batch.drop_column("trust_policy")
        batch.drop_column("boundary_arn")
        batch.drop_column("path")
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" and _pg_constraint_exists(bind, _UNIQUE):
        op.execute(f"ALTER TABLE principals RENAME CONSTRAINT {_UNIQUE} TO {_PG_DEFAULT_UNIQUE}")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("management")
        batch.drop_column("parent_id")
        batch.drop_column("name")
