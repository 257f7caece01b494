"""parse_policy: the grammar, errors with a JSON path and a fix, and hostile input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.access.policy import MAX_POLICY_CHARS, OPERATORS, Policy, parse_policy
from bastion.errors import INVALID_TEMPLATE, Invalid

V = "2012-10-17"


def doc(*statements: dict[str, Any], version: str | None = V) -> dict[str, Any]:
    out: dict[str, Any] = {"Statement": list(statements)}
    if version:
        out["Version"] = version
    return out


def allow(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", **extra}


def grant(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", **extra}


def invalid(document: Any, kind: str = "identity") -> Invalid:
    with pytest.raises(Invalid) as caught:
        parse_policy(document, kind=kind)  # type: ignore[arg-type]
    return caught.value


# -- the grammar ----------------------------------------------------------------------------


def test_a_full_identity_policy() -> None:
    text = json.dumps(
        {
            "Version": V,
            "Id": "fraud-endpoint",
            "Statement": [
                {
                    "Sid": "Invoke",
                    "Effect": "Allow",
                    "Action": ["sagemaker:InvokeEndpoint", "kms:Decrypt"],
                    "Resource": "arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud",
                    "Condition": {
                        "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["env*", "team"]},
                        "NumericLessThan": {"s3:max-keys": 10},
                        "Bool": {"aws:SecureTransport": True},
                    },
                },
                {"Effect": "Deny", "NotAction": "sagemaker:Invoke*", "NotResource": "*"},
            ],
        }
    )
    policy = parse_policy(text)
    assert isinstance(policy, Policy)
    assert policy.kind == "identity" and policy.version == V and policy.id == "fraud-endpoint"
    first, second = policy.statements
    assert first.sid == "Invoke" and first.index == 0 and first.effect == "Allow"
    assert first.actions == ("sagemaker:InvokeEndpoint", "kms:Decrypt")
    assert first.resources == ("arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud",)
    tags, keys, tls = first.conditions
    assert (tags.qualifier, tags.base, tags.if_exists) == ("ForAnyValue", "StringLike", True)
    assert tags.values == ("env*", "team")
    assert keys.values == ("10",) and tls.values == ("true",)
    assert second.not_action and second.not_resource and second.label == "#1"


def test_statement_may_be_a_single_object() -> None:
    policy = parse_policy({"Version": V, "Statement": allow(Sid="One")})
    assert len(policy.statements) == 1 and policy.statements[0].index == 0


def test_resource_policy_principals() -> None:
    policy = parse_policy(
        doc(
            grant(Principal={"AWS": ["111122223333", "arn:aws:iam::444455556666:root"]}),
            grant(Principal={"Service": "sagemaker.amazonaws.com"}),
            grant(Principal={"Federated": "cognito-identity.amazonaws.com"}),
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": "arn:aws:sts::444455556666:assumed-role/r/s"},
                "Action": "s3:*",
            },
            grant(Principal={"AWS": "*"}),
        ),
        kind="resource",
    )
    first, service, federated, not_principal, anyone = policy.statements
    assert first.principal is not None and first.principal.aws[0] == "111122223333"
    assert service.principal is not None and service.principal.service
    assert federated.principal is not None and federated.principal.federated
    assert not_principal.not_principal
    assert anyone.principal is not None and "*" in anyone.principal.aws
    assert first.resources is None  # a trust policy has no Resource


@pytest.mark.parametrize("base", sorted(OPERATORS))
def test_every_operator_and_its_forms_parse(base: str) -> None:
    value = {
        "string": "x",
        "arn": "arn:aws:s3:::b",
        "numeric": "1.5",
        "date": "2026-01-31T12:00:00Z",
        "bool": "true",
        "binary": "QmFzdGlvbg==",
        "ip": "2001:db8::/32",
        "null": "false",
    }[OPERATORS[base].family]
    forms = [base]
    if base != "Null":
        forms += [f"{base}IfExists", f"ForAnyValue:{base}", f"ForAllValues:{base}IfExists"]
    for form in forms:
        policy = parse_policy(doc(allow(Condition={form: {"svc:Key": value}})))
        assert policy.statements[0].conditions[0].base == base


@pytest.mark.parametrize("version", [V, "2008-10-17", None])
def test_versions(version: str | None) -> None:
    assert parse_policy(doc(allow(), version=version)).version == version


def test_text_is_compact_json_that_parses_to_the_same_policy() -> None:
    policy = parse_policy(json.dumps(doc(allow(Sid="A")), indent=4))
    assert " " not in policy.text
    assert parse_policy(policy.text) == policy


def test_bytes_and_mappings_are_accepted() -> None:
    document = doc(allow())
    assert parse_policy(json.dumps(document).encode()) == parse_policy(document)


# -- errors: path and fix -------------------------------------------------------------------

ERRORS: list[tuple[str, Any, str, str, str]] = [
    # (id, document, kind, field, fragment of the message)
    (
        "operator-typo",
        doc(allow(), allow(Condition={"StringEqulas": {"aws:username": "x"}})),
        "identity",
        "Statement[1].Condition.StringEqulas",
        "unknown operator; did you mean StringEquals?",
    ),
    (
        "operator-case",
        doc(allow(Condition={"stringequals": {"aws:username": "x"}})),
        "identity",
        "Statement[0].Condition.stringequals",
        "did you mean StringEquals?",
    ),
    (
        "qualifier-typo",
        doc(allow(Condition={"ForAnyValues:StringEquals": {"aws:TagKeys": "x"}})),
        "identity",
        "Statement[0].Condition.ForAnyValues:StringEquals",
        "did you mean ForAnyValue:StringEquals?",
    ),
    (
        "null-if-exists",
        doc(allow(Condition={"NullIfExists": {"aws:TagKeys": "true"}})),
        "identity",
        "Statement[0].Condition.NullIfExists",
        "Null on its own",
    ),
    (
        "null-qualified",
        doc(allow(Condition={"ForAllValues:Null": {"aws:TagKeys": "true"}})),
        "identity",
        "Statement[0].Condition.ForAllValues:Null",
        "Null on its own",
    ),
    (
        "element-typo",
        {"Version": V, "Statement": {"Efect": "Allow"}},
        "identity",
        "Statement.Efect",
        "did you mean Effect?",
    ),
    ("top-typo", {"Versoin": V}, "identity", "Versoin", "did you mean Version?"),
    ("effect-case", doc(allow(Effect="allow")), "identity", "Statement[0].Effect", "Allow"),
    (
        "effect-missing",
        doc({"Action": "s3:*", "Resource": "*"}),
        "identity",
        "Statement[0].Effect",
        "'Allow' or 'Deny'",
    ),
    (
        "action-missing",
        doc({"Effect": "Allow", "Resource": "*"}),
        "identity",
        "Statement[0].Action",
        "Action or NotAction",
    ),
    (
        "action-both",
        doc(allow(NotAction="s3:*")),
        "identity",
        "Statement[0].NotAction",
        "either Action or NotAction",
    ),
    (
        "action-no-service",
        doc(allow(Action="GetObject")),
        "identity",
        "Statement[0].Action",
        "service:ActionName",
    ),
    (
        "action-list-entry",
        doc(allow(Action=["s3:GetObject", 7])),
        "identity",
        "Statement[0].Action[1]",
        "a string",
    ),
    (
        "action-empty-list",
        doc(allow(Action=[])),
        "identity",
        "Statement[0].Action",
        "non-empty list",
    ),
    (
        "resource-missing",
        doc({"Effect": "Allow", "Action": "s3:*"}),
        "identity",
        "Statement[0].Resource",
        "Resource or NotResource",
    ),
    (
        "resource-not-arn",
        doc(allow(Resource="my-bucket")),
        "identity",
        "Statement[0].Resource",
        "arn:partition:service",
    ),
    (
        "resource-variable-in-account",
        doc(allow(Resource="arn:aws:s3:us-east-1:${aws:username}:x")),
        "identity",
        "Statement[0].Resource",
        "after the fifth colon",
    ),
    (
        "resource-bad-variable",
        doc(allow(Resource="arn:aws:s3:::b/${}")),
        "identity",
        "Statement[0].Resource",
        "policy variable",
    ),
    (
        "variable-default-on-special",
        doc(allow(Condition={"StringLike": {"s3:prefix": "${*, 'x'}"}})),
        "identity",
        "Statement[0].Condition.StringLike.s3:prefix",
        "has none",
    ),
    (
        "principal-in-identity",
        doc(allow(Principal="*")),
        "identity",
        "Statement[0].Principal",
        "kind='resource'",
    ),
    (
        "principal-in-scp",
        doc(allow(NotPrincipal={"AWS": "*"})),
        "scp",
        "Statement[0].NotPrincipal",
        "no NotPrincipal",
    ),
    (
        "principal-missing",
        doc({"Effect": "Allow", "Action": "s3:*"}),
        "resource",
        "Statement[0].Principal",
        "whom it applies to",
    ),
    (
        "principal-partial-wildcard",
        doc(grant(Principal={"AWS": "arn:aws:iam::111122223333:user/*"})),
        "resource",
        "Statement[0].Principal.AWS",
        "aws:PrincipalArn",
    ),
    (
        "principal-bad-account",
        doc(grant(Principal={"AWS": "12345"})),
        "resource",
        "Statement[0].Principal.AWS",
        "12-digit",
    ),
    (
        "principal-unsupported-type",
        doc(grant(Principal={"CanonicalUser": "abc"})),
        "resource",
        "Statement[0].Principal.CanonicalUser",
        "AWS, Service, Federated",
    ),
    (
        "principal-empty",
        doc(grant(Principal={})),
        "resource",
        "Statement[0].Principal",
        "'*' or an object",
    ),
    (
        "principal-list-entry",
        doc(grant(Principal={"AWS": ["111122223333", "nope"]})),
        "resource",
        "Statement[0].Principal.AWS[1]",
        "12-digit",
    ),
    (
        "numeric-value",
        doc(allow(Condition={"NumericEquals": {"s3:max-keys": "ten"}})),
        "identity",
        "Statement[0].Condition.NumericEquals.s3:max-keys",
        "a number",
    ),
    (
        "numeric-nan",
        doc(allow(Condition={"NumericEquals": {"s3:max-keys": "NaN"}})),
        "identity",
        "Statement[0].Condition.NumericEquals.s3:max-keys",
        "a number",
    ),
    (
        "date-value",
        doc(allow(Condition={"DateLessThan": {"aws:CurrentTime": "soon"}})),
        "identity",
        "Statement[0].Condition.DateLessThan.aws:CurrentTime",
        "a date",
    ),
    (
        "ip-value",
        doc(allow(Condition={"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "10.0.0.300"]}})),
        "identity",
        "Statement[0].Condition.IpAddress.aws:SourceIp[1]",
        "CIDR",
    ),
    (
        "bool-value",
        doc(allow(Condition={"Bool": {"aws:SecureTransport": "yes"}})),
        "identity",
        "Statement[0].Condition.Bool.aws:SecureTransport",
        "'true' or 'false'",
    ),
    (
        "binary-value",
        doc(allow(Condition={"BinaryEquals": {"s3:key": "not base64!"}})),
        "identity",
        "Statement[0].Condition.BinaryEquals.s3:key",
        "base64",
    ),
    (
        "arn-value",
        doc(allow(Condition={"ArnLike": {"aws:SourceArn": "topic"}})),
        "identity",
        "Statement[0].Condition.ArnLike.aws:SourceArn",
        "an ARN",
    ),
    (
        "condition-key",
        doc(allow(Condition={"StringEquals": {"username": "x"}})),
        "identity",
        "Statement[0].Condition.StringEquals.username",
        "prefix:name",
    ),
    (
        "condition-null-value",
        doc(allow(Condition={"StringEquals": {"aws:username": None}})),
        "identity",
        "Statement[0].Condition.StringEquals.aws:username",
        "string, number or boolean",
    ),
    (
        "condition-nested-value",
        doc(allow(Condition={"StringEquals": {"aws:username": [["x"]]}})),
        "identity",
        "Statement[0].Condition.StringEquals.aws:username[0]",
        "string, number or boolean",
    ),
    (
        "condition-empty-values",
        doc(allow(Condition={"StringEquals": {"aws:username": []}})),
        "identity",
        "Statement[0].Condition.StringEquals.aws:username",
        "non-empty list",
    ),
    (
        "condition-empty-block",
        doc(allow(Condition={"StringEquals": {}})),
        "identity",
        "Statement[0].Condition.StringEquals",
        "condition keys",
    ),
    (
        "condition-not-object",
        doc(allow(Condition=["x"])),
        "identity",
        "Statement[0].Condition",
        "condition operators",
    ),
    (
        "sid-duplicate",
        doc(allow(Sid="A"), allow(Sid="A")),
        "identity",
        "Statement[1].Sid",
        "rename one",
    ),
    ("sid-type", doc(allow(Sid=3)), "identity", "Statement[0].Sid", "a string"),
    ("version", doc(allow(), version="2012-10-18"), "identity", "Version", "2012-10-17"),
    ("id-type", {"Version": V, "Id": 5, "Statement": allow()}, "identity", "Id", "a string"),
    ("statement-missing", {"Version": V}, "identity", "Statement", "statement object"),
    ("statement-empty", {"Version": V, "Statement": []}, "identity", "Statement", "non-empty list"),
    (
        "statement-not-object",
        {"Version": V, "Statement": ["x"]},
        "identity",
        "Statement[0]",
        "statement object",
    ),
    ("top-not-object", "[1, 2]", "identity", "policy", "JSON object"),
    ("top-not-json-type", [1, 2], "identity", "policy", "JSON text or a dict"),
    ("not-json", "{'Version': 1}", "identity", "policy", "line 1 column 2"),
    (
        "duplicate-key",
        '{"Version": "2012-10-17", "Version": "2012-10-17"}',
        "identity",
        "policy",
        "duplicate key 'Version'",
    ),
    ("nan", '{"Version": NaN}', "identity", "policy", "NaN"),
    ("deep", "[" * 5000 + "]" * 5000, "identity", "policy", ""),
    (
        "too-large",
        doc(allow(Action=["s3:GetObject"] * 3000)),
        "identity",
        "policy",
        f"at most {MAX_POLICY_CHARS}",
    ),
    ("kind", doc(allow()), "bucket", "kind", "one of identity"),
]


@pytest.mark.parametrize(
    ("document", "kind", "field", "fragment"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_errors_name_the_path_and_the_fix(
    document: Any, kind: str, field: str, fragment: str
) -> None:
    error = invalid(document, kind)
    assert error.field == field
    assert fragment in error.message


def test_the_message_follows_the_one_grammar() -> None:
    error = invalid(doc(allow(), allow(Condition={"StringEqulas": {"aws:username": "x"}})))
    expected = "a condition operator (unknown operator; did you mean StringEquals?)"
    assert error.message == INVALID_TEMPLATE.replace(" of {operation}", "").format(
        field="Statement[1].Condition.StringEqulas", expected=expected, got="StringEqulas"
    )


def test_odd_python_inputs_are_refused_cleanly() -> None:
    assert invalid(b"\xff\xfe").field == "policy"
    assert invalid({("a",): 1}).field == "policy"  # type: ignore[dict-item]
    assert invalid({"Version": float("nan")}).field == "policy"
    assert invalid(42).field == "policy"
    nested: list[Any] = []
    for _ in range(5000):
        nested = [nested]
    assert invalid({"Statement": nested}).field == "policy"


def test_long_values_are_shortened_in_messages() -> None:
    error = invalid(doc(allow(Resource="x" * 5000)))
    assert len(error.message) < 400


# -- hostile input, fuzzed --------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
NAMES = st.sampled_from(
    [
        "Version",
        "Statement",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
        "Sid",
        "AWS",
        "StringEquals",
        "aws:username",
        "ForAnyValue:StringLike",
        "IpAddress",
        "Null",
        "Id",
    ]
)
VALID = doc(
    allow(Sid="A", Condition={"StringEquals": {"aws:username": "bob"}}),
    {"Effect": "Deny", "NotAction": ["s3:*"], "NotResource": "arn:aws:s3:::b/*"},
)


def _mutate(value: Any, path: list[int], replacement: Any, key: str) -> Any:
    if not path:
        return replacement
    if isinstance(value, dict) and value:
        keys = list(value)
        chosen = keys[path[0] % len(keys)]
        out = dict(value)
        out[chosen] = _mutate(value[chosen], path[1:], replacement, key)
        if path[0] % 3 == 0:
            out[key] = replacement
        return out
    if isinstance(value, list) and value:
        out_list = list(value)
        i = path[0] % len(value)
        out_list[i] = _mutate(value[i], path[1:], replacement, key)
        return out_list
    return replacement


def _parse_or_invalid(document: Any, kind: str) -> None:
    try:
        policy = parse_policy(document, kind=kind)  # type: ignore[arg-type]
    except Invalid as error:
        assert error.field
        return
    assert parse_policy(policy.text, kind=policy.kind) == policy


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON, st.sampled_from(["identity", "resource", "scp"]))
def test_any_json_gives_a_policy_or_invalid(document: Any, kind: str) -> None:
    _parse_or_invalid(document, kind)
    _parse_or_invalid(json.dumps(document), kind)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=50), max_size=6),
    JSON | NAMES,
    NAMES,
    st.sampled_from(["identity", "resource", "boundary"]),
)
def test_mutated_policies_give_a_policy_or_invalid(
    path: list[int], replacement: Any, key: str, kind: str
) -> None:
    _parse_or_invalid(_mutate(VALID, path, replacement, key), kind)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_a_policy_or_invalid(text: str) -> None:
    _parse_or_invalid(text, "identity")
