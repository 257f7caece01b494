"""Tables only the model card service writes (the same schema by hand in migration 0009).

``model_cards`` holds one row per card: its latest version and status, the key its content is
sealed under, and who created and last changed it. ``model_card_versions`` holds every version
ever made, never updated: the status at that version, what made it, who made it when, and the
content. A version made by a content edit (or the creation) holds its content, as JSON or as
sealed bytes when the card has a key; a version made by a status change holds none and points
with ``content_version`` at the version whose content it carries (for a content version,
``content_version`` is its own number). Deleting a card deletes both.
"""

import sqlalchemy as sa

from bastion.db import metadata

model_cards = sa.Table(
    "model_cards",
    metadata,
    sa.Column("name", sa.String(63), primary_key=True),
    sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.account_id"), nullable=False),
    sa.Column("arn", sa.String(2048), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("latest_version", sa.Integer, nullable=False),
    sa.Column("kms_key_arn", sa.String(2048), nullable=True),
    sa.Column("model_id", sa.String(1024), nullable=True, index=True),
    sa.Column("created_by", sa.String(2048), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("modified_by", sa.String(2048), nullable=False),
    sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
)

model_card_versions = sa.Table(
    "model_card_versions",
    metadata,
    sa.Column("card_name", sa.String(63), sa.ForeignKey("model_cards.name"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("change", sa.String(16), nullable=False),
    sa.Column("content_version", sa.Integer, nullable=False),
    sa.Column("content", sa.JSON, nullable=True),
    sa.Column("sealed_content", sa.LargeBinary, nullable=True),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("created_by", sa.String(2048), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
