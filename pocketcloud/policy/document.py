"""Policy documents: the grammar AWS accepts, parsed once into statements the engine evaluates.

`parse(text, kind)` raises PolicyError (MalformedPolicyDocument for IAM) for a document that
breaks the grammar; kind says which elements are required or forbidden:

  identity   identity-based (users, groups, roles, boundaries, session policies): no Principal
  trust      a role's trust policy: Principal required, no Resource, only sts:AssumeRole* actions
  resource   a resource-based policy (bucket, queue, topic, key, function): Principal required
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_KEYS = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal",
                   "NotPrincipal", "Condition"}
_ACTION = re.compile(r"^[a-zA-Z0-9*?-]+:[a-zA-Z0-9*?_.-]*$")
_SID_IDENTITY = re.compile(r"^[A-Za-z0-9]*$")
_PRINCIPAL_TYPES = {"AWS", "Service", "Federated", "CanonicalUser"}


class PolicyError(ValueError):
    """A document that breaks the policy grammar; the message is AWS's."""


class Statement:
    __slots__ = ("index", "sid", "effect", "actions", "not_actions", "resources", "not_resources",
                 "principals", "not_principals", "conditions", "action_pattern")

    def __init__(self, index: int, raw: dict):
        self.index = index
        self.sid = raw.get("Sid")
        self.effect = raw["Effect"]
        self.actions = _strings(raw.get("Action"))
        self.not_actions = _strings(raw.get("NotAction"))
        self.resources = _strings(raw.get("Resource"))
        self.not_resources = _strings(raw.get("NotResource"))
        self.principals = _principal(raw.get("Principal"))
        self.not_principals = _principal(raw.get("NotPrincipal"))
        # [(operator, key, [values])], every entry must hold (AND across operators and keys).
        # Every Action (or NotAction) pattern as one regex: a statement is matched once per request.
        from .matching import GlobSet

        self.action_pattern = GlobSet(self.actions if self.actions is not None else self.not_actions, ignore_case=True)
        self.conditions = [(op, key, [_scalar_text(v) for v in (vals if isinstance(vals, list) else [vals])])
                           for op, block in (raw.get("Condition") or {}).items()
                           for key, vals in block.items()]


class Policy:
    __slots__ = ("version", "id", "statements", "text")

    def __init__(self, raw: dict, text: str):
        self.version = raw.get("Version", "2008-10-17")
        self.id = raw.get("Id")
        statements = raw["Statement"]
        if isinstance(statements, dict):
            statements = [statements]
        self.statements = [Statement(i, s) for i, s in enumerate(statements)]
        self.text = text


def _strings(value) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _principal(value) -> dict[str, list[str]] | None:
    if value is None:
        return None
    if value == "*":
        return {"*": ["*"]}
    return {k: ([v] if isinstance(v, str) else list(v)) for k, v in value.items()}


def _scalar_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@lru_cache(maxsize=2048)
def parse(text: str, kind: str = "identity") -> Policy:
    """Parse and check a policy document (cached: the same text is parsed once)."""
    try:
        raw = json.loads(text)
    except (ValueError, TypeError):
        raise PolicyError("This policy contains invalid Json") from None
    check(raw, kind)
    return Policy(raw, text)


def check(raw, kind: str) -> None:
    if not isinstance(raw, dict):
        raise PolicyError("This policy contains invalid Json")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise PolicyError("Syntax errors in policy.")
    if "Version" in raw and raw["Version"] not in VERSIONS:
        raise PolicyError("The policy failed legacy parsing")
    statements = raw.get("Statement")
    if statements is None:
        raise PolicyError("Syntax errors in policy.")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise PolicyError("Syntax errors in policy.")
    sids = set()
    for statement in statements:
        _check_statement(statement, kind)
        sid = statement.get("Sid")
        if sid is not None:
            if sid in sids:
                raise PolicyError("Statement IDs (SID) in a single policy must be unique.")
            sids.add(sid)


def _check_statement(s, kind: str) -> None:
    if not isinstance(s, dict) or set(s) - _STATEMENT_KEYS:
        raise PolicyError("Syntax errors in policy.")
    sid = s.get("Sid")
    if sid is not None and (not isinstance(sid, str) or (kind == "identity" and not _SID_IDENTITY.match(sid))):
        raise PolicyError("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the "
                          "regular expression [0-9A-Za-z]*")
    if s.get("Effect") not in ("Allow", "Deny"):
        raise PolicyError("Syntax errors in policy." if "Effect" in s else "Missing required field Effect")
    if ("Action" in s) == ("NotAction" in s):
        raise PolicyError("Policy statement must contain actions." if "Action" not in s
                          else "Syntax errors in policy.")
    actions = _string_list(s.get("Action", s.get("NotAction")))
    for action in actions:
        if action != "*" and not _ACTION.match(action):
            raise PolicyError("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    has_principal = "Principal" in s or "NotPrincipal" in s
    has_resource = "Resource" in s or "NotResource" in s
    if "Principal" in s and "NotPrincipal" in s or "Resource" in s and "NotResource" in s:
        raise PolicyError("Syntax errors in policy.")
    if kind == "identity":
        if has_principal:
            raise PolicyError("Policy document should not specify a principal.")
        if not has_resource:
            raise PolicyError("Policy statement must contain resources.")
    else:
        if not has_principal:
            raise PolicyError("Missing required field Principal")
        if kind == "trust":
            if has_resource:
                raise PolicyError("Has prohibited field Resource")
            for action in actions:
                if action != "*" and not action.lower().startswith("sts:"):
                    raise PolicyError("AssumeRole policy may only specify STS AssumeRole actions.")
        _check_principal(s.get("Principal", s.get("NotPrincipal")))
    if has_resource:
        for resource in _string_list(s.get("Resource", s.get("NotResource"))):
            if resource != "*" and not (resource.startswith("arn:") and resource.count(":") >= 5):
                raise PolicyError(f'Resource {resource} must be in ARN format or "*".')
    _check_condition(s.get("Condition"))


def _string_list(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise PolicyError("Syntax errors in policy.")


def _check_principal(value) -> None:
    if value == "*":
        return
    if not isinstance(value, dict) or not value or set(value) - _PRINCIPAL_TYPES:
        raise PolicyError("Invalid principal in policy")
    for entries in value.values():
        for entry in _string_list(entries):
            if not entry:
                raise PolicyError("Invalid principal in policy")


def _check_condition(block) -> None:
    if block is None:
        return
    if not isinstance(block, dict):
        raise PolicyError("Syntax errors in policy.")
    from .conditions import known_operator

    for operator, entries in block.items():
        if not known_operator(operator):
            raise PolicyError(f"Invalid Condition type : {operator}")
        if not isinstance(entries, dict) or not entries:
            raise PolicyError("Syntax errors in policy.")
        for key, values in entries.items():
            for v in values if isinstance(values, list) else [values]:
                if not isinstance(v, (str, int, float, bool)):
                    raise PolicyError("Syntax errors in policy.")
