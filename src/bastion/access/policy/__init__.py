"""The IAM policy language and its evaluator, as a pure library (no database, no I/O).

::

    policy = parse_policy(text, kind="identity")          # Invalid with a JSON path on error
    decision = evaluate(PolicySet(identity={"fraud": policy}), Request(caller=..., ...))
    warnings = lint_policy(policy, known_actions=..., resource_types=...)

Imports only :mod:`bastion.errors` and the standard library.
"""

from bastion.access.policy._conditions import OPERATORS
from bastion.access.policy._document import (
    MAX_POLICY_CHARS,
    Condition,
    Policy,
    PolicyKind,
    PrincipalSpec,
    Statement,
)
from bastion.access.policy._evaluate import (
    Caller,
    CallerType,
    ContextValue,
    Evaluation,
    PolicyReport,
    PolicyRole,
    PolicySet,
    Request,
    StatementRef,
    StatementResult,
    evaluate,
)
from bastion.access.policy._lint import PolicyWarning, lint_policy
from bastion.access.policy._parse import parse_policy

__all__ = [
    "MAX_POLICY_CHARS",
    "OPERATORS",
    "Caller",
    "CallerType",
    "Condition",
    "ContextValue",
    "Evaluation",
    "Policy",
    "PolicyKind",
    "PolicyReport",
    "PolicyRole",
    "PolicySet",
    "PolicyWarning",
    "PrincipalSpec",
    "Request",
    "Statement",
    "StatementRef",
    "StatementResult",
    "evaluate",
    "lint_policy",
    "parse_policy",
]
