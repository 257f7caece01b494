"""Tables only the store room writes (the same schema by hand in migration 0003).

``store_objects`` holds the current version of each object: where its encrypted blob lies
(relative to the store root), its wrapped data key and everything HeadObject returns. Object keys
compare byte-wise (S3 lists keys in UTF-8 binary order): SQLite's default collation does that, and
PostgreSQL gets ``COLLATE "C"``.
"""

import sqlalchemy as sa

from bastion.db import metadata

OBJECT_KEY_TYPE = sa.String(4096).with_variant(sa.String(4096, collation="C"), "postgresql")

store_buckets = sa.Table(
    "store_buckets",
    metadata,
    sa.Column("name", sa.String(63), primary_key=True),
    sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.account_id"), nullable=False),
    sa.Column("default_kms_key_arn", sa.String(2048), nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

store_objects = sa.Table(
    "store_objects",
    metadata,
    sa.Column("bucket", sa.String(63), sa.ForeignKey("store_buckets.name"), primary_key=True),
    sa.Column("key", OBJECT_KEY_TYPE, primary_key=True),
    sa.Column("version_id", sa.String(32), nullable=False),
    sa.Column("blob", sa.String(1024), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("storage_class", sa.String(32), nullable=False),
    sa.Column("kms_key_arn", sa.String(2048), nullable=False),
    sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
    sa.Column("algorithm", sa.String(64), nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("user_metadata", sa.JSON, nullable=False),
    sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
)
