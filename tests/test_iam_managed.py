"""AWS managed policies: the shipped set answers GetPolicy / GetPolicyVersion / ListPolicies with
AWS's real documents, version ids, paths and dates, and decides requests as they do in AWS."""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import aws_error, enforcing_server
from test_sts import session_client, trust

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "pocketcloud" / "services" / "iam" / "managed"
SHIPPED = {p.stem: json.loads(p.read_text()) for p in sorted(SHIPPED_DIR.glob("*.json"))}
ACCOUNT = "000000000000"


def arn_of(name: str) -> str:
    return f"arn:aws:iam::aws:policy{SHIPPED[name]['Path']}{name}"


def actions(document: dict) -> list[str]:
    found = []
    for statement in document["Statement"]:
        value = statement.get("Action", [])
        found += [value] if isinstance(value, str) else value
    return found


def default_document(iam, arn: str) -> dict:
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    return iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]


@pytest.fixture(scope="module")
def iam(server):
    return server.client("iam")


def fresh_account_iam(server):
    """An account of its own (a 12-digit access key names it), so attachment counts are ours."""
    return server.client("iam", key="9" + "".join(secrets.choice("0123456789") for _ in range(11)))


def test_the_shipped_set_covers_the_policies_people_attach():
    for name in ("AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "AmazonS3FullAccess",
                 "AmazonS3ReadOnlyAccess", "AmazonSQSFullAccess", "AmazonEC2FullAccess", "AWSLambdaBasicExecutionRole",
                 "AWSLambdaVPCAccessExecutionRole", "AmazonECSTaskExecutionRolePolicy", "ViewOnlyAccess",
                 "SecurityAudit", "AmazonSSMManagedInstanceCore", "AmazonDynamoDBReadOnlyAccess"):
        assert name in SHIPPED
    assert len(SHIPPED) >= 60
    for name, raw in SHIPPED.items():
        assert raw["PolicyName"] == name
        assert raw["DefaultVersionId"].startswith("v") and raw["DefaultVersionId"][1:].isdigit()
        assert raw["CreateDate"] <= raw["UpdateDate"]
        assert raw["Document"]["Version"] == "2012-10-17" and raw["Description"]


@pytest.mark.parametrize("name", ["AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "AmazonS3ReadOnlyAccess",
                                  "AWSLambdaBasicExecutionRole", "AmazonDynamoDBFullAccess", "ViewOnlyAccess",
                                  "SecurityAudit", "AmazonECS_FullAccess"])
def test_get_policy_and_version_answer_the_shipped_record(iam, name):
    raw = SHIPPED[name]
    policy = iam.get_policy(PolicyArn=arn_of(name))["Policy"]
    assert policy["PolicyName"] == name and policy["Arn"] == arn_of(name) and policy["Path"] == raw["Path"]
    assert policy["DefaultVersionId"] == raw["DefaultVersionId"] and policy["IsAttachable"] is True
    assert policy["Description"] == raw["Description"]
    assert policy["CreateDate"] == datetime.fromisoformat(raw["CreateDate"].replace("Z", "+00:00"))
    assert policy["UpdateDate"] == datetime.fromisoformat(raw["UpdateDate"].replace("Z", "+00:00"))
    assert policy["PolicyId"].startswith("ANPA")
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=raw["DefaultVersionId"])["PolicyVersion"]
    assert version["Document"] == raw["Document"]
    assert version["IsDefaultVersion"] is True and version["VersionId"] == raw["DefaultVersionId"]
    assert version["CreateDate"] == policy["UpdateDate"]
    versions = iam.list_policy_versions(PolicyArn=policy["Arn"])["Versions"]
    assert (raw["DefaultVersionId"], True) in [(v["VersionId"], v["IsDefaultVersion"]) for v in versions]


