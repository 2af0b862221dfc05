"""AWS's policy evaluation logic.

1. An explicit Deny in any applicable policy (identity, resource, permissions boundary, session)
   decides: denied.
2. Same account: allowed when the identity policies allow (and the boundary and session
   policies, where present, allow too), or when the resource policy grants the principal itself
   (a grant to the whole account only delegates to identity policies).
3. Across accounts: both sides must allow — the identity side as in 2, and the resource policy
   must name the principal or its account.
4. Otherwise: implicitly denied.

The root user of an account is allowed everything in its own account (no identity policy is
needed, none can deny it); resource-policy denies still apply to it.
"""

from __future__ import annotations

from .conditions import all_hold
from .document import Policy, Statement
from .matching import Unresolved, arn_matches, substitute

ALLOWED = "allowed"
EXPLICIT_DENY = "explicitDeny"
IMPLICIT_DENY = "implicitDeny"


class Principal:
    """Who makes a request.

    kind: "root", "user", "assumed-role", "federated-user", "service", "anonymous"
    arn: the principal's ARN (a session ARN for assumed roles)
    role_arn: the role of an assumed-role session; service: "lambda.amazonaws.com"...
    """

    __slots__ = ("kind", "arn", "account", "role_arn", "service", "federated", "user_id", "name", "tags")

    def __init__(self, kind: str, arn: str | None, account: str | None, role_arn: str | None = None,
                 service: str | None = None, federated: str | None = None, user_id: str | None = None,
                 name: str | None = None, tags: dict | None = None):
        self.kind, self.arn, self.account = kind, arn, account
        self.role_arn, self.service, self.federated = role_arn, service, federated
        self.user_id, self.name, self.tags = user_id, name, tags or {}

    @classmethod
    def root(cls, account: str) -> "Principal":
        return cls("root", f"arn:aws:iam::{account}:root", account, user_id=account)


class Source:
    """A policy taking part in a decision, with where it comes from (SimulatePolicy reports it)."""

    __slots__ = ("policy", "id", "type")

    def __init__(self, policy: Policy, source_id: str, source_type: str):
        self.policy, self.id, self.type = policy, source_id, source_type


class Decision:
    __slots__ = ("decision", "matched", "reason", "allowed_by_boundary", "allowed_by_session")

    def __init__(self, decision: str, matched: list, reason: str, allowed_by_boundary=None,
                 allowed_by_session=None):
        self.decision, self.matched, self.reason = decision, matched, reason
        self.allowed_by_boundary, self.allowed_by_session = allowed_by_boundary, allowed_by_session

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED


# -- statement matching ----------------------------------------------------------------------------
def _action_in(statement: Statement, action: str) -> bool:
    matched = statement.action_pattern.matches(action)
    return matched if statement.actions is not None else not matched


def _resource_pattern_matches(pattern: str, resource: str, context: dict, version: str) -> bool:
    try:
        pattern = substitute(pattern, context, version)
    except Unresolved:
        return False
    return arn_matches(pattern, resource)


def _resource_in(statement: Statement, resource: str, context: dict, version: str) -> bool:
    if statement.resources is None and statement.not_resources is None:
        return True  # trust policies name no resource: the role itself is it
    if statement.resources is not None:
        return any(_resource_pattern_matches(p, resource, context, version) for p in statement.resources)
    return not any(_resource_pattern_matches(p, resource, context, version) for p in statement.not_resources)


def principal_match(entries: dict[str, list[str]], principal: Principal) -> str | None:
    """How a Principal element names the principal: "direct" (its own ARN, its role, or
    everyone), "account" (only its account), or None."""
    best = None
    for kind, values in entries.items():
        for value in values:
            if kind == "*" or (kind == "AWS" and value == "*"):
                return "direct"
            if kind == "AWS":
                if value in (principal.arn, principal.role_arn) and value is not None:
                    return "direct"
                if principal.account and value in (principal.account, f"arn:aws:iam::{principal.account}:root"):
                    best = "direct" if principal.kind == "root" else "account"
            elif kind == "Service" and principal.kind == "service" and value == principal.service:
                return "direct"
            elif kind == "Federated" and principal.federated and value == principal.federated:
                return "direct"
    return best


