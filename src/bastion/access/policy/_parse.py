"""``parse_policy``: the IAM JSON grammar, validated, with errors that carry a JSON path.

Every problem raises :class:`bastion.errors.Invalid` whose ``field`` is the JSON path of the
offending element (``Statement[1].Condition.StringEqulas``) and whose message says what is
expected, with a "did you mean …?" where a close spelling exists. Nothing else escapes: not
``json.JSONDecodeError``, ``RecursionError``, ``TypeError`` or ``KeyError``, whatever the input.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from bastion.access.policy._conditions import (
    OPERATORS,
    VARIABLE_FAMILIES,
    OperatorError,
    split_operator,
    value_problem,
)
from bastion.access.policy._document import (
    MAX_POLICY_CHARS,
    MAX_RAW_CHARS,
    POLICY_KINDS,
    VARIABLES_VERSION,
    VERSIONS,
    Condition,
    Effect,
    Policy,
    PolicyKind,
    PrincipalSpec,
    Statement,
)
from bastion.access.policy._match import split_arn
from bastion.access.policy._variables import VARIABLE_FIX, VariableError, parse_template
from bastion.errors import Invalid

DOCUMENT_FIELD = "policy"
TOP_KEYS = ("Version", "Id", "Statement")
STATEMENT_KEYS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
PRINCIPAL_TYPES = ("AWS", "Service", "Federated")
EFFECTS: tuple[Effect, ...] = ("Allow", "Deny")

_ACTION = re.compile(r"[A-Za-z0-9*?_.-]+:[A-Za-z0-9*?_.-]+")
_CONDITION_KEY = re.compile(r"[A-Za-z0-9_.*-]+:\S(.*\S)?", re.DOTALL)
_ACCOUNT = re.compile(r"\d{12}")
_PRINCIPAL_ARN = re.compile(
    r"arn:[a-z0-9-]+:(iam::\d{12}:(root|user/.+|role/.+|federated-user/.+)"
    r"|sts::\d{12}:(assumed-role/.+/.+|federated-user/.+))"
)
_SERVICE = re.compile(r"[A-Za-z0-9.-]+")

ACTION_FIX = "an action 'service:ActionName' such as 'kms:Decrypt' (wildcards allowed), or '*'"
RESOURCE_FIX = "an ARN 'arn:partition:service:region:account:resource' (wildcards allowed), or '*'"
AWS_PRINCIPAL_FIX = (
    "'*', a 12-digit account id, or the ARN of an account root, user, role, assumed-role session"
    " or federated user (no wildcards inside a principal: use '*' with an ArnLike condition on"
    " aws:PrincipalArn)"
)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _fail(field: str, got: Any, expected: str) -> NoReturn:
    raise Invalid(field, got=_show(got), expected=expected)


def _show(value: Any) -> Any:
    """A short, safe stand-in for ``value`` in a message (never a deep or huge repr)."""
    if isinstance(value, str):
        return value if len(value) <= 80 else value[:77] + "..."
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, list):
        return f"<list of {len(value)}>"
    if isinstance(value, dict):
        keys = ", ".join(str(k)[:30] for k in list(value)[:5])
        return f"<object with keys {keys}>" if value else "<empty object>"
    return f"<{type(value).__name__}>"


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_:/.*?${}@+=,'-]+")


def _join(base: str, key: str) -> str:
    """The JSON path of ``key`` under ``base``: ``a.b``, or ``a["odd key"]``."""
    if _PLAIN_KEY.fullmatch(key) and key != "policy":
        return f"{base}.{key}" if base else key
    return f"{base}[{json.dumps(key)}]" if base else f"policy[{json.dumps(key)}]"


def _hint(got: str, choices: tuple[str, ...] | list[str]) -> str:
    by_lower = {c.lower(): c for c in choices}
    close = by_lower.get(got.lower()) or next(
        iter(difflib.get_close_matches(got, list(choices), n=1, cutoff=0.6)), None
    )
    return f" (did you mean {close}?)" if close else ""


def _non_whitespace(text: str) -> int:
    return len(text) - sum(text.count(c) for c in " \t\r\n")


def _load(document: str | bytes | Mapping[str, Any]) -> tuple[Any, str]:
    """The JSON value and its compact text; ``Invalid`` for anything that is not JSON."""
    if isinstance(document, bytes | bytearray):
        try:
            document = bytes(document).decode("utf-8")
        except UnicodeDecodeError:
            _fail(DOCUMENT_FIELD, "<bytes that are not UTF-8>", "UTF-8 JSON text")
    if isinstance(document, Mapping):
        try:
            document = json.dumps(document, allow_nan=False, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError) as exc:
            _fail(DOCUMENT_FIELD, f"<{type(exc).__name__}: {str(exc)[:60]}>", "JSON data")
    if not isinstance(document, str):
        _fail(DOCUMENT_FIELD, f"<{type(document).__name__}>", "JSON text or a dict")
    if len(document) > MAX_RAW_CHARS or _non_whitespace(document) > MAX_POLICY_CHARS:
        _fail(
            DOCUMENT_FIELD,
            f"<{_non_whitespace(document)} characters>",
            f"at most {MAX_POLICY_CHARS} characters other than whitespace; split the statements"
            " over several policies",
        )
    try:
        value = json.loads(document, object_pairs_hook=_pairs, parse_constant=_reject_constant)
    except _DuplicateKey as exc:
        _fail(DOCUMENT_FIELD, f"duplicate key {exc.key!r}", "JSON whose objects name each key once")
    except json.JSONDecodeError as exc:
        _fail(
            DOCUMENT_FIELD,
            f"line {exc.lineno} column {exc.colno}: {exc.msg}",
            "a JSON object (check quotes, commas and brackets at that place)",
        )
    except ValueError as exc:
        _fail(DOCUMENT_FIELD, str(exc)[:80], "JSON without NaN or Infinity")
    except RecursionError:
        _fail(DOCUMENT_FIELD, "<nesting too deep>", "a policy document (a few levels deep)")
    compact = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return value, compact


def parse_policy(
    document: str | bytes | Mapping[str, Any], *, kind: PolicyKind = "identity"
) -> Policy:
    """Parse and validate an IAM JSON policy of ``kind``; raise ``Invalid`` with a JSON path.

    ``kind`` decides the rules that differ by attachment: a ``resource`` policy needs a
    ``Principal`` and may omit ``Resource`` (role trust policies do); every other kind must not
    have a ``Principal`` and needs ``Resource`` or ``NotResource``.
    """
    if kind not in POLICY_KINDS:
        _fail("kind", kind, f"one of {', '.join(POLICY_KINDS)}")
    value, compact = _load(document)
    if not isinstance(value, dict):
        _fail(DOCUMENT_FIELD, value, "a JSON object with Version and Statement")
    for key in value:
        if key not in TOP_KEYS:
            _fail(_join("", key), key, f"one of {', '.join(TOP_KEYS)}{_hint(key, TOP_KEYS)}")
    version = value.get("Version")
    if version is not None and version not in VERSIONS:
        _fail("Version", version, f"'{VERSIONS[0]}' (or the older '{VERSIONS[1]}')")
    policy_id = value.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        _fail("Id", policy_id, "a string")
    if "Statement" not in value:
        _fail("Statement", None, "a statement object or a non-empty list of statements")
    raw = value["Statement"]
    if isinstance(raw, dict):
        items: list[tuple[str, Any]] = [("Statement", raw)]
    elif isinstance(raw, list) and raw:
        items = [(f"Statement[{i}]", s) for i, s in enumerate(raw)]
    else:
        _fail("Statement", raw, "a statement object or a non-empty list of statements")
    variables = version == VARIABLES_VERSION
    statements: list[Statement] = []
    sids: set[str] = set()
    for index, (path, item) in enumerate(items):
        statement = _statement(item, path, index, kind, variables)
        if statement.sid is not None:
            if statement.sid in sids:
                _fail(f"{path}.Sid", statement.sid, "a Sid no other statement uses; rename one")
            sids.add(statement.sid)
        statements.append(statement)
    return Policy(
        kind=kind,
        version=version,
        id=policy_id,
        statements=tuple(statements),
        text=compact,
    )


def _statement(item: Any, path: str, index: int, kind: PolicyKind, variables: bool) -> Statement:
    if not isinstance(item, dict):
        _fail(path, item, "a statement object with Effect, Action and Resource")
    for key in item:
        if key not in STATEMENT_KEYS:
            _fail(
                _join(path, key),
                key,
                f"a statement element: one of {', '.join(STATEMENT_KEYS)}"
                f"{_hint(key, STATEMENT_KEYS)}",
            )
    sid = item.get("Sid")
    if sid is not None and not isinstance(sid, str):
        _fail(f"{path}.Sid", sid, "a string")
    effect = item.get("Effect")
    if effect not in EFFECTS:
        hint = _hint(effect, EFFECTS) if isinstance(effect, str) else ""
        _fail(f"{path}.Effect", effect, f"'Allow' or 'Deny'{hint}")
    actions, not_action = _either(item, path, "Action", required=True)
    assert actions is not None
    for i, action in enumerate(actions):
        if action != "*" and _ACTION.fullmatch(action) is None:
            name = "NotAction" if not_action else "Action"
            _fail(_at(path, item, name, i), action, ACTION_FIX)
    resources, not_resource = _either(item, path, "Resource", required=kind != "resource")
    for i, resource in enumerate(resources or ()):
        name = "NotResource" if not_resource else "Resource"
        _check_resource(resource, _at(path, item, name, i), variables)
    principal, not_principal = _principal(item, path, kind)
    conditions = _conditions(item.get("Condition"), f"{path}.Condition", variables)
    return Statement(
        index=index,
        sid=sid,
        effect=effect,
        actions=actions,
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        principal=principal,
        not_principal=not_principal,
        conditions=conditions,
    )


def _at(path: str, item: dict[str, Any], name: str, i: int) -> str:
    return f"{path}.{name}[{i}]" if isinstance(item.get(name), list) else f"{path}.{name}"


def _either(
    item: dict[str, Any], path: str, name: str, *, required: bool
) -> tuple[tuple[str, ...] | None, bool]:
    negated = f"Not{name}"
    if name in item and negated in item:
        _fail(f"{path}.{negated}", f"both {name} and {negated}", f"either {name} or {negated}")
    if negated in item:
        return _strings(item[negated], f"{path}.{negated}"), True
    if name in item:
        return _strings(item[name], f"{path}.{name}"), False
    if required:
        _fail(f"{path}.{name}", None, f"{name} or {negated}: every such statement needs one")
    return None, False


def _strings(value: Any, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not value:
        _fail(path, value, "a string or a non-empty list of strings")
    for i, entry in enumerate(value):
        if not isinstance(entry, str):
            _fail(f"{path}[{i}]", entry, "a string")
    return tuple(value)


def _check_resource(resource: str, path: str, variables: bool) -> None:
    if resource == "*":
        return
    parts = split_arn(resource)
    if parts is None:
        _fail(path, resource, RESOURCE_FIX)
    if variables and "${" in resource:
        head = len(":".join(parts[:5])) + 1
        if resource.find("${") < head:
            _fail(path, resource, "an ARN with policy variables only after the fifth colon")
        _template(resource, path)


def _template(text: str, path: str) -> None:
    try:
        parse_template(text, variables=True)
    except VariableError as exc:
        _fail(path, text, f"{VARIABLE_FIX} ({exc})")


def _principal(
    item: dict[str, Any], path: str, kind: PolicyKind
) -> tuple[PrincipalSpec | None, bool]:
    present = [n for n in ("Principal", "NotPrincipal") if n in item]
    if kind != "resource":
        if present:
            _fail(
                f"{path}.{present[0]}",
                item[present[0]],
                f"no {present[0]} in a {kind} policy: it applies to whoever it is attached to;"
                " remove it, or parse the policy with kind='resource'",
            )
        return None, False
    if len(present) == 2:
        _fail(
            f"{path}.NotPrincipal",
            "both Principal and NotPrincipal",
            "either Principal or NotPrincipal, not both",
        )
    if not present:
        _fail(
            f"{path}.Principal",
            None,
            "a Principal ('*' or {'AWS': ...}): a resource policy says whom it applies to",
        )
    name = present[0]
    return _principal_spec(item[name], f"{path}.{name}"), name == "NotPrincipal"


def _principal_spec(value: Any, path: str) -> PrincipalSpec:
    if value == "*":
        return PrincipalSpec(any=True)
    if not isinstance(value, dict) or not value:
        _fail(path, value, "'*' or an object with AWS, Service or Federated")
    found: dict[str, tuple[str, ...]] = {}
    for key, entry in value.items():
        if key not in PRINCIPAL_TYPES:
            _fail(
                _join(path, key),
                key,
                f"a principal type Bastion supports: one of {', '.join(PRINCIPAL_TYPES)}"
                f"{_hint(key, PRINCIPAL_TYPES)}",
            )
        names = _strings(entry, f"{path}.{key}")
        for i, name in enumerate(names):
            where = f"{path}.{key}[{i}]" if isinstance(entry, list) else f"{path}.{key}"
            _check_principal(key, name, where)
        found[key] = names
    return PrincipalSpec(
        aws=found.get("AWS", ()),
        service=found.get("Service", ()),
        federated=found.get("Federated", ()),
    )


def _check_principal(kind: str, name: str, path: str) -> None:
    if name == "*":
        return
    if kind == "AWS":
        if _ACCOUNT.fullmatch(name) or (
            "*" not in name and "?" not in name and _PRINCIPAL_ARN.fullmatch(name)
        ):
            return
        _fail(path, name, AWS_PRINCIPAL_FIX)
    if kind == "Service" and _SERVICE.fullmatch(name) is None:
        _fail(path, name, "a service principal such as 'sagemaker.amazonaws.com'")
    if kind == "Federated" and (not name.strip() or any(c.isspace() for c in name)):
        _fail(path, name, "an identity provider name or ARN without spaces")


def _conditions(value: Any, path: str, variables: bool) -> tuple[Condition, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        _fail(path, value, "an object of condition operators, e.g. {'StringEquals': {...}}")
    out: list[Condition] = []
    for operator, block in value.items():
        op_path = _join(path, operator)
        try:
            qualifier, base, if_exists = split_operator(operator)
        except OperatorError as exc:
            _fail(op_path, operator, str(exc))
        if not isinstance(block, dict) or not block:
            _fail(op_path, block, "an object of condition keys and values: {'aws:username': 'bob'}")
        for key, raw in block.items():
            key_path = _join(op_path, key)
            if _CONDITION_KEY.fullmatch(key) is None:
                _fail(key_path, key, "a condition key 'prefix:name' such as 'aws:SourceIp'")
            values = _condition_values(raw, key_path)
            for i, text in enumerate(values):
                where = f"{key_path}[{i}]" if isinstance(raw, list) else key_path
                problem = value_problem(base, text, variables=variables)
                if problem is not None:
                    _fail(where, text, f"{problem} for {base}")
                if variables and "${" in text and OPERATORS[base].family in VARIABLE_FAMILIES:
                    _template(text, where)
            out.append(
                Condition(
                    operator=operator,
                    base=base,
                    qualifier=qualifier,
                    if_exists=if_exists,
                    key=key,
                    values=values,
                )
            )
    return tuple(out)


def _condition_values(raw: Any, path: str) -> tuple[str, ...]:
    entries = raw if isinstance(raw, list) else [raw]
    if not entries:
        _fail(path, raw, "a value or a non-empty list of values")
    out: list[str] = []
    for i, entry in enumerate(entries):
        if isinstance(entry, bool):
            out.append("true" if entry else "false")
        elif isinstance(entry, str):
            out.append(entry)
        elif isinstance(entry, int | float):
            out.append(json.dumps(entry))
        else:
            where = f"{path}[{i}]" if isinstance(raw, list) else path
            _fail(where, entry, "a string, number or boolean")
    return tuple(out)


__all__ = ["parse_policy"]