def test_known_facts_of_the_documents(iam):
    admin = default_document(iam, "arn:aws:iam::aws:policy/AdministratorAccess")
    assert admin == {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

    s3_read = default_document(iam, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    assert sorted(actions(s3_read)) == sorted(["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*",
                                               "s3-object-lambda:List*"])

    read_only = default_document(iam, "arn:aws:iam::aws:policy/ReadOnlyAccess")
    everything = actions(read_only)
    assert len(set(everything)) > 2500
    assert {"ec2:Describe*", "s3:Get*", "s3:List*", "sqs:Get*", "logs:Describe*", "iam:Get*", "dynamodb:Scan"} <= set(everything)
    assert not any(a.startswith(("s3:Put", "sqs:Send", "iam:Create", "ec2:Run")) for a in everything)
    assert all(s["Effect"] == "Allow" for s in read_only["Statement"])

    power = default_document(iam, "arn:aws:iam::aws:policy/PowerUserAccess")
    assert power["Statement"][0] == {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
                                     "Resource": "*"}

    sqs_full = default_document(iam, "arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    assert actions(sqs_full) == ["sqs:*"]

    basic = default_document(iam, "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    assert actions(basic) == ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


def test_paths_of_service_role_and_job_function_policies(iam):
    service_role = {p["PolicyName"] for p in iam.list_policies(Scope="AWS", PathPrefix="/service-role/",
                                                               MaxItems=1000)["Policies"]}
    assert service_role == {n for n, raw in SHIPPED.items() if raw["Path"] == "/service-role/"}
    assert {"AWSLambdaBasicExecutionRole", "AWSLambdaSQSQueueExecutionRole", "AWSLambdaDynamoDBExecutionRole",
            "AWSLambdaRole", "AWSLambdaVPCAccessExecutionRole", "AmazonECSTaskExecutionRolePolicy"} <= service_role
    job_function = {p["PolicyName"] for p in iam.list_policies(Scope="AWS", PathPrefix="/job-function/")["Policies"]}
    assert job_function == {"ViewOnlyAccess", "Billing", "SystemAdministrator", "DatabaseAdministrator",
                            "NetworkAdministrator"}
    with pytest.raises(ClientError) as exc:  # a job-function policy is not at the root path
        iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ViewOnlyAccess")
    assert aws_error(exc) == ("NoSuchEntity", 404)
    assert iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")["Policy"]["Path"] == "/job-function/"


def test_list_policies_pages_through_every_aws_policy_once(iam):
    seen, marker, pages = [], None, 0
    while True:
        kwargs = {"Scope": "AWS", "MaxItems": 7, **({"Marker": marker} if marker else {})}
        answer = iam.list_policies(**kwargs)
        assert len(answer["Policies"]) <= 7
        seen += [p["PolicyName"] for p in answer["Policies"]]
        pages += 1
        if not answer["IsTruncated"]:
            assert "Marker" not in answer
            break
        marker = answer["Marker"]
    assert len(seen) == len(set(seen)) == len(SHIPPED)
    assert set(seen) == set(SHIPPED)
    assert pages == -(-len(SHIPPED) // 7)
    # The paginator (MaxItems defaults to 100) reaches the same set.
    paginated = [p["PolicyName"] for page in iam.get_paginator("list_policies").paginate(Scope="AWS")
                 for p in page["Policies"]]
    assert sorted(paginated) == sorted(SHIPPED)
    listed = iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]
    assert all(p["Arn"].startswith("arn:aws:iam::aws:policy/") and p["IsAttachable"] for p in listed)
    # The Description is GetPolicy's: ListPolicies leaves it out, as it leaves out tags.
    assert not any("Description" in p or "Tags" in p for p in listed)


def test_only_attached_lists_what_the_account_attached(server, unique):
    iam = fresh_account_iam(server)
    assert iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"] == []
    iam.create_user(UserName=unique)
    iam.create_role(RoleName=unique, AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"}))
    iam.attach_user_policy(UserName=unique, PolicyArn=arn_of("ReadOnlyAccess"))
    iam.attach_role_policy(RoleName=unique, PolicyArn=arn_of("AWSLambdaBasicExecutionRole"))
    iam.attach_role_policy(RoleName=unique, PolicyArn=arn_of("ReadOnlyAccess"))
    iam.put_user_permissions_boundary(UserName=unique, PermissionsBoundary=arn_of("AmazonS3FullAccess"))
    attached = {p["PolicyName"]: p for p in iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]}
    assert set(attached) == {"ReadOnlyAccess", "AWSLambdaBasicExecutionRole"}
    assert attached["ReadOnlyAccess"]["AttachmentCount"] == 2
    assert attached["AWSLambdaBasicExecutionRole"]["AttachmentCount"] == 1
    s3_full = iam.get_policy(PolicyArn=arn_of("AmazonS3FullAccess"))["Policy"]
    assert (s3_full["AttachmentCount"], s3_full["PermissionsBoundaryUsageCount"]) == (0, 1)
    only_service_roles = iam.list_policies(Scope="AWS", OnlyAttached=True, PathPrefix="/service-role/")["Policies"]
    assert [p["PolicyName"] for p in only_service_roles] == ["AWSLambdaBasicExecutionRole"]
    assert [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=unique)["AttachedPolicies"]] == \
        ["AWSLambdaBasicExecutionRole", "ReadOnlyAccess"]
    entities = iam.list_entities_for_policy(PolicyArn=arn_of("ReadOnlyAccess"))
    assert [u["UserName"] for u in entities["PolicyUsers"]] == [unique]
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [unique]
    # Scope=All lists the account's own policies after AWS's, paging over both.
    own = iam.create_policy(PolicyName=unique, PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    names = [p["PolicyName"] for page in iam.get_paginator("list_policies").paginate(PaginationConfig={"PageSize": 25})
             for p in page["Policies"]]
    assert sorted(names) == sorted([*SHIPPED, unique])
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]] == [unique]
    iam.delete_policy(PolicyArn=own["Policy"]["Arn"])


def test_aws_policies_cannot_be_deleted_or_found_under_other_names(iam):
    arn = arn_of("ReadOnlyAccess")
    refused = [
        (lambda: iam.delete_policy(PolicyArn=arn), ("InvalidInput", 400)),
        (lambda: iam.get_policy_version(PolicyArn=arn, VersionId="v9999"), ("NoSuchEntity", 404)),
        (lambda: iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/NoSuchManagedPolicyAnywhere"), ("NoSuchEntity", 404)),
        # A service-role policy is not at the root path.
        (lambda: iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole"), ("NoSuchEntity", 404)),
    ]
    for call, expected in refused:
        with pytest.raises(ClientError) as exc:
            call()
        assert aws_error(exc) == expected


# -- the documents decide requests ----------------------------------------------------------------
# A server enforcing signatures and IAM policies, this module's own (conftest).
strict = enforcing_server


def user_with(srv, name, *arns, inline=None):
    iam = srv.client("iam")
    iam.create_user(UserName=name)
    for arn in arns:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    if inline:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=inline)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return lambda service: srv.client(service, key=key["AccessKeyId"], secret=key["SecretAccessKey"])


def test_read_only_access_reads_s3_and_sqs_and_cannot_write(strict, unique):
    strict.client("s3").create_bucket(Bucket=unique)
    strict.client("s3").put_object(Bucket=unique, Key="k", Body=b"v")
    queue = strict.client("sqs").create_queue(QueueName=unique)["QueueUrl"]
    client = user_with(strict, unique, arn_of("ReadOnlyAccess"))
    assert unique in [b["Name"] for b in client("s3").list_buckets()["Buckets"]]
    assert client("s3").get_object(Bucket=unique, Key="k")["Body"].read() == b"v"
    attributes = client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attributes["QueueArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:{unique}"
    assert client("logs").describe_log_groups()["logGroups"] is not None
    with pytest.raises(ClientError) as exc:
        client("s3").put_object(Bucket=unique, Key="k2", Body=b"v")
    assert aws_error(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        client("iam").create_user(UserName=unique + "x")
    assert aws_error(exc) == ("AccessDenied", 403)


def test_view_only_access_lists_but_does_not_read_data(strict, unique):
    strict.client("s3").create_bucket(Bucket=unique)
    strict.client("s3").put_object(Bucket=unique, Key="k", Body=b"v")
    client = user_with(strict, unique, arn_of("ViewOnlyAccess"))
    assert unique in [b["Name"] for b in client("s3").list_buckets()["Buckets"]]
    assert [o["Key"] for o in client("s3").list_objects_v2(Bucket=unique)["Contents"]] == ["k"]
    with pytest.raises(ClientError) as exc:
        client("s3").get_object(Bucket=unique, Key="k")
    assert aws_error(exc) == ("AccessDenied", 403)


def test_lambda_basic_execution_role_writes_logs_and_nothing_else(strict, unique):
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{unique}"
    client = user_with(strict, unique, inline=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]}))
    iam = strict.client("iam")
    iam.create_role(RoleName=unique, AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/{unique}"}))
    iam.attach_role_policy(RoleName=unique, PolicyArn=arn_of("AWSLambdaBasicExecutionRole"))
    creds = client("sts").assume_role(RoleArn=role_arn, RoleSessionName="fn")["Credentials"]
    logs = session_client(strict, "logs", creds)
    group = f"/aws/lambda/{unique}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": int(time.time() * 1000), "message": "hello"}])
    events = strict.client("logs").get_log_events(logGroupName=group, logStreamName="s")["events"]
    assert [e["message"] for e in events] == ["hello"]
    with pytest.raises(ClientError) as exc:  # reading logs back is not in the policy
        logs.get_log_events(logGroupName=group, logStreamName="s")
    assert aws_error(exc) == ("AccessDeniedException", 400)
    with pytest.raises(ClientError) as exc:
        session_client(strict, "s3", creds).list_buckets()
    assert aws_error(exc) == ("AccessDenied", 403)
