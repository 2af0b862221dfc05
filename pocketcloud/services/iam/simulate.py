"""SimulatePrincipalPolicy and SimulateCustomPolicy: answered by the enforcement engine itself."""

from __future__ import annotations

from ...policy.conditions import missing_keys
from ...policy.context import add_entries, base_context
from ...policy.document import PolicyError, parse
from ...policy.evaluate import Principal, Source, evaluate
from .common import invalid_input, page
from .principals import identity_of


def _sources(texts, kind, id_prefix, source_type) -> list[Source]:
    found = []
    for i, text in enumerate(texts or []):
        try:
            found.append(Source(parse(text, kind), f"{id_prefix}{i + 1}", source_type))
        except PolicyError as exc:
            from ...protocol.errors import ServiceError

            raise ServiceError("MalformedPolicyDocument", str(exc), 400) from None
    return found


def _results(ctx, principal, params, identity, boundary, session_policies=None) -> dict:
    actions = params["ActionNames"]
    resources = params.get("ResourceArns") or ["*"]
    resource_policy = None
    if params.get("ResourcePolicy"):
        resource_policy = _sources([params["ResourcePolicy"]], "resource", "ResourcePolicy", "resource")[0]
        resource_policy.id = "ResourcePolicy"
    resource_owner = params.get("ResourceOwner")
    if resource_owner and resource_owner.startswith("arn:"):
        resource_owner = resource_owner.split(":")[4]
    caller = params.get("CallerArn")
    if caller and principal.kind == "root" and ":user/" in caller:
        principal = Principal("user", caller, caller.split(":")[4], name=caller.rsplit("/", 1)[1])
    context = add_entries(base_context(principal, ctx.now, ctx.region), params.get("ContextEntries"))
    results = []
    for action in actions:
        for resource in resources:
            decision = evaluate(principal, action, resource, dict(context), identity=identity,
                                resource_policy=resource_policy, resource_account=resource_owner or principal.account,
                                boundary=boundary, session=session_policies)
            every = list(identity) + ([boundary] if boundary else []) + ([resource_policy] if resource_policy else [])
            missing = sorted({k for s in every for st in s.policy.statements for k in missing_keys(st.conditions, context)})
            result = {
                "EvalActionName": action, "EvalResourceName": resource, "EvalDecision": decision.decision,
                "MatchedStatements": [{"SourcePolicyId": src.id, "SourcePolicyType": src.type} for src, _ in decision.matched],
                "MissingContextValues": missing,
                "EvalDecisionDetails": {},
            }
            if boundary is not None:
                result["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": bool(decision.allowed_by_boundary)}
            results.append(result)
    return page(results, params, "EvaluationResults")


class SimulateOperations:
    def simulate_custom_policy(self, ctx, params):
        identity = _sources(params["PolicyInputList"], "identity", "PolicyInputList.", "IAM Policy")
        for source in identity:
            source.type = "IAM Policy"
        boundaries = _sources(params.get("PermissionsBoundaryPolicyInputList"), "identity",
                              "PermissionsBoundaryPolicyInputList.", "IAM Policy")
        caller = params.get("CallerArn") or f"arn:aws:iam::{ctx.account}:user/simulated"
        parts = caller.split(":")
        if len(parts) < 6 or not parts[4].isdigit():
            raise invalid_input(f"Invalid CallerArn: {caller}")
        principal = Principal("user", caller, parts[4], name=caller.rsplit("/", 1)[-1])
        params = {**params, "CallerArn": None}
        return _results(ctx, principal, params, identity, boundaries[0] if boundaries else None)

    def simulate_principal_policy(self, ctx, params):
        arn = params["PolicySourceArn"]
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam":
            raise invalid_input(f"Invalid ARN: {arn}")
        resource = parts[5]
        if resource.startswith("role/"):
            from . import entities as E

            role = E.get(self.runtime, ctx.account, E.ROLE, resource.rsplit("/", 1)[1])
            who = identity_of(self.runtime, ctx.account, f"arn:aws:sts::{ctx.account}:assumed-role/{role['RoleName']}/simulated")
        elif resource.startswith("group/"):
            from . import entities as E
            from .principals import entity_sources

            group = E.get(self.runtime, ctx.account, E.GROUP, resource.rsplit("/", 1)[1])
            principal = Principal("user", f"arn:aws:iam::{ctx.account}:user/simulated", ctx.account, name="simulated")
            who = type("Who", (), {"principal": principal, "identity": entity_sources(self.runtime, ctx.account, E.GROUP, group),
                                   "boundary": None})()
        elif resource.startswith("user/"):
            from . import entities as E

            E.get(self.runtime, ctx.account, E.USER, resource.rsplit("/", 1)[1])
            who = identity_of(self.runtime, ctx.account, arn)
        else:
            raise invalid_input(f"Invalid ARN: {arn}")
        identity = list(who.identity) + _sources(params.get("PolicyInputList"), "identity", "PolicyInputList.", "IAM Policy")
        boundary = who.boundary
        extra = _sources(params.get("PermissionsBoundaryPolicyInputList"), "identity",
                         "PermissionsBoundaryPolicyInputList.", "IAM Policy")
        if extra:
            boundary = extra[0]
        return _results(ctx, who.principal, params, identity, boundary)
