"""The ``iam`` resource provider: a role's trust policy (for ``sts:`` actions) and the tags of
users and roles (``aws:ResourceTag/…``), for the authorizer."""

from __future__ import annotations

import sqlalchemy as sa

from bastion.access._decide import ResourceInfo
from bastion.access._iam import ROLE, USER
from bastion.access._tables import iam_tags, principals
from bastion.db import Database


class IamResources:
    """Looks up IAM users and roles by ARN (registered for the ``iam`` service)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def __call__(self, arn: str) -> ResourceInfo | None:
        if (":user/" not in arn and ":role/" not in arn) or not arn.isprintable():
            return None
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(principals.c.type, principals.c.name, principals.c.trust_policy).where(
                    principals.c.arn == arn, principals.c.type.in_((USER, ROLE))
                )
            ).first()
            if row is None:
                return None
            tags = {
                r.tag_key: r.tag_value
                for r in conn.execute(
                    sa.select(iam_tags.c.tag_key, iam_tags.c.tag_value).where(
                        iam_tags.c.entity_arn == arn
                    )
                ).all()
            }
        if row.type == ROLE:
            return ResourceInfo(
                policy=str(row.trust_policy),
                policy_name=f"trust policy of role {row.name}",
                policy_required=True,
                policy_actions=("sts:",),
                tags=tags,
            )
        return ResourceInfo(tags=tags)


__all__ = ["IamResources"]
