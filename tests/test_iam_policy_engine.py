"""The policy engine through SimulateCustomPolicy (the same engine enforcement uses): actions,
resources, wildcards, variables, every condition operator with IfExists, ForAllValues,
ForAnyValue and Null, resource policies across accounts, MissingContextValues."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def iam(server):
    return server.client("iam")


def _doc(statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def decide(iam, statements, action, resource="*", context=None, **extra) -> str:
    entries = []
    for key, value in (context or {}).items():
        if isinstance(value, list):
            entries.append({"ContextKeyName": key, "ContextKeyValues": value, "ContextKeyType": "stringList"})
        else:
            entries.append({"ContextKeyName": key, "ContextKeyValues": [value], "ContextKeyType": "string"})
    out = iam.simulate_custom_policy(PolicyInputList=[_doc(statements)], ActionNames=[action],
                                     ResourceArns=[resource], ContextEntries=entries, **extra)
    return out["EvaluationResults"][0]["EvalDecision"]


def allow(action="*", resource="*", condition=None, **kw):
    s = {"Effect": "Allow", "Action": action, "Resource": resource, **kw}
    if condition:
        s["Condition"] = condition
    return s


@pytest.mark.parametrize("pattern, action, expected", [
    ("s3:Get*", "s3:GetObject", "allowed"),
    ("s3:Get*", "s3:PutObject", "implicitDeny"),
    ("S3:getobject", "s3:GetObject", "allowed"),
    ("s3:Get?bject", "s3:GetObject", "allowed"),
    ("*", "kms:Decrypt", "allowed"),
    ("s3:*", "s3-object-lambda:GetObject", "implicitDeny"),
])
def test_action_wildcards(iam, pattern, action, expected):
    assert decide(iam, [allow(pattern)], action) == expected


def test_not_action_and_explicit_deny(iam):
    statements = [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]
    assert decide(iam, statements, "s3:GetObject") == "allowed"
    assert decide(iam, statements, "iam:CreateUser") == "implicitDeny"
    assert decide(iam, [allow(), {"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}],
                  "s3:DeleteObject") == "explicitDeny"


@pytest.mark.parametrize("pattern, resource, expected", [
    ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c.txt", "allowed"),
    ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", "implicitDeny"),
    ("arn:aws:s3:::bucket/????.txt", "arn:aws:s3:::bucket/abcd.txt", "allowed"),
    ("arn:aws:sqs:*:123456789012:queue-*", "arn:aws:sqs:eu-west-1:123456789012:queue-1", "allowed"),
    ("arn:aws:sqs:*:123456789012:queue-*", "arn:aws:sqs:eu-west-1:999999999999:queue-1", "implicitDeny"),
    ("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/x", "implicitDeny"),
])
def test_resource_matching(iam, pattern, resource, expected):
    assert decide(iam, [allow("s3:*" if ":s3:" in resource else "sqs:*", pattern)],
                  "s3:GetObject" if ":s3:" in resource else "sqs:SendMessage", resource) == expected


def test_not_resource(iam):
    statements = [{"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}]
    assert decide(iam, statements, "s3:GetObject", "arn:aws:s3:::public/x") == "allowed"
    assert decide(iam, statements, "s3:GetObject", "arn:aws:s3:::secret/x") == "implicitDeny"


def test_policy_variables(iam):
    statements = [allow("s3:*", "arn:aws:s3:::home/${aws:username}/*")]
    ctx = {"aws:username": "bob"}
    assert decide(iam, statements, "s3:GetObject", "arn:aws:s3:::home/bob/notes", ctx) == "allowed"
    assert decide(iam, statements, "s3:GetObject", "arn:aws:s3:::home/alice/notes", ctx) == "implicitDeny"
    literal = [allow("s3:*", "arn:aws:s3:::b/${*}star")]
    assert decide(iam, literal, "s3:GetObject", "arn:aws:s3:::b/*star") == "allowed"
    assert decide(iam, literal, "s3:GetObject", "arn:aws:s3:::b/xstar") == "implicitDeny"
    default = [allow("s3:*", "arn:aws:s3:::b/${aws:PrincipalTag/team, 'none'}/*")]
    assert decide(iam, default, "s3:GetObject", "arn:aws:s3:::b/none/x") == "allowed"
    assert decide(iam, default, "s3:GetObject", "arn:aws:s3:::b/red/x", {"aws:PrincipalTag/team": "red"}) == "allowed"


@pytest.mark.parametrize("operator, key, policy_value, context, expected", [
    ("StringEquals", "aws:PrincipalTag/team", "red", {"aws:PrincipalTag/team": "red"}, "allowed"),
    ("StringEquals", "aws:PrincipalTag/team", "red", {"aws:PrincipalTag/team": "Red"}, "implicitDeny"),
    ("StringEquals", "aws:PrincipalTag/team", "red", {}, "implicitDeny"),
    ("StringNotEquals", "aws:PrincipalTag/team", "red", {}, "allowed"),
    ("StringNotEquals", "aws:PrincipalTag/team", "red", {"aws:PrincipalTag/team": "red"}, "implicitDeny"),
    ("StringEqualsIgnoreCase", "aws:PrincipalTag/team", "RED", {"aws:PrincipalTag/team": "red"}, "allowed"),
    ("StringNotEqualsIgnoreCase", "aws:PrincipalTag/team", "RED", {"aws:PrincipalTag/team": "red"}, "implicitDeny"),
    ("StringLike", "s3:prefix", ["home/*", "public/*"], {"s3:prefix": "public/a"}, "allowed"),
    ("StringNotLike", "s3:prefix", "home/*", {"s3:prefix": "home/a"}, "implicitDeny"),
    ("StringEqualsIfExists", "aws:PrincipalTag/team", "red", {}, "allowed"),
    ("StringEqualsIfExists", "aws:PrincipalTag/team", "red", {"aws:PrincipalTag/team": "blue"}, "implicitDeny"),
    ("NumericLessThan", "s3:max-keys", "10", {"s3:max-keys": "5"}, "allowed"),
    ("NumericLessThan", "s3:max-keys", "10", {"s3:max-keys": "10"}, "implicitDeny"),
    ("NumericLessThanEquals", "s3:max-keys", "10", {"s3:max-keys": "10"}, "allowed"),
    ("NumericGreaterThan", "s3:max-keys", "10", {"s3:max-keys": "11"}, "allowed"),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", {"s3:max-keys": "9"}, "implicitDeny"),
    ("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": "10.0"}, "allowed"),
    ("NumericNotEquals", "s3:max-keys", "10", {"s3:max-keys": "10"}, "implicitDeny"),
    ("DateGreaterThan", "aws:CurrentTime", "2000-01-01T00:00:00Z", {}, "allowed"),
    ("DateLessThan", "aws:CurrentTime", "2000-01-01T00:00:00Z", {}, "implicitDeny"),
    ("DateLessThanEquals", "aws:TokenIssueTime", "2020-01-01T00:00:00Z", {"aws:TokenIssueTime": "2019-12-31T00:00:00Z"}, "allowed"),
    ("DateGreaterThanEquals", "aws:TokenIssueTime", "1577836800", {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}, "allowed"),
    ("DateEquals", "aws:TokenIssueTime", "2020-01-01T00:00:00Z", {"aws:TokenIssueTime": "2020-01-01T00:00:00+00:00"}, "allowed"),
    ("DateNotEquals", "aws:TokenIssueTime", "2020-01-01T00:00:00Z", {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}, "implicitDeny"),
    ("Bool", "aws:SecureTransport", "false", {}, "allowed"),
    ("Bool", "aws:SecureTransport", "true", {}, "implicitDeny"),
    ("Bool", "aws:MultiFactorAuthPresent", "true", {"aws:MultiFactorAuthPresent": "true"}, "allowed"),
    ("BoolIfExists", "aws:MultiFactorAuthPresent", "false", {}, "allowed"),
    ("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.168.1.0/24"], {"aws:SourceIp": "10.1.2.3"}, "allowed"),
    ("IpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:SourceIp": "11.1.2.3"}, "implicitDeny"),
    ("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:SourceIp": "11.1.2.3"}, "allowed"),
    ("IpAddress", "aws:SourceIp", "2001:db8::/32", {"aws:SourceIp": "2001:db8::1"}, "allowed"),
    ("ArnLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:topic-*", {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic-a"}, "allowed"),
    ("ArnEquals", "aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:t", {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:u"}, "implicitDeny"),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:sns:*:*:t*", {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:u"}, "allowed"),
    ("ArnNotEquals", "aws:SourceArn", "arn:aws:sns:*:*:u", {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:u"}, "implicitDeny"),
    ("BinaryEquals", "aws:PrincipalTag/blob", base64.b64encode(b"hi").decode(), {"aws:PrincipalTag/blob": base64.b64encode(b"hi").decode()}, "allowed"),
    ("Null", "aws:PrincipalTag/team", "true", {}, "allowed"),
    ("Null", "aws:PrincipalTag/team", "false", {}, "implicitDeny"),
    ("Null", "aws:PrincipalTag/team", "false", {"aws:PrincipalTag/team": "x"}, "allowed"),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"], {"aws:TagKeys": ["env"]}, "allowed"),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"], {"aws:TagKeys": ["env", "cost"]}, "implicitDeny"),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["env"], {}, "allowed"),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["env"], {"aws:TagKeys": ["env", "cost"]}, "allowed"),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["env"], {}, "implicitDeny"),
    ("ForAnyValue:StringLike", "aws:TagKeys", ["co*"], {"aws:TagKeys": ["env", "cost"]}, "allowed"),
    ("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"], {"aws:TagKeys": ["env", "cost"]}, "allowed"),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ["env"], {"aws:TagKeys": ["env"]}, "implicitDeny"),
    ("StringEquals", "aws:RequestedRegion", "us-east-1", {}, "allowed"),
    ("StringEquals", "aws:PrincipalType", "User", {}, "allowed"),
])
def test_condition_operators(iam, operator, key, policy_value, context, expected):
    statements = [allow("s3:ListBucket", condition={operator: {key: policy_value}})]
    assert decide(iam, statements, "s3:ListBucket", "arn:aws:s3:::b", context) == expected


def test_conditions_and_across_keys_or_across_values(iam):
    statements = [allow("s3:ListBucket", condition={
        "StringEquals": {"aws:PrincipalTag/team": ["red", "blue"], "aws:PrincipalTag/env": "prod"}})]
    assert decide(iam, statements, "s3:ListBucket", context={"aws:PrincipalTag/team": "blue",
                                                             "aws:PrincipalTag/env": "prod"}) == "allowed"
    assert decide(iam, statements, "s3:ListBucket", context={"aws:PrincipalTag/team": "blue",
                                                             "aws:PrincipalTag/env": "dev"}) == "implicitDeny"


def test_missing_context_values_are_reported(iam):
    out = iam.simulate_custom_policy(
        PolicyInputList=[_doc([allow("s3:*", condition={"StringEquals": {"s3:prefix": "a"}})])],
        ActionNames=["s3:ListBucket"])
    assert out["EvaluationResults"][0]["MissingContextValues"] == ["s3:prefix"]


def test_resource_policy_across_accounts(iam):
    caller = "arn:aws:iam::111111111111:user/alice"
    grant = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::theirs/*"}]})
    common = dict(ResourcePolicy=grant, ResourceOwner="arn:aws:iam::222222222222:root", CallerArn=caller)
    # Both sides allow: allowed.
    assert decide(iam, [allow("s3:GetObject")], "s3:GetObject", "arn:aws:s3:::theirs/k", **common) == "allowed"
    # The identity side does not: denied, whatever the bucket says.
    assert decide(iam, [allow("s3:PutObject")], "s3:GetObject", "arn:aws:s3:::theirs/k", **common) == "implicitDeny"
    # The resource side does not grant this action: denied.
    assert decide(iam, [allow("s3:*")], "s3:DeleteObject", "arn:aws:s3:::theirs/k", **common) == "implicitDeny"


def test_permissions_boundary_in_simulation(iam):
    boundary = _doc([allow("s3:*")])
    out = iam.simulate_custom_policy(PolicyInputList=[_doc([allow("*")])], ActionNames=["s3:GetObject", "ec2:RunInstances"],
                                     PermissionsBoundaryPolicyInputList=[boundary])
    decisions = {r["EvalActionName"]: r for r in out["EvaluationResults"]}
    assert decisions["s3:GetObject"]["EvalDecision"] == "allowed"
    assert decisions["ec2:RunInstances"]["EvalDecision"] == "implicitDeny"
    assert decisions["ec2:RunInstances"]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"] is False


def test_simulate_rejects_malformed_policies(iam):
    with pytest.raises(ClientError) as exc:
        iam.simulate_custom_policy(PolicyInputList=["{"], ActionNames=["s3:GetObject"])
    assert exc.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_not_principal_in_a_resource_policy(iam):
    alice, bob = "arn:aws:iam::111111111111:user/alice", "arn:aws:iam::111111111111:user/bob"
    bucket_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "NotPrincipal": {"AWS": alice}, "Action": "s3:DeleteObject", "Resource": "*"}]})
    common = dict(ResourcePolicy=bucket_policy, ResourceOwner="arn:aws:iam::222222222222:root")
    assert decide(iam, [allow("s3:*")], "s3:DeleteObject", "arn:aws:s3:::b/k", CallerArn=alice, **common) == "allowed"
    assert decide(iam, [allow("s3:*")], "s3:DeleteObject", "arn:aws:s3:::b/k", CallerArn=bob, **common) == "explicitDeny"
    assert decide(iam, [allow("s3:*")], "s3:GetObject", "arn:aws:s3:::b/k", CallerArn=bob, **common) == "allowed"


def test_principal_keys_from_the_caller(iam):
    caller = "arn:aws:iam::444444444444:user/carol"
    statements = [allow("s3:GetObject", condition={"StringEquals": {"aws:PrincipalAccount": "444444444444"},
                                                   "ArnEquals": {"aws:PrincipalArn": caller},
                                                   "NumericGreaterThan": {"aws:EpochTime": "1000000000"}})]
    assert decide(iam, statements, "s3:GetObject", CallerArn=caller) == "allowed"
    other = "arn:aws:iam::444444444444:user/dave"
    assert decide(iam, statements, "s3:GetObject", CallerArn=other) == "implicitDeny"
