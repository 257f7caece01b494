"""lint_policy: Access-Analyzer-style warnings."""

from __future__ import annotations

from typing import Any

from bastion.access.policy import PolicyWarning, lint_policy, parse_policy
from bastion.access.policy._lint import CODES

KNOWN = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:CreateKey",
    "sagemaker:InvokeEndpoint",
    "sagemaker:DeleteEndpoint",
    "s3:GetObject",
]
TYPES = {
    "kms:Decrypt": "arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}",
    "kms:Encrypt": "arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}",
    "kms:CreateKey": "*",
    "sagemaker:InvokeEndpoint": "arn:${Partition}:sagemaker:${Region}:${Account}:endpoint/${Name}",
    "sagemaker:DeleteEndpoint": [
        "arn:${Partition}:sagemaker:${Region}:${Account}:endpoint/${Name}"
    ],
    "s3:GetObject": "arn:${Partition}:s3:::${Bucket}/${Key}",
}


def codes(document: dict[str, Any], **kwargs: Any) -> list[tuple[str, str]]:
    policy = parse_policy(document, kind=kwargs.pop("kind", "identity"))
    warnings = lint_policy(policy, **kwargs)
    assert {w.code for w in warnings} <= set(CODES)
    return [(w.code, w.path) for w in warnings]


def test_a_clean_policy_has_no_warnings() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sagemaker:InvokeEndpoint"],
                "Resource": "arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud",
            },
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
        ],
    }
    assert codes(document, known_actions=KNOWN, resource_types=TYPES) == []


def test_missing_version_and_variables_in_the_old_version() -> None:
    assert codes({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}) == [
        ("missing-version", "Version")
    ]
    old = {
        "Version": "2008-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::b/${aws:username}",
        },
    }
    assert codes(old) == [("variables-as-text", "Version")]


def test_unknown_actions_with_a_suggestion() -> None:
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["kms:Decrpyt", "kms:*", "ec2:*"], "Resource": "*"},
                {"Effect": "Deny", "NotAction": "sagemaker:Delete*", "Resource": "*"},
            ],
        }
    )
    warnings = lint_policy(policy, known_actions=KNOWN)
    assert [(w.code, w.path) for w in warnings] == [
        ("unknown-action", "Statement[0].Action[0]"),
        ("unknown-action", "Statement[0].Action[2]"),
    ]
    assert "did you mean kms:Decrypt?" in warnings[0].message
    assert isinstance(warnings[0], PolicyWarning)


def test_resources_no_listed_action_uses() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt"],
            "Resource": [
                "arn:aws:kms:us-east-1:111122223333:key/*",
                "arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud",
                "arn:aws:kms:us-east-1:111122223333:alias/${aws:username}",
            ],
        },
    }
    assert codes(document, resource_types=TYPES) == [
        ("unused-resource", "Statement.Resource[1]"),
        ("unused-resource", "Statement.Resource[2]"),
    ]


def test_redundant_statements() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Broad", "Effect": "Allow", "Action": "kms:*", "Resource": "*"},
            {
                "Sid": "Narrow",
                "Effect": "Allow",
                "Action": "KMS:Decrypt",
                "Resource": "arn:aws:kms:*:*:key/1",
            },
            {"Sid": "Denied", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"},
            {
                "Sid": "Conditional",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
            {"Sid": "Unconditional", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
            {"Sid": "Twin1", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
            {"Sid": "Twin2", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
            {
                "Sid": "Excluded",
                "Effect": "Allow",
                "NotAction": "iam:*",
                "Resource": "arn:aws:s3:::x",
            },
        ],
    }
    warnings = [(code, path) for code, path in codes(document) if code == "redundant-statement"]
    assert warnings == [
        ("redundant-statement", "Statement[1]"),
        ("redundant-statement", "Statement[3]"),
        ("redundant-statement", "Statement[6]"),
    ]
    message = lint_policy(parse_policy(document))[0].message
    assert "statement 'Narrow' is redundant: statement 'Broad' already allows" in message


def test_resource_policy_redundancy_respects_principals() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "111122223333"},
                "Action": "s3:*",
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": "444455556666"},
                "Action": "s3:GetObject",
                "Resource": "*",
            },
            {"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "*"},
            {
                "Effect": "Allow",
                "Principal": {"AWS": "444455556666"},
                "Action": "sqs:Send*",
                "Resource": "*",
            },
        ],
    }
    assert codes(document, kind="resource") == [("redundant-statement", "Statement[3]")]


def test_overly_broad_not_action_and_for_all_values() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "ec2:CreateTags",
                "Resource": "*",
                "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}},
            },
            {
                "Effect": "Allow",
                "Action": "ec2:DeleteTags",
                "Resource": "*",
                "Condition": {
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["env"]},
                    "Null": {"aws:TagKeys": "false"},
                },
            },
        ],
    }
    assert codes(document) == [
        ("broad-not-action", "Statement[0].NotAction"),
        ("for-all-values-allow", "Statement[2].Condition.ForAllValues:StringEquals.aws:TagKeys"),
    ]
