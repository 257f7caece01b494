"""The store's actions, named as S3's IAM actions so S3 policies read the same here.

Object-level actions are CloudTrail *data* events; bucket-level ones are management events,
except ListBucket (ListObjects), which CloudTrail also records as data. HeadBucket is authorised
as ``s3:ListBucket`` and HeadObject as ``s3:GetObject``, as in S3; CopyObject needs
``s3:GetObject`` on the source and ``s3:PutObject`` on the destination.
"""

from bastion.gate import Action, register_actions
from bastion.types import EventCategory

CREATE_BUCKET = "s3:CreateBucket"
DELETE_BUCKET = "s3:DeleteBucket"
LIST_ALL_MY_BUCKETS = "s3:ListAllMyBuckets"
LIST_BUCKET = "s3:ListBucket"
PUT_OBJECT = "s3:PutObject"
GET_OBJECT = "s3:GetObject"
DELETE_OBJECT = "s3:DeleteObject"
PUT_OBJECT_TAGGING = "s3:PutObjectTagging"
GET_OBJECT_TAGGING = "s3:GetObjectTagging"

DATA = EventCategory.DATA

ACTIONS = (
    Action(name=CREATE_BUCKET, resource="bucket", doc="Create a bucket with a default KMS key"),
    Action(name=DELETE_BUCKET, resource="bucket", doc="Delete an empty bucket"),
    Action(name=LIST_ALL_MY_BUCKETS, resource="bucket", doc="List every bucket", read_only=True),
    Action(
        name=LIST_BUCKET,
        resource="bucket",
        doc="List a bucket's objects, or check that the bucket exists (HeadBucket)",
        read_only=True,
        category=DATA,
    ),
    Action(
        name=PUT_OBJECT,
        resource="object",
        doc="Write an object, encrypted under a fresh data key (also the target of CopyObject)",
        category=DATA,
    ),
    Action(
        name=GET_OBJECT,
        resource="object",
        doc="Read and decrypt an object, or read its record (HeadObject)",
        read_only=True,
        category=DATA,
    ),
    Action(name=DELETE_OBJECT, resource="object", doc="Delete an object", category=DATA),
    Action(
        name=PUT_OBJECT_TAGGING, resource="object", doc="Replace an object's tags", category=DATA
    ),
    Action(
        name=GET_OBJECT_TAGGING,
        resource="object",
        doc="Read an object's tags",
        read_only=True,
        category=DATA,
    ),
)

register_actions(ACTIONS)
