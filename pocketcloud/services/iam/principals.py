"""Who a request's credentials stand for, and the policies that apply to them: what the
policy engine needs from IAM (enforcement, SimulatePrincipalPolicy, STS)."""

from __future__ import annotations

from ...core.store import Namespace
from ...policy.document import PolicyError, parse
from ...policy.evaluate import Principal, Source
from . import entities as E
from .common import GLOBAL
from .entities import GROUP, ROLE, USER
from .policies import default_text, find_policy


def sessions(runtime) -> Namespace:
    """Temporary credentials issued by STS, by access key id, across accounts."""
    return Namespace(runtime.store, "sts", "", GLOBAL)


def _source(text: str, source_id: str, source_type: str) -> Source | None:
    try:
        return Source(parse(text, "identity"), source_id, source_type)
    except PolicyError:
        return None


def _managed_sources(runtime, account: str, arns: list[str]) -> list[Source]:
    found = []
    for arn in arns:
        record = find_policy(runtime, account, arn)
        if record is not None:
            source = _source(default_text(record), arn, "aws-managed" if record.get("aws") else "user-managed")
            if source:
                found.append(source)
    return found


def entity_sources(runtime, account: str, kind, record: dict) -> list[Source]:
    label = kind.name
    found = [s for name, text in record["inline"].items() if (s := _source(text, name, label))]
    found += _managed_sources(runtime, account, record["attached"])
    if kind is USER:
        for group_name in record.get("groups", []):
            group = E.find(runtime, account, GROUP, group_name)
            if group is not None:
                found += [s for name, text in group["inline"].items() if (s := _source(text, name, "group"))]
                found += _managed_sources(runtime, account, group["attached"])
    return found


def boundary_source(runtime, account: str, record: dict) -> Source | None:
    arn = (record.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    if not arn:
        return None
    policy = find_policy(runtime, account, arn)
    if policy is None:
        return None
    return _source(default_text(policy), arn, "aws-managed" if policy.get("aws") else "user-managed")


def _tags(record: dict) -> dict:
    return {t["Key"]: t["Value"] for t in record.get("Tags") or []}


_ALLOW_ALL = Source(parse('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'),
                    "root", "none")


class Identity:
    """A resolved principal with its policies."""

    def __init__(self, principal: Principal, identity: list[Source], boundary: Source | None = None,
                 session_policies: list[Source] | None = None, session: dict | None = None):
        self.principal, self.identity, self.boundary = principal, identity, boundary
        self.session_policies, self.session = session_policies, session


def session_of(runtime, access_key: str | None) -> dict | None:
    if not access_key or not access_key.startswith("ASIA"):
        return None
    return sessions(runtime).get("session", access_key)


def identity_of(runtime, account: str, principal_arn: str | None, access_key: str | None = None) -> Identity:
    session = session_of(runtime, access_key)
    session_policies = None
    if session is not None and (session.get("policy") or session.get("policy_arns") or session.get("federated")):
        session_policies = []
        if session.get("policy"):
            s = _source(session["policy"], "session", "none")
            if s:
                session_policies.append(s)
        session_policies += _managed_sources(runtime, account, session.get("policy_arns") or [])
    if not principal_arn or principal_arn.endswith(":root"):
        return Identity(Principal.root(account), [], None, session_policies, session)
    resource = principal_arn.split(":", 5)[5]
    if resource.startswith("user/"):
        user = E.find(runtime, account, USER, resource.rsplit("/", 1)[1])
        if user is None:
            return Identity(Principal("user", principal_arn, account, name=resource.rsplit("/", 1)[1]), [])
        principal = Principal("user", user["Arn"], account, user_id=user["UserId"], name=user["UserName"],
                              tags=_tags(user))
        return Identity(principal, entity_sources(runtime, account, USER, user), boundary_source(runtime, account, user),
                        session_policies, session)
    if resource.startswith("assumed-role/"):
        _, role_name, session_name = resource.split("/", 2)
        role = E.find(runtime, account, ROLE, role_name)
        role_arn = role["Arn"] if role else f"arn:aws:iam::{account}:role/{role_name}"
        tags = _tags(role) if role else {}
        tags.update((session or {}).get("tags") or {})
        principal = Principal("assumed-role", principal_arn, account, role_arn=role_arn,
                              user_id=f"{role['RoleId'] if role else ''}:{session_name}", name=session_name, tags=tags)
        if role is None:
            return Identity(principal, [], None, session_policies, session)
        return Identity(principal, entity_sources(runtime, account, ROLE, role), boundary_source(runtime, account, role),
                        session_policies, session)
    if resource.startswith("federated-user/"):
        # GetFederationToken: the permissions of the user who asked for it, within the session policy.
        principal = Principal("federated-user", principal_arn, account, name=resource.split("/", 1)[1],
                              user_id=f"{account}:{resource.split('/', 1)[1]}")
        parent = identity_of(runtime, account, (session or {}).get("federated_by"))
        identity = parent.identity if parent.principal.kind != "root" else [_ALLOW_ALL]
        return Identity(principal, identity, parent.boundary, session_policies, session)
    return Identity(Principal("user", principal_arn, account), [])