def _principal_level(statement: Statement, principal: Principal | None) -> str | None:
    if statement.principals is None and statement.not_principals is None:
        return "direct"  # identity-based statement: it is attached to the principal
    if principal is None:
        return None
    if statement.principals is not None:
        return principal_match(statement.principals, principal)
    return None if principal_match(statement.not_principals, principal) else "direct"


def matching_statements(source: Source, action: str, resource: str, context: dict,
                        principal: Principal | None = None):
    """(statement, principal level) of each statement of a policy that applies to the request."""
    version = source.policy.version
    for statement in source.policy.statements:
        if not _action_in(statement, action) or not _resource_in(statement, resource, context, version):
            continue
        level = _principal_level(statement, principal)
        if level is None or not all_hold(statement.conditions, context, version):
            continue
        yield statement, level


# -- the decision ------------------------------------------------------------------------------------
class _Tally:
    def __init__(self):
        self.allow: list = []
        self.deny: list = []
        self.level = None  # best principal level among resource-policy allows

    def add(self, sources, action, resource, context, principal=None):
        for source in sources:
            for statement, level in matching_statements(source, action, resource, context, principal):
                if statement.effect == "Deny":
                    self.deny.append((source, statement))
                else:
                    self.allow.append((source, statement))
                    if level == "direct" or self.level is None:
                        self.level = level


def evaluate(principal: Principal, action: str, resource: str, context: dict, *,
             identity: list[Source] = (), resource_policy: Source | None = None,
             resource_account: str | None = None, boundary: Source | None = None,
             session: list[Source] | None = None) -> Decision:
    identity_t, resource_t, boundary_t, session_t = _Tally(), _Tally(), _Tally(), _Tally()
    if principal.kind != "root":
        identity_t.add(identity, action, resource, context)
    if resource_policy is not None:
        resource_t.add([resource_policy], action, resource, context, principal)
    if boundary is not None:
        boundary_t.add([boundary], action, resource, context)
    if session is not None:
        session_t.add(session, action, resource, context)

    matched = identity_t.deny + resource_t.deny + boundary_t.deny + session_t.deny
    boundary_ok = None if boundary is None else bool(boundary_t.allow)
    session_ok = None if session is None else bool(session_t.allow)
    if matched:
        where = ("an identity-based policy" if identity_t.deny else "a resource-based policy" if resource_t.deny
                 else "a permissions boundary" if boundary_t.deny else "a session policy")
        return Decision(EXPLICIT_DENY, matched, f"with an explicit deny in {where}", boundary_ok, session_ok)

    identity_ok = principal.kind == "root" or bool(identity_t.allow)
    limits_ok = boundary_ok is not False and session_ok is not False
    cross_account = bool(resource_account and principal.account and resource_account != principal.account)
    resource_grant = resource_t.level if resource_t.allow else None

    if cross_account:
        allowed = identity_ok and limits_ok and resource_grant is not None
    else:
        direct = resource_grant == "direct"
        # A grant naming an IAM user directly is not limited by its boundary; one naming a
        # role (not the session itself) is limited by the boundary and session policies.
        if direct and principal.kind == "assumed-role":
            direct = limits_ok
        allowed = (identity_ok and limits_ok) or direct
    if allowed:
        return Decision(ALLOWED, identity_t.allow + resource_t.allow, "", boundary_ok, session_ok)

    if cross_account and resource_grant is None and identity_ok and limits_ok:
        reason = f"no resource-based policy allows the {action} action"
    elif boundary_ok is False:
        reason = f"no permissions boundary allows the {action} action"
    elif session_ok is False:
        reason = f"no session policy allows the {action} action"
    else:
        reason = f"no identity-based policy allows the {action} action"
    return Decision(IMPLICIT_DENY, [], reason, boundary_ok, session_ok)
